// Installs the shop's service worker (static/sw.js, served at /sw.js): it keeps the stylesheet and
// scripts for offline use and shows an "offline" page when the network is gone. A file of its own
// because the Content-Security-Policy allows no inline script.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
      console.warn("Mooncart: no offline support in this browser", error);
    });
  });
}
