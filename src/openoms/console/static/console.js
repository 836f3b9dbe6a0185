// OpenOMS console: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions (buttons styled as danger).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("danger")) {
      if (!window.confirm(button.textContent.trim() + "?")) {
        event.preventDefault();
      }
    }
  });
})();

// The order form: product search (name, SKU or barcode; a scanner's Enter picks the exact
// barcode), stock per location, customer suggestions, and server-computed totals.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) { return; }
  var search = document.getElementById("sku-search");
  var list = document.getElementById("sku-suggestions");
  document.getElementById("sku-search-field").hidden = false;
  var found = [];
  var timer = null;

  function currency() { return form.elements.currency.value; }

  function rows() { return Array.prototype.slice.call(form.querySelectorAll("#lines tbody tr")); }

  function addLine(sku) {
    var empty = rows().find(function (tr) { return !tr.querySelector("input[name=sku]").value; });
    var target = rows().find(function (tr) { return tr.querySelector("input[name=sku]").value === sku.code; }) || empty;
    if (!target) { return; }
    var qty = target.querySelector("input[name=quantity]");
    target.querySelector("input[name=sku]").value = sku.code;
    qty.value = String((parseInt(qty.value, 10) || 0) + 1);
    var stock = Object.keys(sku.stock).map(function (loc) { return loc + ": " + sku.stock[loc]; }).join(", ");
    target.querySelector(".line-info").textContent = sku.name + (stock ? " — free: " + stock : " — no stock");
    list.innerHTML = "";
    search.value = "";
    search.focus();
    quoteSoon();
  }

  function show(items) {
    found = items;
    list.innerHTML = "";
    items.forEach(function (sku) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      var stock = Object.keys(sku.stock).map(function (loc) { return loc + " " + sku.stock[loc]; }).join(" · ");
      b.textContent = sku.code + " — " + sku.name + (sku.price ? " — " + sku.price : "") + (stock ? " — " + stock : "");
      b.addEventListener("click", function () { addLine(sku); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function lookup(text) {
    fetch(search.dataset.lookup + "?q=" + encodeURIComponent(text) + "&currency=" + currency(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (items) {
        var exact = items.filter(function (s) { return s.barcode === text || s.code === text; });
        if (exact.length === 1 && /^[0-9]{8,14}$/.test(text)) { addLine(exact[0]); } else { show(items); }
      });
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    var text = search.value.trim();
    if (text.length < 2) { list.innerHTML = ""; return; }
    timer = setTimeout(function () { lookup(text); }, 200);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      var text = search.value.trim();
      var exact = found.filter(function (s) { return s.barcode === text || s.code === text; });
      if (exact.length === 1) { addLine(exact[0]); } else if (text) { lookup(text); }
    }
  });

  var email = form.elements.email;
  var datalist = document.getElementById("customer-suggestions");
  email.addEventListener("input", function () {
    var text = email.value.trim();
    if (text.length < 2) { return; }
    fetch(email.dataset.lookup + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        datalist.innerHTML = "";
        items.forEach(function (c) {
          var o = document.createElement("option");
          o.value = c.email;
          o.label = c.name + (c.company ? " (" + c.company + ")" : "");
          datalist.appendChild(o);
        });
      });
  });

  var quoteTimer = null;
  function quoteSoon() { clearTimeout(quoteTimer); quoteTimer = setTimeout(quote, 250); }
  function quote() {
    var body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.quote, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (q) {
        var cells = form.querySelectorAll("[data-total]");
        if (!q.ok) {
          cells.forEach(function (c) { c.textContent = "—"; });
          return;
        }
        cells.forEach(function (c) { c.textContent = q[c.dataset.total] || ""; });
        var filled = rows().filter(function (tr) { return tr.querySelector("input[name=sku]").value; });
        filled.forEach(function (tr, i) {
          var line = q.lines[i];
          tr.querySelector(".line-total").textContent = line ? line.total : "";
        });
      });
  }
  form.addEventListener("input", function (event) {
    if (event.target !== search && event.target !== email) { quoteSoon(); }
  });
  form.addEventListener("change", quoteSoon);
  form.elements.channel.addEventListener("change", function () {
    var allowed = (form.elements.channel.selectedOptions[0].dataset.currencies || "").split(",");
    if (allowed.indexOf(currency()) < 0 && allowed[0]) { form.elements.currency.value = allowed[0]; }
  });
  quoteSoon();
})();

// The scan-to-pick screen: the code input keeps the focus, so a scanner's code and Enter
// always land in it; one scan is sent once.
(function () {
  "use strict";
  var input = document.getElementById("scan-code");
  if (!input) { return; }
  input.focus();
  document.addEventListener("click", function (event) {
    if (!event.target.closest("input, select, textarea, button, a, summary, label, details")) {
      input.focus();
    }
  });
  var sent = false;
  input.form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); }
    sent = true;
  });
})();
