/* Reports pages: print buttons and the charts (Chart.js, vendored). No inline script (CSP). */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });

  // Period pickers: show the year with the month or quarter list the period kind needs.
  var kindSel = document.getElementById("f-kind");
  if (kindSel) {
    var showParts = function () {
      var k = kindSel.value;
      document.querySelectorAll("[data-period-part]").forEach(function (el) {
        var part = el.getAttribute("data-period-part");
        el.hidden = part === "year" ? k === "custom" : part !== k;
      });
    };
    kindSel.addEventListener("change", showParts);
    showParts();
  }

  var root = document.getElementById("report-charts");
  if (!root || typeof window.Chart === "undefined") { return; }
  var d = root.dataset;
  var status = document.getElementById("chart-status");

  function draw(data) {
    new window.Chart(document.getElementById("chart-rate"), {
      type: "line",
      data: { labels: data.on_time_rate.labels,
              datasets: [{ label: d.labelRate, data: data.on_time_rate.values, spanGaps: true, tension: 0.2 }] },
      options: { scales: { y: { min: 0, max: 100 } }, animation: false, maintainAspectRatio: false }
    });
    new window.Chart(document.getElementById("chart-agencies"), {
      type: "bar",
      data: { labels: data.agencies.map(function (a) { return a.agency; }),
              datasets: [{ label: d.labelOnTime, data: data.agencies.map(function (a) { return a.on_time; }) },
                         { label: d.labelLate, data: data.agencies.map(function (a) { return a.late; }) }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, animation: false,
                 maintainAspectRatio: false }
    });
    new window.Chart(document.getElementById("chart-channels"), {
      type: "doughnut",
      data: { labels: [d.labelDirect, d.labelOnline, d.labelPostal],
              datasets: [{ data: [data.channels.direct, data.channels.online, data.channels.postal] }] },
      options: { animation: false, maintainAspectRatio: false }
    });
    var sat = document.getElementById("chart-satisfaction");
    if (sat && data.satisfaction) {
      new window.Chart(sat, {
        type: "doughnut",
        data: { labels: [d.labelSatisfied, d.labelDissatisfied],
                datasets: [{ data: [data.satisfaction.satisfied, data.satisfaction.dissatisfied],
                             backgroundColor: ["#198754", "#dc3545"] }] },
        options: { animation: false, maintainAspectRatio: false }
      });
    }
  }

  fetch(d.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(draw)
    .catch(function () { if (status) { status.textContent = d.error; } });
})();
