// Hold countdowns (issue 14): every <time data-hold-ends="...Z"> gets "· 9:41 left" beside it in its
// [data-hold-left] sibling, updated each second; regions htmx swaps in are found on the next tick.
// Without JavaScript the printed time stands, and a reload shows the truth.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    var times = document.querySelectorAll("time[data-hold-ends]");
    for (var i = 0; i < times.length; i++) {
      var time = times[i];
      var left = time.parentNode.querySelector("[data-hold-left]");
      if (!left) continue;
      var ends = Date.parse(time.getAttribute("data-hold-ends"));
      if (isNaN(ends)) continue;
      var seconds = Math.max(0, Math.floor((ends - now) / 1000));
      var text;
      if (seconds <= 0) {
        text = " · your hold has ended: reload to see what is left";
        left.classList.add("ended");
      } else {
        var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
        text = " · " + (h ? h + ":" + pad(m) : m) + ":" + pad(s) + " left";
      }
      if (left.textContent !== text) left.textContent = text;
    }
  }
  tick();
  setInterval(tick, 1000);
})();
