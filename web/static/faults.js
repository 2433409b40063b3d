// "Use my location" on the fault form: fills the coordinates from the device (no map tiles
// are loaded; the form works the same without this script).
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
      status.textContent = "✓";
    }, function () { status.textContent = "✗"; }, { timeout: 10000 });
  });
})();
