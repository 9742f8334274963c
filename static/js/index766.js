/* The 766 page's monthly trend (Chart.js, vendored). No inline script (CSP): data in data-trend. */
(function () {
  "use strict";
  var root = document.getElementById("index766-trend");
  if (!root || typeof window.Chart === "undefined") { return; }
  var rows = JSON.parse(root.dataset.trend || "[]");
  new window.Chart(document.getElementById("chart-766"), {
    type: "line",
    data: { labels: rows.map(function (r) { return r.month; }),
            /* A month with no dossiers has points null: a gap in the line, not a full-mark point. */
            datasets: [{ label: root.dataset.label,
                         data: rows.map(function (r) { return r.points === null ? null : Number(r.points); }),
                         spanGaps: false, tension: 0.2 }] },
    options: { scales: { y: { beginAtZero: true } }, animation: false,
               plugins: { tooltip: { callbacks: { label: function (ctx) {
                 return ctx.raw === null ? root.dataset.noDataLabel : root.dataset.label + ": " + ctx.raw;
               } } } } }
  });
})();
