// "Use my location" on the fault form: fills the coordinates from the device, and the map's
// pin follows (faults-map.js listens for the change); the form works the same without it.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  var status = document.getElementById("locate-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("lat").dispatchEvent(new Event("change"));
      status.textContent = status.dataset.done;  // words, not ✓ (a font may lack it)
    }, function () { status.textContent = status.dataset.failed; }, { timeout: 10000 });
  });
})();
