// Mentions in the thread's reply box: typing "@" and a few letters lists the people who may read
// the thread (asked of the server, which decides who that is); picking one inserts "@username",
// which the server turns into the person's current name when the post is shown. The list is an
// ARIA listbox driven from the text box: arrows move, Enter or Tab picks, Esc closes; a tap picks.
// Without scripts, typing "@username" by hand works the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-mentions-url]");
  if (!form || !window.fetch) { return; }
  var box = form.querySelector("textarea");
  var list = document.getElementById(form.getAttribute("data-mentions-list"));
  var status = document.getElementById(form.getAttribute("data-mentions-status"));
  if (!box || !list) { return; }
  var url = form.getAttribute("data-mentions-url");
  var emptyText = form.getAttribute("data-mentions-empty") || "";
  // "@" not after an ASCII name character (an e-mail address is no mention), then the letters
  // typed so far, up to the caret.
  var TYPED = /(?:^|[^A-Za-z0-9_.@-])@([^\s@]{1,32})$/;
  var people = [];
  var active = -1;
  var asked = 0; // the newest request: older answers arriving late are dropped
  var timer = null;

  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");

  function typed() {
    if (box.selectionStart !== box.selectionEnd) { return null; }
    var match = TYPED.exec(box.value.slice(0, box.selectionStart));
    return match ? match[1] : null;
  }

  function close() {
    people = [];
    active = -1;
    list.hidden = true;
    list.textContent = "";
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function highlight(index) {
    active = index;
    var items = list.querySelectorAll('[role="option"]');
    for (var i = 0; i < items.length; i++) {
      var on = i === index;
      items[i].setAttribute("aria-selected", on ? "true" : "false");
      items[i].classList.toggle("active", on);
      if (on) {
        box.setAttribute("aria-activedescendant", items[i].id);
        if (items[i].scrollIntoView) { items[i].scrollIntoView({ block: "nearest" }); }
      }
    }
  }

  function pick(index) {
    var person = people[index];
    var query = typed();
    if (!person || query === null) { close(); return; }
    var caret = box.selectionStart;
    var start = caret - query.length; // just after the "@"
    var insert = person.username + " ";
    box.value = box.value.slice(0, start) + insert + box.value.slice(caret);
    box.selectionStart = box.selectionEnd = start + insert.length;
    close();
    box.focus();
    say(person.name);
  }

  function show(found) {
    people = found;
    list.textContent = "";
    if (!found.length) {
      close();
      say(emptyText);
      return;
    }
    found.forEach(function (person, index) {
      var item = document.createElement("li");
      item.id = list.id + "-" + index;
      item.className = "list-group-item list-group-item-action mention-option";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.className = "fw-semibold";
      name.textContent = person.name;
      item.appendChild(name);
      if (person.unit) {
        var unit = document.createElement("span");
        unit.className = "mention-detail ms-2";
        unit.textContent = person.unit;
        item.appendChild(unit);
      }
      var handle = document.createElement("span");
      handle.className = "mention-detail small ms-2";
      handle.textContent = "@" + person.username;
      item.appendChild(handle);
      // Keep the focus (and the caret) in the text box when the option is pressed.
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { pick(index); });
      list.appendChild(item);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
    say("");
  }

  function lookup() {
    var query = typed();
    if (query === null) { close(); return; }
    var mine = ++asked;
    fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : { people: [] };
    }).then(function (data) {
      if (mine === asked && typed() !== null) { show(data.people || []); }
    }).catch(function () { /* offline for a moment: typing on asks again */ });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    if (typed() === null) { close(); return; }
    timer = window.setTimeout(lookup, 150);
  });
  box.addEventListener("keydown", function (event) {
    if (list.hidden || !people.length) { return; }
    if (event.key === "ArrowDown") {
      highlight((active + 1) % people.length);
    } else if (event.key === "ArrowUp") {
      highlight((active - 1 + people.length) % people.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      pick(active < 0 ? 0 : active);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
  });
  box.addEventListener("blur", function () {
    window.setTimeout(close, 150); // after a tap on an option has picked it
  });
})();
