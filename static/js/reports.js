/* Reports pages: print buttons and the charts (Chart.js, vendored). No inline script (CSP). */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });

  var root = document.getElementById("report-charts");
  if (!root || typeof window.Chart === "undefined") { return; }
  var d = root.dataset;
  var status = document.getElementById("chart-status");

  function draw(data) {
    new window.Chart(document.getElementById("chart-rate"), {
      type: "line",
      data: { labels: data.on_time_rate.labels,
              datasets: [{ label: d.labelRate, data: data.on_time_rate.values, spanGaps: true, tension: 0.2 }] },
      options: { scales: { y: { min: 0, max: 100 } }, animation: false }
    });
    new window.Chart(document.getElementById("chart-agencies"), {
      type: "bar",
      data: { labels: data.agencies.map(function (a) { return a.agency; }),
              datasets: [{ label: d.labelOnTime, data: data.agencies.map(function (a) { return a.on_time; }) },
                         { label: d.labelLate, data: data.agencies.map(function (a) { return a.late; }) }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, animation: false }
    });
    new window.Chart(document.getElementById("chart-channels"), {
      type: "doughnut",
      data: { labels: [d.labelDirect, d.labelOnline, d.labelPostal],
              datasets: [{ data: [data.channels.direct, data.channels.online, data.channels.postal] }] },
      options: { animation: false }
    });
  }

  fetch(d.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(draw)
    .catch(function () { if (status) { status.textContent = d.error; } });
})();
