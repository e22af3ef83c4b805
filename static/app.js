/* Campus Inspect: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  /* The phone's own time with its UTC offset, e.g. 2026-11-21T19:02:05+08:00. */
  function localIso(d) {
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  /* A check is observed when it is sent, not when the page was loaded. */
  function stampTime(form) {
    var input = form.querySelector("input[name=observed_at]");
    if (input && !input.value) { input.value = localIso(new Date()); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("[data-stamp-time]")) { stampTime(form); }
  }, true);

  /* Browsers without :has() show every fault detail box. */
  if (window.CSS && CSS.supports && !CSS.supports("selector(:has(*))")) {
    document.documentElement.classList.add("no-has");
  }

  window.CampusInspect = { localIso: localIso };
})();
