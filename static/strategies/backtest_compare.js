/* Backtest comparison: return since start and drawdown of 2–3 runs, one colour per run, linked zoom. */
(function () {
  "use strict";
  var C = window.JutsuCharts;
  var data = C && C.readJSON("compare-chart-data");
  if (!data) { return; }
  var colors = data.series.map(function (s) { return C.colorFor(s.label, "strategy"); });
  var returns = data.series.map(function (s, i) {
    return { x: s.dates, y: s.ret, name: s.label, type: "scatter", mode: "lines", line: { color: colors[i], width: 2 },
             hovertemplate: "%{y:+.2%}<extra>" + s.label + "</extra>" };
  });
  var drawdowns = data.series.map(function (s, i) {
    return { x: s.dates, y: s.drawdown, name: s.label, type: "scatter", mode: "lines", line: { color: colors[i], width: 1 },
             hovertemplate: "%{y:.2%}<extra>" + s.label + "</extra>" };
  });
  Promise.all([
    C.plot("compare-return-chart", returns, { yaxis: { tickformat: ".0%" } }),
    C.plot("compare-drawdown-chart", drawdowns, { yaxis: { tickformat: ".0%" }, showlegend: false })
  ]).then(function () { C.linkZoom(["compare-return-chart", "compare-drawdown-chart"]); });
})();
