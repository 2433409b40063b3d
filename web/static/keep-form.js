// What was typed into a form survives a change of language: the language links reload the
// page in the other language, so the fields are kept in this tab's sessionStorage (never in
// the address, where a name or a phone number would end up in logs) and put back once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-keep]");
  if (!form) return;
  var key = "okienko-keep:" + form.getAttribute("data-keep");
  function kept(el) {
    return el.name && ["hidden", "submit", "button", "password"].indexOf(el.type) < 0;
  }
  var saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(key) || "null");
    sessionStorage.removeItem(key);
  } catch (e) {
    saved = null;
  }
  if (saved) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !(el.name in saved)) return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = saved[el.name] === true;
      else if (!el.value) el.value = saved[el.name];
    });
  }
  document.querySelectorAll("nav.lang a").forEach(function (link) {
    link.addEventListener("click", function () {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el)) return;
        values[el.name] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
      });
      try {
        sessionStorage.setItem(key, JSON.stringify(values));
      } catch (e) {
        /* storage off: the page reloads empty, as before */
      }
    });
  });
})();
