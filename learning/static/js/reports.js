// Report pages: the Print and Copy buttons (no inline scripts: the CSP forbids them).
document.addEventListener("click", function (event) {
  var print = event.target.closest("[data-print]");
  if (print) {
    window.print();
    return;
  }
  var copy = event.target.closest("[data-copy]");
  if (copy) {
    var field = document.getElementById(copy.getAttribute("data-copy"));
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value);
    } else {
      document.execCommand("copy");  // plain-HTTP intranets have no Clipboard API
    }
  }
});
