// Transparency chart: data from the JSON endpoint named in data-url (CSP: no inline script/data).
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("transparency-chart");
  if (!canvas || typeof window.Chart === "undefined") { return; }
  fetch(canvas.getAttribute("data-url"), { headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (data) {
      var rows = (data.periods && data.periods.year && data.periods.year.rows) || [];
      rows = rows.filter(function (r) { return r.handled > 0; });
      if (!rows.length) { return; }
      document.getElementById("transparency-chart-box").classList.remove("d-none");
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: rows.map(function (r) { return r.name; }),
          datasets: [
            { label: canvas.getAttribute("data-label-ontime"),
              data: rows.map(function (r) { return Math.round(r.on_time_rate * 1000) / 10; }),
              backgroundColor: "#146c43" },
            { label: canvas.getAttribute("data-label-satisfaction"),
              data: rows.map(function (r) { return Math.round(r.satisfaction_rate * 1000) / 10; }),
              backgroundColor: "#0d6efd" }
          ]
        },
        options: {
          indexAxis: rows.length > 4 ? "y" : "x",
          responsive: true, maintainAspectRatio: false,
          scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
          plugins: { legend: { position: "bottom" } }
        }
      });
    })
    .catch(function () { /* the table below carries the same figures */ });
});
