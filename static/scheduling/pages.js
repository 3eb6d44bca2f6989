/* Progressive enhancement for the booking pages: everything works without it.
   - Detects the browser's time zone on a booking page opened without ?tz= and
     reloads it in that zone (the server accepts browser aliases).
   - Submits the time zone form as soon as another zone is chosen. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function detectZone() {
    var holder = document.querySelector("[data-detect-zone]");
    if (!holder || !window.Intl || !Intl.DateTimeFormat) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var url = new URL(window.location.href);
    if (!zone || url.searchParams.has("tz")) return;
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  }

  function autosubmit() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function ready() { detectZone(); autosubmit(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
