// Live regions: each element with data-live="URL" is replaced by what the server-sent events
// stream sends ({"html": …}). Without JavaScript the page refreshes itself (<noscript>).
document.querySelectorAll("[data-live]").forEach(function (region) {
  var source = new EventSource(region.dataset.live);
  source.onmessage = function (event) {
    var data = JSON.parse(event.data);
    if (data.html !== undefined && region.innerHTML !== data.html) {
      region.innerHTML = data.html;
    }
  };
  source.addEventListener("end", function () { source.close(); });
});
