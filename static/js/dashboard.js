// Charts of the KPI dashboard, drawn with plotly.js (served from our own host) from the page's #chart-data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var config = { displayModeBar: false, responsive: true, staticPlot: false };
  var font = { family: getComputedStyle(document.body).fontFamily, size: 11 };

  function layout(extra) {
    return Object.assign({
      font: font, margin: { l: 44, r: 8, t: 26, b: 28 }, height: 190, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    }, extra);
  }

  function trend(element) {
    var series = data.series.find(function (s) { return s.code === element.dataset.metric; });
    var ratio = series.unit === "ratio";
    var traces = [{
      x: data.months, y: series.values, type: "scatter", mode: "lines+markers", name: series.label,
      connectgaps: false, line: { color: "#0d6efd" },
      hovertemplate: ratio ? "%{x}: %{y:.1%}<extra></extra>" : "%{x}: %{y:,}<extra></extra>",
    }];
    if (series.target !== null) {
      traces.push({
        x: data.months, y: data.months.map(function () { return series.target; }), type: "scatter", mode: "lines",
        name: data.labels.target, line: { color: "#dc3545", dash: "dash", width: 1 }, hoverinfo: "skip",
      });
    }
    Plotly.newPlot(element, traces, layout({
      title: { text: series.label, font: { size: 12 }, x: 0.02 },
      yaxis: { tickformat: ratio ? ".0%" : "~s", rangemode: "tozero", automargin: true },
      xaxis: { type: "category", tickangle: 0, nticks: 6 },
    }), config);
  }

  function tiers(element) {
    Plotly.newPlot(element, [{
      type: "pie", hole: 0.5, sort: false, labels: data.tiers.map(function (t) { return t.label; }),
      values: data.tiers.map(function (t) { return t.customers; }),
      marker: { colors: ["#b02a37", "#fd7e14", "#6c757d"] }, textinfo: "label+percent", automargin: true,
    }], layout({ showlegend: false, margin: { l: 24, r: 24, t: 24, b: 24 } }), config);
  }

  function load(element) {
    var loadData = data.load;
    var height = Math.max(160, 22 * loadData.names.length + 50);
    Plotly.newPlot(element, [{
      type: "bar", orientation: "h", y: loadData.names, x: loadData.customers, name: data.labels.customers,
      marker: { color: loadData.customers.map(function (n) { return n > loadData.capacity ? "#dc3545" : "#0d6efd"; }) },
      hovertemplate: "%{y}: %{x}<extra></extra>",
    }], layout({
      height: height, margin: { l: 80, r: 8, t: 8, b: 28 }, yaxis: { autorange: "reversed", type: "category" },
      shapes: [{ type: "line", x0: loadData.capacity, x1: loadData.capacity, yref: "paper", y0: 0, y1: 1,
                 line: { color: "#dc3545", dash: "dash", width: 1 } }],
      annotations: [{ x: loadData.capacity, yref: "paper", y: 1, text: data.labels.capacity, showarrow: false,
                      font: { size: 10, color: "#dc3545" }, xanchor: "left" }],
    }), config);
  }

  var draw = { trend: trend, tiers: tiers, load: load };
  document.querySelectorAll("[data-chart]").forEach(function (element) { draw[element.dataset.chart](element); });
})();
