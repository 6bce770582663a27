// The funnel of a campaign page, drawn with plotly.js (served from our own host) from the page's #chart-data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var element = document.querySelector("[data-chart='funnel']");
  if (!element || !data.funnel.length) { return; }
  Plotly.newPlot(element, [{
    type: "funnel", y: data.funnel.map(function (s) { return s.label; }), x: data.funnel.map(function (s) { return s.plans; }),
    textinfo: "value+percent initial", marker: { color: "#0d6efd" }, hovertemplate: "%{y}: %{x}<extra></extra>",
  }], {
    font: { family: getComputedStyle(document.body).fontFamily, size: 11 }, height: 220, showlegend: false,
    margin: { l: 64, r: 8, t: 8, b: 8 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  }, { displayModeBar: false, responsive: true });
})();
