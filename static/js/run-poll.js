// Follows a run in place, for the pages of a job under way (an import, a campaign created by a worker): asks `url`
// for the run as JSON every `every` ms, hands each answer to `show`, and reloads the page once the run's status is no
// longer `status` (the page then shows the outcome) or after five polls without an answer (a restart, a network
// hiccup: the page itself says where the run is).
window.crmFollowRun = function (url, status, every, show) {
  "use strict";
  var failures = 0;

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
        window.setTimeout(poll, every);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) { window.location.reload(); return; }
        window.setTimeout(poll, every * 2);
      });
  }

  window.setTimeout(poll, every);
};
