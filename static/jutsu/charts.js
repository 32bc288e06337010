/* The dashboard's one chart theme (offline: Plotly comes from /static/vendor/).
 * Dark layout and dark hover labels; the same colour for the same series on every page (colorFor: the
 * strategy, its baseline, the drawdown, then the palette by name); linkZoom keeps charts on one time axis
 * (zooming equity zooms drawdown and back). */
(function () {
  "use strict";
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
  var FG = color("--fg", "#e6edf3"), MUTED = color("--muted", "#8b98a5"), LINE = color("--line", "#26313d");
  var PANEL = color("--panel", "#151b23");
  var PALETTE = ["#4fa3ff", "#3fb950", "#d2a8ff", "#e3b341", "#56d4dd", "#ff7eb6"];
  var ROLE = { strategy: PALETTE[0], baseline: "#f0883e", drawdown: "#f85149", muted: MUTED };
  var assigned = {};

  // A stable colour per series name: the first strategy keeps the accent, baselines are orange on every page.
  function colorFor(name, role) {
    if (role === "baseline") { return ROLE.baseline; }
    if (!(name in assigned)) { assigned[name] = PALETTE[Object.keys(assigned).length % PALETTE.length]; }
    return assigned[name];
  }

  function layout(extra) {
    var base = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: FG, size: 12 }, margin: { l: 60, r: 16, t: 24, b: 24 },
      hovermode: "x unified", showlegend: true,
      hoverlabel: { bgcolor: PANEL, bordercolor: LINE, font: { color: FG, size: 12 } },
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

  // Zooming or panning one chart's time axis applies the same range to the others (and autoscale resets all).
  function linkZoom(ids) {
    var els = ids.map(function (id) { return document.getElementById(id); }).filter(function (el) { return el && el.on; });
    var busy = false;
    els.forEach(function (source) {
      source.on("plotly_relayout", function (change) {
        if (busy) { return; }
        var update = null;
        if (change["xaxis.range[0]"] !== undefined) {
          update = { "xaxis.range[0]": change["xaxis.range[0]"], "xaxis.range[1]": change["xaxis.range[1]"] };
        } else if (change["xaxis.range"]) {
          update = { "xaxis.range": change["xaxis.range"] };
        } else if (change["xaxis.autorange"]) {
          update = { "xaxis.autorange": true };
        }
        if (!update) { return; }
        busy = true;
        Promise.all(els.filter(function (el) { return el !== source; }).map(function (el) {
          return window.Plotly.relayout(el, update);
        })).then(function () { busy = false; }, function () { busy = false; });
      });
    });
  }

  window.JutsuCharts = { layout: layout, config: CONFIG, readJSON: readJSON, plot: plot, palette: PALETTE,
                         colorFor: colorFor, linkZoom: linkZoom, roles: ROLE,
                         colors: { fg: FG, muted: MUTED, line: LINE, panel: PANEL } };
})();
