// Dates typed the Vietnamese way (dd/mm/yyyy) whatever the browser's language: every
// <input data-datepicker> gets the vendored flatpickr with its Vietnamese locale. The input
// stays a plain text field the clerk may type into; the server parses dd/mm/yyyy itself, so
// without script (or with the picker closed) typing works the same.
(function () {
  "use strict";
  if (typeof window.flatpickr !== "function") { return; }
  var lang = (document.documentElement.getAttribute("lang") || "vi").slice(0, 2);
  var locale = lang === "vi" && window.flatpickr.l10ns && window.flatpickr.l10ns.vn ? "vn" : "default";
  document.querySelectorAll("input[data-datepicker]").forEach(function (input) {
    window.flatpickr(input, {
      dateFormat: "d/m/Y",
      allowInput: true,
      disableMobile: true,   // the phone's native picker would follow the phone's locale
      locale: locale === "vn" ? window.flatpickr.l10ns.vn : undefined,
      weekNumbers: false,
      onReady: function (_d, _s, fp) { fp.calendarContainer.setAttribute("aria-label", input.getAttribute("aria-label") || document.body.dataset.tCalendar || ""); }
    });
  });
})();
