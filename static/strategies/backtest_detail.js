/* Backtest detail: equity vs baseline, drawdown and the regime-cell timeline (data from json_script). */
(function () {
  "use strict";
  var C = window.JutsuCharts;
  var data = C && C.readJSON("backtest-chart-data");
  if (!data) { return; }
  var P = C.palette;

  var equity = [{ x: data.dates, y: data.equity, name: data.strategy, type: "scatter", mode: "lines",
                  line: { color: P[0], width: 2 }, hovertemplate: "%{y:$,.0f}<extra>" + data.strategy + "</extra>" }];
  if (data.baseline.length) {
    equity.push({ x: data.dates, y: data.baseline, name: data.baseline_label, type: "scatter", mode: "lines",
                  line: { color: P[1], width: 1.5 }, hovertemplate: "%{y:$,.0f}<extra>" + data.baseline_label + "</extra>" });
  }
  C.plot("equity-chart", equity, { yaxis: { tickprefix: "$", tickformat: ",.0f" } });

  var drawdown = [{ x: data.dates, y: data.drawdown, name: data.strategy, type: "scatter", mode: "lines",
                    fill: "tozeroy", line: { color: "#f85149", width: 1 }, fillcolor: "rgba(248,81,73,0.25)" }];
  if (data.baseline_drawdown.length) {
    drawdown.push({ x: data.dates, y: data.baseline_drawdown, name: data.baseline_label, type: "scatter",
                    mode: "lines", line: { color: P[1], width: 1, dash: "dot" } });
  }
  C.plot("drawdown-chart", drawdown, { yaxis: { tickformat: ".0%" } });

  if (data.regime.dates.length) {
    var CELL_COLORS = { 1: "#3fb950", 2: "#a5d6a7", 3: "#4fa3ff", 4: "#e3b341", 5: "#f0883e", 6: "#f85149" };
    var labels = data.regime.cells.map(function (cell, i) {
      return (data.cell_names[String(cell)] || "") + " · " + (data.regime.trend[i] || "") + " / vol " + (data.regime.vol[i] || "");
    });
    var ticks = Object.keys(data.cell_names).map(Number);
    C.plot("regime-chart", [{
      x: data.regime.dates, y: data.regime.cells, name: "cell", type: "scatter", mode: "lines+markers",
      line: { shape: "hv", color: C.colors.line, width: 1 },
      marker: { size: 4, color: data.regime.cells.map(function (c) { return CELL_COLORS[c] || C.colors.muted; }) },
      text: labels, hovertemplate: "cell %{y} %{text}<extra></extra>"
    }], {
      showlegend: false,
      yaxis: { autorange: "reversed", tickvals: ticks,
               ticktext: ticks.map(function (c) { return c + " " + data.cell_names[String(c)]; }) }
    });
  }
})();
