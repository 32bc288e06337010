/* Performance page: equity (or growth) of up to three strategies plus baselines, and their drawdowns. */
(function () {
  "use strict";
  var C = window.JutsuCharts;
  var data = C && C.readJSON("performance-chart-data");
  if (!data) { return; }
  var styled = data.series.map(function (s) {
    var isBaseline = s.kind === "baseline";
    var color = C.colorFor(s.label, isBaseline ? "baseline" : "strategy");
    return { s: s, color: color, dash: isBaseline ? "dot" : "solid", width: isBaseline ? 1.5 : 2 };
  });

  function cellText(s) {
    return s.cell.length ? s.cell.map(function (c) { return c ? "cell " + c + " " + (data.cell_names[String(c)] || "") : ""; }) : null;
  }

  function equityTraces(scale) {
    return styled.map(function (t) {
      return {
        x: t.s.dates, y: scale === "growth" ? t.s.growth : t.s.equity, name: t.s.label, type: "scatter", mode: "lines",
        line: { color: t.color, width: t.width, dash: t.dash }, text: cellText(t.s),
        hovertemplate: (scale === "growth" ? "%{y:+.2%}" : "%{y:$,.0f}") + (t.s.cell.length ? " · %{text}" : "") +
          "<extra>" + t.s.label + "</extra>"
      };
    });
  }

  function equityLayout(scale) {
    return { yaxis: scale === "growth" ? { tickformat: ".0%" } : { tickprefix: "$", tickformat: ",.0f" } };
  }

  var equityPlot = C.plot("performance-equity-chart", equityTraces("equity"), equityLayout("equity"));
  // only the first strategy is filled: overlapping fills hide each other
  var drawdownPlot = C.plot("performance-drawdown-chart", styled.map(function (t, i) {
    return { x: t.s.dates, y: t.s.drawdown, name: t.s.label, type: "scatter", mode: "lines",
             line: { color: t.color, width: 1, dash: t.dash },
             fill: i === 0 ? "tozeroy" : "none", hovertemplate: "%{y:.2%}<extra>" + t.s.label + "</extra>" };
  }), { yaxis: { tickformat: ".0%" } });
  Promise.all([equityPlot, drawdownPlot]).then(function () {
    C.linkZoom(["performance-equity-chart", "performance-drawdown-chart"]);
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-scale]"), function (button) {
    button.addEventListener("click", function () {
      var scale = button.getAttribute("data-scale");
      Array.prototype.forEach.call(document.querySelectorAll("[data-scale]"), function (b) {
        b.classList.toggle("active", b === button);
      });
      window.Plotly.react("performance-equity-chart", equityTraces(scale), C.layout(equityLayout(scale)), C.config);
    });
  });
})();
