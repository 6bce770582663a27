// While an import is checked or written, follow it through the API (/api/v1/imports/<id>/, the browser's session)
// with run-poll.js, showing its phase and rows in place; the page reloads as soon as its status changes and then
// shows the errors, the preview or the outcome.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch || !window.crmFollowRun) { return; }
  var texts = JSON.parse(document.getElementById("import-progress-texts").textContent);
  var phase = box.querySelector("[data-phase]");
  var rows = box.querySelector("[data-rows]");

  function number(value) {
    return Number(value || 0).toLocaleString(document.documentElement.lang || undefined);
  }

  window.crmFollowRun(box.getAttribute("data-url"), box.getAttribute("data-status"), 1500, function (run) {
    if (!run.progress) { return; }
    var progress = run.progress;
    if (texts.phases[progress.phase]) { phase.textContent = texts.phases[progress.phase]; }
    var text = progress.total ? texts.rows_of : texts.rows;
    rows.textContent = text.replace("%(done)s", number(progress.done)).replace("%(total)s", number(progress.total));
  });
})();
