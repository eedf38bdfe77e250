/* clock.js: the time in the top bar, in the building's time zone (data-timezone on <body>). */
(() => {
  "use strict";
  const node = document.getElementById("clock");
  if (!node) return;
  const zone = document.body.dataset.timezone || undefined;
  const format = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
    hour: "2-digit", minute: "2-digit", timeZone: zone,
  });
  const tick = () => { node.textContent = format.format(new Date()); };
  tick();
  setInterval(tick, 15000);
})();
