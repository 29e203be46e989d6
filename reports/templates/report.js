(function () {
  "use strict";
  // Offline filters for the findings. Without JavaScript the form stays hidden and every finding is shown.
  var form = document.getElementById("filters");
  if (!form) { return; }
  var items = document.querySelectorAll("[data-f]");
  var groups = document.querySelectorAll("[data-group]");
  var counter = document.getElementById("filter-count");

  function chosen(name) {
    var set = {};
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) { set[box.value] = box.checked; });
    return set;
  }

  function apply() {
    var layer = chosen("layer"), severity = chosen("severity"), status = chosen("status");
    var shown = 0, total = 0;
    items.forEach(function (el) {
      var ok = !!(layer[el.dataset.layer] && severity[el.dataset.severity] && status[el.dataset.status]);
      if (el.hidden === ok) { el.hidden = !ok; }  // touch the DOM only on change: 10^5 findings in a big report
      if (el.classList.contains("finding")) { total += 1; if (ok) { shown += 1; } }
    });
    groups.forEach(function (g) {
      var empty = !g.querySelector("[data-f]:not([hidden])");
      if (g.hidden !== empty) { g.hidden = empty; }
    });
    counter.textContent = shown + " / " + total;
  }

  function preset(statuses) {
    form.querySelectorAll("input").forEach(function (box) {
      box.checked = box.name !== "status" || statuses === null || statuses.indexOf(box.value) >= 0;
    });
    apply();
  }

  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("preset-problems").addEventListener("click", function () {
    preset(["FAIL", "ERROR", "WARN"]);
  });
  document.getElementById("preset-all").addEventListener("click", function () { preset(null); });

  // Printing shows every finding's details, then restores what the reader had open.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    // passed and not-applicable findings print as their one-line summary; everything else prints in full
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      if (d.dataset.status === "PASS" || d.dataset.status === "NOT_APPLICABLE") { return; }
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  form.hidden = false;
  apply();
}());
