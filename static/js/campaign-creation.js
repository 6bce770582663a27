// A campaign created by a worker (/campaigns/creations/<id>/): ask the page's own JSON (?poll=1) every few seconds
// how far it is, move the bar and the step in place, and reload the page once the run is over: it then shows the
// campaign created, or why it failed.
(function () {
  "use strict";
  var box = document.querySelector("[data-creation-poll]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var status = box.getAttribute("data-status");
  var EVERY = 2000;
  var failures = 0;

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  function show(run) {
    field("status").textContent = run.status_label;
    field("duration").textContent = run.duration;
    if (run.progress) {
      field("bar").style.width = run.progress.percent + "%";
      box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", run.progress.percent);
      field("progress-text").textContent = run.progress.text;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (run) {
        failures = 0;
        if (run.status !== status) { window.location.reload(); return; }
        show(run);
        window.setTimeout(poll, EVERY);
      })
      .catch(function () {
        // No answer for a while (a restart, a network hiccup): the page itself says where the run is.
        failures += 1;
        if (failures >= 5) { window.location.reload(); return; }
        window.setTimeout(poll, EVERY * 2);
      });
  }

  window.setTimeout(poll, EVERY);
})();
