// "Print" buttons: a script file, not an inline handler, so the pages' CSP allows it.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
