// The attempt page: saves the page's answers as the member goes, and counts the time down.
// The server keeps the deadline and the answers; this script only saves sooner (every ~20 s
// and shortly after a change) so a reload or a lost signal loses little, shows the time the
// server reports, and submits the form when the time is up. Without it the buttons save.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !meta || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-autosave-url");
  var timer = document.getElementById("time-left");
  var status = document.getElementById("autosave-status");
  var counter = document.getElementById("answered-count");
  var messages = document.getElementById("quiz-messages");
  var SAVE_EVERY = 20000;
  var AFTER_CHANGE = 1500;
  var dirty = false;
  var leaving = false;
  var pending = null;
  var deadline = null;

  function message(name, values) {
    var text = messages ? messages.getAttribute("data-" + name) || "" : "";
    Object.keys(values || {}).forEach(function (key) { text = text.replace("{" + key + "}", values[key]); });
    return text;
  }

  function say(text) {
    if (status && text) { status.textContent = text; }
  }

  // --- answered marks in the navigator --------------------------------------------------------
  function hasAnswer(box) {
    var fields = box.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "hidden") { continue; }
      if ((field.type === "radio" || field.type === "checkbox") ? field.checked : field.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function markNavigator(box) {
    var button = document.getElementById("nav-q" + box.getAttribute("data-slot"));
    if (!button) { return; }
    var answered = hasAnswer(box);
    button.classList.toggle("btn-success", answered);
    button.classList.toggle("btn-outline-secondary", !answered);
    if (counter) {
      var done = document.querySelectorAll(".question-navigator [data-question].btn-success").length;
      var total = document.querySelectorAll(".question-navigator [data-question]").length;
      var text = message("answered", { n: done, total: total });
      if (text) { counter.textContent = text; }
    }
  }

  // --- saving ----------------------------------------------------------------------------------
  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.delete("nav");
    data.delete("goto");
    return data;
  }

  function save() {
    if (leaving || !dirty) { return; }
    dirty = false;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta.getAttribute("content") },
      body: body()
    }).then(function (response) {
      return response.json().then(function (reply) { return { ok: response.ok, reply: reply }; });
    }).then(function (result) {
      var reply = result.reply;
      if (reply.finished && reply.redirect) {
        leaving = true;
        window.location.assign(reply.redirect);
        return;
      }
      if (!result.ok) {
        say(reply.message);
        return;
      }
      if (typeof reply.seconds_left === "number") { setDeadline(reply.seconds_left); }
      say(message("saved", { time: new Date().toLocaleTimeString() }));
    }).catch(function () {
      dirty = true;  // offline for a moment: the next round tries again
      say(message("offline"));
    });
  }

  function changed(event) {
    dirty = true;
    var box = event.target.closest ? event.target.closest("fieldset.question") : null;
    if (box) { markNavigator(box); }
    window.clearTimeout(pending);
    pending = window.setTimeout(save, AFTER_CHANGE);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("submit", function () {
    leaving = true;  // the form itself saves now
    window.clearTimeout(pending);
  });
  window.setInterval(save, SAVE_EVERY);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(); }
  });

  // --- the countdown ---------------------------------------------------------------------------
  function setDeadline(secondsLeft) {
    deadline = Date.now() + secondsLeft * 1000;
  }

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function show(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    timer.textContent = hours ? hours + ":" + pad(minutes) + ":" + pad(rest) : minutes + ":" + pad(rest);
  }

  function timeUp() {
    leaving = true;
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "nav";
    field.value = "timeup";
    form.appendChild(field);
    form.submit();  // does not fire "submit": the page goes to the result
  }

  function tick() {
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    show(seconds);
    timer.classList.toggle("text-danger", seconds <= 60);
    if (seconds === 0 && !leaving) { timeUp(); }
  }

  if (timer) {
    setDeadline(parseInt(timer.getAttribute("data-seconds-left"), 10) || 0);
    tick();
    window.setInterval(tick, 1000);
  }
})();
