// Reading heartbeat for the module page: tells the server, while the page is visible, that the
// member is still reading. The server measures the time itself (it ignores anything sent here)
// and caps every gap, so this only needs to say "still here" every few tens of seconds.
(function () {
  "use strict";
  var box = document.getElementById("completion");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!box || !meta || !window.fetch) { return; }
  var url = box.getAttribute("data-heartbeat-url");
  var seconds = parseInt(box.getAttribute("data-heartbeat-seconds"), 10) || 45;
  function beat() {
    if (document.visibilityState !== "visible") { return; }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta.getAttribute("content") }
    }).catch(function () { /* offline for a moment: the next beat tries again */ });
  }
  window.setInterval(beat, seconds * 1000);
  document.addEventListener("visibilitychange", beat);
})();
