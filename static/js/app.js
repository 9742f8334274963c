// onestop: progressive enhancement only; every page works without script.
(function () {
  "use strict";

  // The page's words (templates/base.html puts them on <body> from the catalogue).
  var words = document.body.dataset;
  var T = { working: words.tWorking || "…", preparing: words.tPreparing || "…", received: words.tReceived || "",
            failed: words.tFailed || "" };

  function busy(button, label) {
    button.setAttribute("aria-busy", "true");
    button.dataset.label = button.innerHTML;
    button.classList.add("disabled");
    var spinner = document.createElement("span");
    spinner.className = "spinner-border spinner-border-sm me-1";
    spinner.setAttribute("aria-hidden", "true");
    button.textContent = " " + label;
    button.prepend(spinner);
  }

  function idle(button) {
    button.removeAttribute("aria-busy");
    button.classList.remove("disabled");
    if (button.dataset.label) { button.innerHTML = button.dataset.label; }
  }

  // Long downloads (Excel/CSV exports): fetch with a visible progress text, then save.
  function download(link) {
    if (!window.fetch || !window.URL || !window.Blob) { return false; }
    busy(link, T.preparing);
    var status = document.getElementById("progress-status");
    fetch(link.href, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) { throw new Error(String(resp.status)); }
      var total = Number(resp.headers.get("Content-Length")) || 0;
      var name = (resp.headers.get("Content-Disposition") || "").match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
      var reader = resp.body && resp.body.getReader ? resp.body.getReader() : null;
      if (!reader) { return resp.blob().then(function (b) { return [b, name]; }); }
      var chunks = [], got = 0;
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { return [new Blob(chunks, { type: resp.headers.get("Content-Type") || "" }), name]; }
          chunks.push(r.value); got += r.value.length;
          var msg = T.received + " " + Math.round(got / 1024) + " KB" + (total ? " / " + Math.round(total / 1024) + " KB" : "");
          if (status) { status.textContent = msg; }
          return pump();
        });
      }
      return pump();
    }).then(function (res) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(res[0]);
      a.download = res[1] ? decodeURIComponent(res[1][1]) : "";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      if (status) { status.textContent = ""; }
      idle(link);
    }).catch(function () {
      idle(link);
      if (status) { status.textContent = T.failed; } else { window.alert(T.failed); }
    });
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); ev.stopImmediatePropagation(); return; }
        // Confirmed here: tell the server, which otherwise answers with its own confirmation step.
        if (el.form && el.form.elements.confirmed) { el.form.elements.confirmed.value = "1"; }
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("a[data-download]").forEach(function (link) {
      link.addEventListener("click", function (ev) {
        if (link.getAttribute("aria-busy") === "true") { ev.preventDefault(); return; }
        if (download(link)) { ev.preventDefault(); }
      });
    });
    // Long form posts (imports, closing a period, bulk actions): one click, visible progress.
    document.querySelectorAll("form[data-progress]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        var button = ev.submitter || form.querySelector("[type=submit]");
        if (form.dataset.sent === "1") { ev.preventDefault(); return; }
        form.dataset.sent = "1";
        if (button) { busy(button, T.working); }
      });
    });
  });
}());
