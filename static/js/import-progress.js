// While an import is checked or written, follow it through the API (/api/v1/imports/<id>/, the browser's session)
// and reload the page as soon as its status changes: the page then shows the errors, the preview or the outcome.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var status = box.getAttribute("data-status");
  var texts = JSON.parse(document.getElementById("import-progress-texts").textContent);
  var phase = box.querySelector("[data-phase]");
  var rows = box.querySelector("[data-rows]");
  var EVERY = 1500;
  var failures = 0;

  function number(value) {
    return Number(value || 0).toLocaleString(document.documentElement.lang || undefined);
  }

  function show(progress) {
    if (texts.phases[progress.phase]) { phase.textContent = texts.phases[progress.phase]; }
    var text = progress.total ? texts.rows_of : texts.rows;
    rows.textContent = text.replace("%(done)s", number(progress.done)).replace("%(total)s", number(progress.total));
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
        if (run.progress) { show(run.progress); }
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
