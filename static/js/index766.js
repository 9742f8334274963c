/* The 766 page's monthly trend (Chart.js, vendored). No inline script (CSP): the months are in
   data-trend, or asked for at data-url once the index is on screen (onestop/web/index766.py). */
(function () {
  "use strict";
  var root = document.getElementById("index766-trend");
  if (!root) { return; }

  function draw(rows) {
    var body = document.querySelector("#trend-table tbody");
    if (body && root.dataset.url) {
      body.textContent = "";
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        var month = document.createElement("td");
        var points = document.createElement("td");
        month.textContent = r.month;
        points.className = "text-end";
        if (r.no_data) {
          points.dataset.noData = "1";
          var muted = document.createElement("span");
          muted.className = "text-muted";
          muted.textContent = root.dataset.noDataLabel;
          points.appendChild(muted);
        } else {
          points.textContent = r.points;
        }
        tr.appendChild(month);
        tr.appendChild(points);
        body.appendChild(tr);
      });
    }
    if (typeof window.Chart === "undefined") { return; }
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
  }

  if (!root.dataset.url) {
    draw(JSON.parse(root.dataset.trend || "[]"));
    return;
  }
  var status = document.getElementById("trend-status");
  fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (body) {
      if (status) { status.remove(); }
      root.dataset.loaded = "1";
      draw(body.trend);
    })
    .catch(function () { if (status) { status.textContent = root.dataset.failedLabel; } });
})();
