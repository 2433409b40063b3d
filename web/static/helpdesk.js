// The request list: a click anywhere in a row opens the request (the number stays the link).
document.addEventListener("click", function (event) {
  var row = event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button, input, select")) {
    window.location.href = row.getAttribute("data-href");
  }
});
