// The jobs page (/jobs/): while a run is running, ask /jobs/progress/ every few seconds how the runs on the page
// are doing and update their rows in place (status, progress bar, duration, counts); say when another run has
// started; stop asking once nothing runs.
(function () {
  "use strict";
  var table = document.querySelector("[data-jobs-poll]");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-url");
  var others = document.querySelector("[data-job-others]");
  var EVERY = 3000;
  var failures = 0;

  function keys() {
    return Array.prototype.map.call(table.querySelectorAll("tr[data-running]"), function (row) {
      return row.getAttribute("data-job");
    });
  }

  function field(row, name) { return row.querySelector('[data-field="' + name + '"]'); }

  function fields(row, name) { return row.querySelectorAll('[data-field="' + name + '"]'); }

  function showCounts(cell, counts) {
    cell.textContent = "";
    counts.forEach(function (pair, index) {
      if (index) { cell.appendChild(document.createTextNode(" · ")); }
      var span = document.createElement("span");
      span.className = "text-nowrap";
      span.appendChild(document.createTextNode(pair[0] + " "));
      var strong = document.createElement("strong");
      strong.textContent = number(pair[1]);
      span.appendChild(strong);
      cell.appendChild(span);
    });
  }

  // Plain digits, as the page writes them.
  function number(value) { return String(Number(value || 0)); }

  function update(row, run) {
    var status = field(row, "status");
    status.textContent = run.status_label;
    status.className = "badge " + run.badge;
    fields(row, "duration").forEach(function (cell) { cell.textContent = run.duration; });
    field(row, "finished").textContent = run.finished || "—";
    fields(row, "counts").forEach(function (cell) { showCounts(cell, run.counts); });
    var progress = field(row, "progress");
    if (run.progress) {
      progress.hidden = false;
      field(row, "bar").style.width = run.progress.percent + "%";
      progress.querySelector("[role=progressbar]").setAttribute("aria-valuenow", run.progress.percent);
      field(row, "progress-text").textContent = run.progress.text;
    } else {
      progress.hidden = true;
    }
    if (!run.running) { row.removeAttribute("data-running"); }
  }

  function poll() {
    var asked = keys();
    fetch(url + "?runs=" + encodeURIComponent(asked.join(",")), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        failures = 0;
        asked.forEach(function (key) {
          var row = table.querySelector('tr[data-job="' + key + '"]');
          var run = answer.runs[key];
          if (row && run) { update(row, run); } else if (row) { row.removeAttribute("data-running"); }
        });
        if (others) { others.hidden = !answer.others.length; }
        if (answer.running) { window.setTimeout(poll, EVERY); }
      })
      .catch(function () {
        // No answer for a while (a restart, a network hiccup): try a few more times, more slowly, then stop.
        failures += 1;
        if (failures < 5) { window.setTimeout(poll, EVERY * 2); }
      });
  }

  window.setTimeout(poll, EVERY);
})();
