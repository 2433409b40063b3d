// The place of a fault picked on a map (Leaflet): a click, a dragged pin, or Enter on the
// focused map (the pin goes to its centre; arrow keys pan, + and - zoom) fills the latitude
// and longitude fields; typing coordinates or "Use my location" moves the pin. The fields stay
// the source of truth, so the form works the same without this script or without tiles.
(function () {
  var box = document.getElementById("map");
  if (!box || !window.L) return;
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var said = document.getElementById("map-status");
  var centre = box.dataset.center.split(",").map(Number);
  document.getElementById("map-field").hidden = false;  // before Leaflet measures the box

  var map = L.map(box, { keyboard: true, zoomControl: false })
    .setView(centre, Number(box.dataset.zoom));
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut })
    .addTo(map);
  L.tileLayer(box.dataset.tiles, {
    attribution: box.dataset.attribution,
    maxZoom: 19,
  }).addTo(map);
  var pin = null;

  function fixed(x) { return x.toFixed(6); }

  function place(latlng, fromFields) {
    if (pin === null) {
      pin = L.marker(latlng, { draggable: true, keyboard: false, title: box.dataset.pinTitle });
      pin.addTo(map);
      pin.on("dragend", function () { place(pin.getLatLng(), false); });
    } else {
      pin.setLatLng(latlng);
    }
    if (!fromFields) {
      lat.value = fixed(latlng.lat);
      lon.value = fixed(latlng.lng);
    }
    said.textContent = box.dataset.picked + " " + lat.value + ", " + lon.value;
  }

  map.on("click", function (e) { place(e.latlng, false); });
  // Leaflet's container takes the keyboard focus; Enter there means "here".
  map.getContainer().addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      e.preventDefault();
      place(map.getCenter(), false);
    }
  });

  function fromFields() {
    var y = parseFloat(lat.value.replace(",", "."));
    var x = parseFloat(lon.value.replace(",", "."));
    if (isFinite(y) && isFinite(x) && Math.abs(y) <= 90 && Math.abs(x) <= 180) {
      place(L.latLng(y, x), true);
      map.panTo([y, x]);
    }
  }
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  fromFields();  // coordinates kept after a refused submit show their pin again
})();
