// The Markdown editor (learning/templates/editor/_markdown.html): toolbar buttons that write
// Markdown at the cursor, "insert image or file" that uploads an attachment and inserts the
// Markdown the server answers, and a live preview. The preview is rendered by the server through
// the one sanitiser, so it shows exactly what saving stores; this script only asks for it a
// moment after the author stops typing. Without scripts the form still saves and previews.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch || !window.FormData) { return; }
  var token = meta.getAttribute("content");
  var PAUSE = 400; // ms after the last keystroke before the preview is asked for

  function post(url, body) {
    body.append("csrf_token", token);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      return (json ? response.json() : Promise.resolve({})).then(function (data) {
        if (!response.ok) { throw new Error(data.message || ""); }
        return data;
      });
    });
  }

  function setUp(box) {
    var text = box.querySelector("textarea");
    var preview = box.querySelector("[data-md-preview]");
    var status = box.querySelector("[data-md-status]");
    var fileInput = box.querySelector("[data-md-file]");
    var buttons = box.querySelectorAll("[data-md-action]");
    var format = document.getElementById(box.getAttribute("data-format-field") || "");
    var previewUrl = box.getAttribute("data-preview-url");
    var uploadUrl = box.getAttribute("data-upload-url");
    var timer = null;
    var asked = 0;

    function word(name) { return box.getAttribute("data-text-" + name) || ""; }
    function say(message, failed) {
      status.textContent = message || "";
      status.classList.toggle("text-danger", Boolean(failed));
      status.classList.toggle("text-muted", !failed);
    }

    // --- editing: replace the selection, keeping the browser's undo where it can ---------
    function replace(start, end, insert, selectFrom, selectTo) {
      text.focus();
      text.setSelectionRange(start, end);
      var done = false;
      try { done = document.execCommand("insertText", false, insert); } catch (e) { done = false; }
      if (!done || text.value.substring(start, start + insert.length) !== insert) {
        text.setRangeText(insert, start, end, "end");
        text.dispatchEvent(new Event("input", { bubbles: true }));
      }
      text.setSelectionRange(start + selectFrom, start + selectTo);
      reveal(start + selectTo);
    }

    // Scroll the text area so that the character at `index` is in view: browsers do not do
    // it for a selection set by a script. Measured on an invisible copy holding the text
    // before `index`, with the same width and font.
    function reveal(index) {
      var copy = text.cloneNode(false);
      copy.removeAttribute("id");
      copy.removeAttribute("name");
      copy.setAttribute("aria-hidden", "true");
      copy.tabIndex = -1;
      copy.style.position = "absolute";
      copy.style.visibility = "hidden";
      copy.style.width = text.offsetWidth + "px";
      copy.style.height = "0";
      copy.value = text.value.substring(0, index);
      text.parentNode.appendChild(copy);
      var y = copy.scrollHeight;
      text.parentNode.removeChild(copy);
      if (y < text.scrollTop + 32 || y > text.scrollTop + text.clientHeight - 8) {
        text.scrollTop = Math.max(0, y - text.clientHeight / 2);
      }
    }

    function wrap(marker, placeholder) {
      var start = text.selectionStart, end = text.selectionEnd;
      var inner = text.value.substring(start, end) || placeholder;
      replace(start, end, marker + inner + marker, marker.length, marker.length + inner.length);
    }

    // Prefix every line the selection touches (or the cursor's line).
    function prefixLines(prefix, placeholder) {
      var value = text.value;
      var start = value.lastIndexOf("\n", text.selectionStart - 1) + 1;
      var end = text.selectionEnd;
      var lineEnd = value.indexOf("\n", end);
      end = lineEnd === -1 ? value.length : lineEnd;
      var block = value.substring(start, end);
      var lines = block ? block.split("\n") : [placeholder];
      var result = lines.map(function (line) { return prefix + line.replace(/^(#+ |[-*] |> )/, ""); }).join("\n");
      replace(start, end, result, 0, result.length);
    }

    // A new block on lines of its own (Markdown needs the blank line before a table).
    // A new block on lines of its own, after the cursor's line (or instead of the selection),
    // with the blank lines Markdown needs around a table or an image. `from` and `to` (in the
    // block) are what ends up selected; by default, the cursor goes after it.
    function insertBlock(block, from, to) {
      var value = text.value, start = text.selectionStart, end = text.selectionEnd;
      if (start === end) {
        start = end = value.indexOf("\n", start) === -1 ? value.length : value.indexOf("\n", start);
      }
      var before = value.substring(0, start), after = value.substring(end);
      var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      var trail = after === "" ? "\n" : (/^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n"));
      var cursor = lead.length + block.length + trail.length;
      replace(start, end, lead + block + trail, from === undefined ? cursor : lead.length + from,
              to === undefined ? cursor : lead.length + to);
    }

    var actions = {
      bold: function () { wrap("**", word("bold")); },
      heading: function () { prefixLines("## ", word("heading")); },
      list: function () { prefixLines("- ", word("item")); },
      quote: function () { prefixLines("> ", word("quote")); },
      link: function () {
        var start = text.selectionStart, end = text.selectionEnd;
        var label = text.value.substring(start, end) || word("link");
        var url = "https://";
        var insert = "[" + label + "](" + url + ")";
        replace(start, end, insert, label.length + 3, label.length + 3 + url.length);
      },
      table: function () {
        var column = word("column");
        var first = column + " 1";
        insertBlock("| " + first + " | " + column + " 2 | " + column + " 3 |\n" +
                    "| --- | --- | --- |\n|  |  |  |\n|  |  |  |", 2, 2 + first.length);
      },
      file: function () { if (fileInput) { fileInput.click(); } }
    };

    function markdownOnly() {
      var off = format && format.value !== "markdown";
      Array.prototype.forEach.call(buttons, function (button) { button.disabled = Boolean(off); });
      if (off) { say(word("not-markdown")); } else if (status.textContent === word("not-markdown")) { say(""); }
      return !off;
    }

    // --- preview -----------------------------------------------------------------------
    function refresh() {
      var body = new FormData();
      body.append("text", text.value);
      if (format) { body.append("format", format.value); }
      var number = ++asked;
      post(previewUrl, body).then(function (data) {
        if (number !== asked) { return; } // a newer preview is on its way
        preview.innerHTML = data.html; // sanitised by the server (learning/markup.py)
        follow();
        preview.setAttribute("data-md-rendered", String(number));
        if (status.classList.contains("text-danger")) { say(""); }
      }).catch(function (error) {
        if (number === asked) { say(error.message || word("failed"), true); }
      });
    }

    // Keep the preview at the same share of its length as the text, so the part being
    // written is the part shown.
    function follow() {
      var room = text.scrollHeight - text.clientHeight;
      var share = room > 0 ? text.scrollTop / room : 1;
      preview.parentNode.scrollTop = share * (preview.parentNode.scrollHeight - preview.parentNode.clientHeight);
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PAUSE);
    }

    // --- insert image or file ----------------------------------------------------------
    if (fileInput && uploadUrl) {
      fileInput.addEventListener("change", function () {
        var file = fileInput.files && fileInput.files[0];
        if (!file) { return; }
        var start = text.selectionStart, end = text.selectionEnd;
        var body = new FormData();
        body.append("file", file);
        say(word("uploading").replace("{name}", file.name));
        post(uploadUrl, body).then(function (data) {
          text.setSelectionRange(start, end);
          insertBlock(data.markdown);
          say(data.message || "");
        }).catch(function (error) {
          say(error.message || word("upload-failed"), true);
        }).then(function () { fileInput.value = ""; });
      });
    }

    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var action = actions[button.getAttribute("data-md-action")];
        if (action && markdownOnly()) { action(); }
      });
    });
    text.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || !markdownOnly()) { return; }
      var key = event.key.toLowerCase();
      if (key === "b" || key === "k") {
        event.preventDefault();
        actions[key === "b" ? "bold" : "link"]();
      }
    });
    text.addEventListener("input", later);
    text.addEventListener("scroll", follow);
    if (format) {
      format.addEventListener("change", function () { markdownOnly(); refresh(); });
      markdownOnly();
    }
    if (text.value && !preview.innerHTML.trim()) { refresh(); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-md-editor]"), setUp);
})();
