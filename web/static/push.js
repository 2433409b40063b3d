// "Notify me on this phone": subscribe this browser to Web Push and tell the office.
// The button stays hidden where the browser cannot do it; SMS and e-mail remain.
(function () {
  var button = document.getElementById("push-subscribe");
  var status = document.getElementById("push-status");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  button.hidden = false;
  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function ahead() {  // the N chosen on the page, as for SMS and e-mail
    var field = document.getElementById("ahead");
    var n = field ? parseInt(field.value, 10) : 3;
    return n >= 1 && n <= 30 ? n : 3;
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(function (reg) { return navigator.serviceWorker.ready.then(function () { return reg; }); })
      .then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(button.dataset.key) });
      })
      .then(function (sub) {
        return fetch(button.dataset.url, {
          method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": button.dataset.csrf },
          body: JSON.stringify({ subscription: sub.toJSON(), ahead: ahead() }), credentials: "same-origin"
        });
      })
      .then(function (r) { status.textContent = r.ok ? button.dataset.ok : button.dataset.failed; })
      .catch(function () { status.textContent = button.dataset.failed; button.disabled = false; });
  });
})();
