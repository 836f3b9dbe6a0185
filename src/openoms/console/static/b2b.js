// OpenOMS console, the quote form: SKU suggestions, a button for one more line, and the
// totals as the server computes them. The form works without this file.
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) { return; }
  var body = form.querySelector("#lines tbody");
  var options = document.getElementById("sku-options");
  var note = document.getElementById("totals-note");
  var timer = null;
  var lookupTimer = null;

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr")); }

  function suggest(text) {
    if (!options || text.length < 2) { return; }
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(function () {
      var url = options.dataset.lookup + "?q=" + encodeURIComponent(text) + "&currency=" + form.elements.currency.value;
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          options.innerHTML = "";
          items.forEach(function (sku) {
            var o = document.createElement("option");
            o.value = sku.code;
            o.label = sku.name + (sku.price ? " — " + sku.price : "");
            options.appendChild(o);
          });
        });
    }, 200);
  }

  function addLine() {
    var last = rows()[rows().length - 1];
    var copy = last.cloneNode(true);
    var n = rows().length;
    copy.querySelectorAll("input").forEach(function (input) {
      var id = input.id.replace(/-\d+$/, "-" + n);
      var label = copy.querySelector("label[for='" + input.id + "']");
      if (label) {
        label.htmlFor = id;
        label.textContent = label.textContent.replace(/Line \d+/, "Line " + (n + 1));
      }
      input.id = id;
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll(".error-text").forEach(function (e) { e.remove(); });
    copy.querySelector(".line-info").textContent = "";
    copy.querySelector(".line-total").textContent = "";
    body.appendChild(copy);
    copy.querySelector("input[name=sku]").focus();
  }

  function show(q) {
    var cells = form.querySelectorAll("[data-total]");
    rows().forEach(function (tr) {
      tr.querySelector(".line-info").textContent = "";
      tr.querySelector(".line-total").textContent = "";
    });
    if (!q.ok) {
      cells.forEach(function (c) { c.textContent = c.dataset.total === "tax_note" ? "" : "—"; });
      note.textContent = q.error || "Add a line to see the totals.";
      return;
    }
    cells.forEach(function (c) { c.textContent = q[c.dataset.total] || ""; });
    q.lines.forEach(function (line) {
      var tr = rows()[line.row];
      if (tr) {
        tr.querySelector(".line-info").textContent = line.name;
        tr.querySelector(".line-total").textContent = line.total;
      }
    });
    note.textContent = "Totals computed by the server as you type, and again when the quote is saved.";
  }

  function totals() {
    fetch(form.dataset.totals, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { ok: false, error: "" }; })
      .then(show);
  }

  function soon() { clearTimeout(timer); timer = setTimeout(totals, 300); }

  form.addEventListener("input", function (event) {
    if (event.target.name === "sku") { suggest(event.target.value.trim()); }
    soon();
  });
  form.addEventListener("change", soon);
  form.elements.channel.addEventListener("change", function () {
    var allowed = (form.elements.channel.selectedOptions[0].dataset.currencies || "").split(",");
    if (allowed.indexOf(form.elements.currency.value) < 0 && allowed[0]) { form.elements.currency.value = allowed[0]; }
  });
  var more = document.getElementById("add-line");
  more.hidden = false;
  more.addEventListener("click", addLine);
  document.getElementById("more-lines-note").hidden = true;
  soon();
})();
