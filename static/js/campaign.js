// Campaign pages: the funnel of a campaign page, drawn with plotly.js (served from our own host) from the page's
// #chart-data; and the industry picker of the campaign form (checkboxes grouped by segment, which post the
// `industries` field without this script too): a filter box, "select all in segment" and the count ticked.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  var element = document.querySelector("[data-chart='funnel']");
  if (!source || !element || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  if (!data.funnel.length) { return; }
  // A funnel of horizontal bars, each with its plans and its share of the first stage (plotly.js's partial bundle
  // has bar, scatter and pie, not the funnel trace).
  var plans = data.funnel.map(function (s) { return s.plans; });
  var first = plans[0];
  var steps = data.funnel.slice().reverse();  // the first stage on top
  Plotly.newPlot(element, [{
    type: "bar", orientation: "h", y: steps.map(function (s) { return s.label; }), x: steps.map(function (s) { return s.plans; }),
    text: steps.map(function (s) { return s.plans + (first ? " · " + (100 * s.plans / first).toFixed(1) + "%" : ""); }),
    textposition: "auto", marker: { color: "#0d6efd" }, hovertemplate: "%{y}: %{x}<extra></extra>",
  }], {
    font: { family: getComputedStyle(document.body).fontFamily, size: 11 }, height: 220, showlegend: false,
    margin: { l: 64, r: 8, t: 8, b: 8 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: { visible: false, fixedrange: true }, yaxis: { fixedrange: true, automargin: true },
  }, { displayModeBar: false, responsive: true });
})();

(function () {
  "use strict";
  document.querySelectorAll("[data-industry-picker]").forEach(function (picker) {
    var filter = picker.querySelector("[data-picker-filter]");
    var count = picker.querySelector("[data-picker-count]");
    var empty = picker.querySelector("[data-picker-empty]");
    var groups = Array.prototype.slice.call(picker.querySelectorAll(".industry-group"));
    var boxes = function (scope) { return Array.prototype.slice.call(scope.querySelectorAll("input[type=checkbox]")); };
    var shown = function (box) { return !box.closest(".industry-choice").hidden; };

    function update() {
      var ticked = boxes(picker).filter(function (box) { return box.checked; }).length;
      count.textContent = ticked ? count.dataset.templateSome.replace("{count}", ticked) : count.dataset.templateNone;
      groups.forEach(function (group) {
        var button = group.querySelector("[data-select-segment]");
        var visible = boxes(group).filter(shown);
        var all = visible.length > 0 && visible.every(function (box) { return box.checked; });
        button.setAttribute("aria-pressed", all ? "true" : "false");
        button.textContent = all ? button.dataset.labelNone : button.dataset.labelAll;
      });
    }

    function applyFilter() {
      var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var any = false;
      groups.forEach(function (group) {
        var heading = group.querySelector("[id^=segment-]").textContent.toLowerCase();
        var groupHits = 0;
        group.querySelectorAll(".industry-choice").forEach(function (choice) {
          var text = (choice.textContent + " " + heading).toLowerCase();
          var hit = words.every(function (word) { return text.indexOf(word) !== -1; });
          choice.hidden = !hit;
          groupHits += hit ? 1 : 0;
        });
        group.hidden = groupHits === 0;
        any = any || groupHits > 0;
      });
      empty.hidden = any;
      update();
    }

    picker.querySelector("[data-picker-tools]").hidden = false;
    groups.forEach(function (group) {
      var button = group.querySelector("[data-select-segment]");
      button.dataset.labelAll = button.textContent;
      button.dataset.labelNone = picker.dataset.labelUntickSegment || button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        // the industries of the segment that the filter shows: all ticked, or, when they all are, all unticked
        var visible = boxes(group).filter(shown);
        var all = visible.every(function (box) { return box.checked; });
        visible.forEach(function (box) { box.checked = !all; });
        update();
      });
    });
    picker.querySelector("[data-picker-clear]").addEventListener("click", function () {
      boxes(picker).forEach(function (box) { box.checked = false; });
      update();
      filter.focus();
    });
    filter.addEventListener("input", applyFilter);
    // Enter in the filter box must not send the form
    filter.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
    picker.addEventListener("change", update);
    update();
  });
})();
