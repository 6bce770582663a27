// A month's commission settlements computed by the workers (/partners/settlements/?run=<id>): the list's own JSON
// (&poll=1), followed by run-poll.js, moves the bar in place; the page reloads once the computation is over and then
// shows what it found, with the month's settlements.
(function () {
  "use strict";
  var box = document.querySelector("[data-run-poll]");
  if (!box || !window.fetch || !window.crmFollowRun) { return; }

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  window.crmFollowRun(box.getAttribute("data-url"), box.getAttribute("data-status"), 2000, function (run) {
    field("status").textContent = run.status_label;
    field("duration").textContent = run.duration;
    if (run.progress) {
      field("bar").style.width = run.progress.percent + "%";
      box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", run.progress.percent);
      field("progress-text").textContent = run.progress.text;
    }
  });
})();
