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

// The reading rule's countdown on the confirm button: the time still needed, counting down
// while the page is visible (the server credits no time to a hidden page either). Only a
// hint: pressing early is allowed, and the server refuses it and says how long is left.
(function () {
  "use strict";
  var label = document.querySelector(".reading-countdown");
  if (!label) { return; }
  var left = parseInt(label.getAttribute("data-seconds"), 10) || 0;
  var template = label.getAttribute("data-template") || "{time}";
  function show() {
    if (left <= 0) {
      label.hidden = true;
      window.clearInterval(timer);
      return;
    }
    var seconds = left % 60;
    label.textContent = template.replace("{time}",
      Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds);
  }
  var timer = window.setInterval(function () {
    if (document.visibilityState === "visible") { left -= 1; show(); }
  }, 1000);
  show();
})();
