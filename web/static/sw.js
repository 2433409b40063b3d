// The e-ticket's service worker: shows the office's Web Push messages ("Zapraszamy do
// stanowiska 3") and opens the ticket's page when the notification is tapped.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Okienko", {
    body: data.body || "", data: { url: data.url || "/" }, tag: data.url || "okienko",
    renotify: true, requireInteraction: true
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
