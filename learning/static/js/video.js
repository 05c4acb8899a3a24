// The module video's heartbeats: tells the server where the player is and whether it plays,
// every 10 s while playing and at once on play, pause, seek, end and when the page is hidden.
// The server decides what counts as watched (courses/video/crediting.py); this script only
// reports, resumes from the position the server kept, and shows the share the server answers.
// When the video ends, the module's quiz (if any) is shown right below it.
(function () {
  "use strict";
  var box = document.getElementById("video-watch");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!box || !meta || !window.fetch || !window.JSON) { return; }
  var prefix = box.getAttribute("data-video-prefix");
  var url = box.getAttribute("data-heartbeat-url");
  var player = null;
  var media = document.querySelectorAll("video, audio");
  for (var i = 0; i < media.length && !player; i++) {
    var sources = [media[i]].concat(Array.prototype.slice.call(media[i].querySelectorAll("source")));
    for (var j = 0; j < sources.length; j++) {
      if ((sources[j].getAttribute("src") || "").indexOf(prefix) === 0) { player = media[i]; break; }
    }
  }
  if (!player) { return; }
  var EVERY = 10000;
  var label = document.getElementById("video-watched");
  var bar = document.getElementById("video-progress");
  var speed = document.getElementById("video-speed");
  var quiz = document.getElementById("module-quiz");
  var last = 0;  // the last position seen while not seeking: where a seek started from

  function show(answer) {
    if (!answer) { return; }
    var percent = Math.floor(answer.share * 100 + 1e-9);
    if (bar) { bar.value = percent; bar.textContent = percent + "%"; }
    if (label) {
      label.textContent = answer.completed ? label.getAttribute("data-done")
        : label.getAttribute("data-template").replace("{percent}", percent);
    }
  }

  function send(position, playing) {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,  // a pause or a hidden page may be the last word before the tab closes
      headers: { "Content-Type": "application/json", "X-CSRFToken": meta.getAttribute("content") },
      body: JSON.stringify({ position: Math.max(0, position || 0), playing: playing })
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () { /* a bad line: the next heartbeat covers this stretch too */ });
  }

  var resume = parseFloat(box.getAttribute("data-position")) || 0;
  function seekToResume() {
    if (resume > 0 && player.duration && resume < player.duration - 2) { player.currentTime = resume; }
    last = player.currentTime;
  }
  if (player.readyState >= 1) { seekToResume(); } else { player.addEventListener("loadedmetadata", seekToResume, { once: true }); }

  player.addEventListener("timeupdate", function () { if (!player.seeking) { last = player.currentTime; } });
  player.addEventListener("playing", function () { send(player.currentTime, true); });
  player.addEventListener("pause", function () { if (!player.ended) { send(player.currentTime, false); } });
  // A seek is a jump, not playing: the stretch up to where it started is reported first.
  player.addEventListener("seeking", function () { send(last, false); });
  player.addEventListener("seeked", function () {
    last = player.currentTime;
    if (!player.paused) { send(player.currentTime, true); }
  });
  player.addEventListener("ended", function () {
    send(player.duration || player.currentTime, false);
    if (quiz) {
      quiz.hidden = false;
      quiz.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
  window.setInterval(function () {
    if (!player.paused && !player.ended && !player.seeking) { send(player.currentTime, true); }
  }, EVERY);
  document.addEventListener("visibilitychange", function () {
    send(player.currentTime, !player.paused && !player.ended);
  });
  if (speed) {
    speed.addEventListener("change", function () { player.playbackRate = parseFloat(speed.value) || 1; });
    player.addEventListener("ratechange", function () {
      if (String(player.playbackRate) !== speed.value) { speed.value = String(player.playbackRate); }
    });
  }
})();
