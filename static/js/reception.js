// Reception form: procedure search (code or accent-free name) feeding a <datalist>,
// and the chosen procedure's document checklist. Progressive enhancement only:
// without script the server resolves the typed code/name and re-renders the checklist.
(function () {
  "use strict";
  var form = document.getElementById("reception-form");
  if (!form) { return; }
  var input = document.getElementById("procedure");
  var list = document.getElementById("procedure-options");
  var info = document.getElementById("procedure-info");
  var checklist = document.getElementById("checklist");
  var url = form.getAttribute("data-search-url");
  var cache = {};
  var timer = null;
  var shownCode = null;

  function codeOf(text) {
    var m = /^\s*(\d{1,2}\.\d{6})\b/.exec(text || "");
    return m ? m[1] : null;
  }

  function fetchItems(q, done) {
    if (cache[q]) { done(cache[q]); return; }
    fetch(url + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { cache[q] = items; done(items); })
      .catch(function () { done([]); });
  }

  function fillList(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (p) {
      var opt = document.createElement("option");
      opt.value = p.label;
      list.appendChild(opt);
    });
  }

  var previewUrl = form.getAttribute("data-preview-url");
  var panel = document.getElementById("procedure-panel");
  var channel = document.getElementById("channel");

  // The panel (limit, fees, chain, the due time the receipt will print and why) from the server,
  // which computes it with the same deadline code as the reception itself.
  function loadPanel(code) {
    if (!panel || !previewUrl || !code) { return; }
    var q = "?procedure=" + encodeURIComponent(code) + "&channel=" + encodeURIComponent(channel ? channel.value : "direct");
    fetch(previewUrl + q, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        panel.innerHTML = data.html;
        info.textContent = data.code + " — " + data.name + " · " + data.limit_text;
      })
      .catch(function () {});
  }
  if (channel) { channel.addEventListener("change", function () { loadPanel(shownCode); }); }

  // Every error is listed at once; the cursor goes to the first one.
  var first = form.getAttribute("data-first-error");
  if (first) {
    var target = document.getElementById(first);
    if (target && target.focus) { target.focus(); }
  }
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("a[data-field]") : null;
      if (!a) { return; }
      var el = document.getElementById(a.getAttribute("data-field"));
      if (el) { ev.preventDefault(); el.focus(); }
    });
  }

  function showProcedure(p) {
    if (!p || p.code === shownCode) { return; }
    shownCode = p.code;
    loadPanel(p.code);
    info.textContent = p.code + " — " + p.name
      + (p.lien_thong ? " · " + (checklist.getAttribute("data-lien-thong-label") || "") : "");
    while (checklist.firstChild) { checklist.removeChild(checklist.firstChild); }
    if (!p.documents.length) {
      var empty = document.createElement("p");
      empty.className = "text-muted small mb-0";
      empty.textContent = checklist.getAttribute("data-empty-label") || "";
      checklist.appendChild(empty);
    }
    p.documents.forEach(function (doc, i) {
      var wrap = document.createElement("div");
      wrap.className = "form-check";
      var box = document.createElement("input");
      box.type = "checkbox"; box.className = "form-check-input"; box.name = "documents";
      box.value = String(i); box.id = "doc-" + i;
      var label = document.createElement("label");
      label.className = "form-check-label"; label.htmlFor = box.id; label.textContent = doc;
      // The component's scan (same input as the server-rendered checklist, templates/reception/new.html).
      var scan = document.createElement("input");
      scan.type = "file"; scan.className = "form-control form-control-sm mt-1";
      scan.name = "scan_" + (i + 1); scan.id = scan.name;
      scan.accept = "application/pdf,image/jpeg,image/png";
      scan.setAttribute("aria-label", (checklist.getAttribute("data-scan-label") || "") + ": " + doc);
      wrap.className = "form-check mb-2";
      wrap.appendChild(box); wrap.appendChild(label); wrap.appendChild(scan);
      checklist.appendChild(wrap);
    });
  }

  function resolve() {
    var text = input.value.trim();
    if (!text) { return; }
    var code = codeOf(text);
    fetchItems(code || text, function (items) {
      var hit = null;
      if (code) { hit = items.filter(function (p) { return p.code === code; })[0]; }
      else if (items.length === 1) { hit = items[0]; }
      if (hit) { showProcedure(hit); }
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { return; }
    timer = setTimeout(function () { fetchItems(q, fillList); }, 150);
  });
  input.addEventListener("change", resolve);
  input.addEventListener("blur", resolve);

  // Enter in a text input submits "receive" (the form's first, default button);
  // a Ctrl+Enter inside a textarea also submits "receive".
  form.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.ctrlKey && ev.target.tagName === "TEXTAREA") {
      ev.preventDefault();
      form.querySelector("button[value=receive]").click();
    }
  });
})();
