// A campaign created by a worker (/campaigns/creations/<id>/): its page's own JSON (?poll=1), followed by
// run-poll.js, moves the bar and the step in place; the page reloads once the run is over and then shows the campaign
// created, or why it failed.
(function () {
  "use strict";
  var box = document.querySelector("[data-creation-poll]");
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
