/* Shared Plotly helpers for the dashboard (dark theme, offline: Plotly comes from /static/vendor/). */
(function () {
  "use strict";
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
  var FG = color("--fg", "#e6edf3"), MUTED = color("--muted", "#8b98a5"), LINE = color("--line", "#26313d");
  var PALETTE = ["#4fa3ff", "#f0883e", "#3fb950", "#d2a8ff", "#f85149", "#e3b341"];

  function layout(extra) {
    var base = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: FG, size: 12 }, margin: { l: 60, r: 16, t: 24, b: 24 },
      hovermode: "x unified", showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.08, yanchor: "top", font: { color: MUTED } },
      xaxis: { gridcolor: LINE, linecolor: LINE, zeroline: false },
      yaxis: { gridcolor: LINE, linecolor: LINE, zeroline: false, automargin: true }
    };
    extra = extra || {};
    Object.keys(extra).forEach(function (key) {
      var value = extra[key];
      if (value && typeof value === "object" && !Array.isArray(value) && base[key] && typeof base[key] === "object") {
        base[key] = Object.assign({}, base[key], value);
      } else {
        base[key] = value;
      }
    });
    return base;
  }

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function plot(elementId, traces, extraLayout) {
    var el = document.getElementById(elementId);
    if (!el || typeof window.Plotly === "undefined") { return null; }
    el.classList.add("chart-ready");
    return window.Plotly.newPlot(el, traces, layout(extraLayout), CONFIG);
  }

  window.JutsuCharts = { layout: layout, config: CONFIG, readJSON: readJSON, plot: plot, palette: PALETTE,
                         colors: { fg: FG, muted: MUTED, line: LINE } };
})();
