// The bar of a run under way on its page (a campaign created by a worker, a month's commission settlements): the
// element marked `data-run-poll` names the page's own JSON (`data-url`) and the run's status; run-poll.js follows it,
// and this moves the status, the duration and the bar in place. The page reloads once the run is over and then shows
// what it found.
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
