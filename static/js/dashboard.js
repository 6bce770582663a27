// Charts of the KPI dashboard, drawn with plotly.js (its partial bundle, served from our own host) from the page's
// #chart-data. The figures are plain HTML and need no script; the chart library (the URL in this script tag's
// data-chart-library) is loaded only when the first chart comes near the screen, and each chart is drawn when it
// comes near the screen itself (issue 18: a dashboard light on a phone).
(function () {
  "use strict";
  var libraryUrl = document.currentScript.dataset.chartLibrary;
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var config = { displayModeBar: false, responsive: true, staticPlot: false };
  var font = { family: getComputedStyle(document.body).fontFamily, size: 11 };

  function layout(extra) {
    return Object.assign({
      font: font, margin: { l: 44, r: 8, t: 26, b: 28 }, height: 190, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    }, extra);
  }

  // Numbers as the figures above write them: percentages with one decimal (27.3%), money with two and its unit,
  // counts whole; thousands grouped with commas, never SI suffixes (1M, 2k) in a Chinese page.
  var HOVER = {
    ratio: "%{x}: %{y:.1%}<extra></extra>",
    cny: "%{x}: %{y:,.2f} " + data.labels.money + "<extra></extra>",
    count: "%{x}: %{y:,d}<extra></extra>",
  };
  var NUMBER_AXIS = { exponentformat: "none", separatethousands: true };

  function trend(element) {
    var series = data.series.find(function (s) { return s.code === element.dataset.metric; });
    var ratio = series.unit === "ratio";
    var traces = [{
      x: data.months, y: series.values, type: "scatter", mode: "lines+markers", name: series.label,
      connectgaps: false, line: { color: "#0d6efd" },
      hovertemplate: HOVER[series.unit] || HOVER.count,
    }];
    if (series.target !== null) {
      traces.push({
        x: data.months, y: data.months.map(function () { return series.target; }), type: "scatter", mode: "lines",
        name: data.labels.target, line: { color: "#dc3545", dash: "dash", width: 1 }, hoverinfo: "skip",
      });
    }
    Plotly.newPlot(element, traces, layout({
      title: { text: series.label, font: { size: 12 }, x: 0.02 },
      yaxis: Object.assign({ tickformat: ratio ? ".1%" : ",~r", rangemode: "tozero", automargin: true }, NUMBER_AXIS),
      xaxis: { type: "category", tickangle: 0, nticks: 6 },
    }), config);
  }

  function tiers(element) {
    Plotly.newPlot(element, [{
      type: "pie", hole: 0.5, sort: false, labels: data.tiers.map(function (t) { return t.label; }),
      values: data.tiers.map(function (t) { return t.customers; }),
      // The shares as the cards write them (4.8%), not plotly's own rounding of the slices (4.85%).
      text: data.tiers.map(function (t) { return t.share_display; }), textinfo: "label+text",
      hovertemplate: "%{label}: %{value:,d} · %{text}<extra></extra>",
      marker: { colors: ["#b02a37", "#fd7e14", "#6c757d"] }, automargin: true,
    }], layout({ showlegend: false, margin: { l: 24, r: 24, t: 24, b: 24 } }), config);
  }

  function loadHeight() { return Math.max(160, 22 * data.load.names.length + 50); }

  function load(element) {
    var loadData = data.load;
    var height = loadHeight();
    Plotly.newPlot(element, [{
      type: "bar", orientation: "h", y: loadData.names, x: loadData.customers, name: data.labels.customers,
      marker: { color: loadData.customers.map(function (n) { return n > loadData.capacity ? "#dc3545" : "#0d6efd"; }) },
      hovertemplate: "%{y}: %{x:,d}<extra></extra>",
    }], layout({
      height: height, margin: { l: 80, r: 8, t: 8, b: 28 }, yaxis: { autorange: "reversed", type: "category" },
      xaxis: Object.assign({ tickformat: ",d", rangemode: "tozero" }, NUMBER_AXIS),
      shapes: [{ type: "line", x0: loadData.capacity, x1: loadData.capacity, yref: "paper", y0: 0, y1: 1,
                 line: { color: "#dc3545", dash: "dash", width: 1 } }],
      annotations: [{ x: loadData.capacity, yref: "paper", y: 1, text: data.labels.capacity, showarrow: false,
                      font: { size: 10, color: "#dc3545" }, xanchor: "left" }],
    }), config);
  }

  var draw = { trend: trend, tiers: tiers, load: load };
  var library = null;  // the promise of the chart library, once asked for

  function loadLibrary() {
    if (!library) {
      library = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = libraryUrl;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return library;
  }

  function show(element) {
    loadLibrary().then(function () {
      draw[element.dataset.chart](element);
      element.dataset.drawn = "true";
    }, function () { element.dataset.drawn = "failed"; });  // the table under each chart still has the figures
  }

  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  // Each chart's place is kept at its height before it is drawn, so that nothing under it moves when it is.
  charts.forEach(function (element) {
    if (element.dataset.chart === "load") { element.style.minHeight = loadHeight() + "px"; }
  });
  if (!("IntersectionObserver" in window)) {
    charts.forEach(show);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        show(entry.target);
      }
    });
  }, { rootMargin: "300px 0px" });  // a little ahead of the scroll, so that a chart is there when it is reached
  charts.forEach(function (element) { observer.observe(element); });
})();
