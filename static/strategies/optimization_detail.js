/* Optimisation detail: live progress, heatmap of any two parameters, OOS equity, Monte Carlo histograms. */
(function () {
  "use strict";
  var C = window.JutsuCharts;
  var data = C && C.readJSON("optimization-chart-data");
  if (!data) { return; }
  var P = C.palette;

  // live progress: job_status events of this run move the bar; a finished run reloads the page
  document.addEventListener("jutsu:live", function (event) {
    var msg = event.detail;
    if (!msg || msg.type !== "job_status" || msg.job !== "optimization" || msg.run_id !== data.run_id) { return; }
    var bar = document.getElementById("optimization-progress-bar");
    var text = document.getElementById("optimization-progress-text");
    if (bar) { bar.max = msg.total; bar.value = msg.done; }
    if (text) { text.textContent = msg.done + " of " + msg.total + " trials" + (msg.failed ? " (" + msg.failed + " failed)" : ""); }
    if (msg.status === "completed" || msg.status === "failed") { setTimeout(function () { window.location.reload(); }, 500); }
  });

  function numeric(values) { return values.every(function (v) { return typeof v === "number"; }); }
  function uniqueSorted(values) {
    var seen = [];
    values.forEach(function (v) { if (seen.indexOf(v) === -1) { seen.push(v); } });
    return numeric(seen) ? seen.sort(function (a, b) { return a - b; }) : seen;
  }

  function drawHeatmap() {
    if (!data.results || !data.results.length || !data.parameters.length) { return; }
    var xs = document.getElementById("heatmap-x"), ys = document.getElementById("heatmap-y");
    var px = xs ? xs.value : data.parameters[0];
    var py = ys ? ys.value : null;
    if (!py || py === px) {  // one parameter: the best value per setting as bars
      var keys = uniqueSorted(data.results.map(function (r) { return r.params[px]; }));
      var best = keys.map(function (k) {
        return Math.max.apply(null, data.results.filter(function (r) { return r.params[px] === k && r.value !== null; })
          .map(function (r) { return Number(r.value); }).concat([-Infinity]));
      });
      C.plot("heatmap-chart", [{ x: keys.map(String), y: best, type: "bar", marker: { color: P[0] }, name: data.metric }],
             { showlegend: false, xaxis: { title: { text: px } }, yaxis: { title: { text: data.metric } }, hovermode: "closest" });
      return;
    }
    var xv = uniqueSorted(data.results.map(function (r) { return r.params[px]; }));
    var yv = uniqueSorted(data.results.map(function (r) { return r.params[py]; }));
    var z = yv.map(function () { return xv.map(function () { return null; }); });
    data.results.forEach(function (r) {
      if (r.value === null || typeof r.value === "string") { return; }
      var i = yv.indexOf(r.params[py]), j = xv.indexOf(r.params[px]);
      if (z[i][j] === null || r.value > z[i][j]) { z[i][j] = r.value; }
    });
    C.plot("heatmap-chart", [{ x: xv.map(String), y: yv.map(String), z: z, type: "heatmap", colorscale: "Viridis",
                               hovertemplate: px + " %{x}<br>" + py + " %{y}<br>" + data.metric + " %{z:.3f}<extra></extra>" }],
           { showlegend: false, hovermode: "closest", xaxis: { title: { text: px }, type: "category" },
             yaxis: { title: { text: py }, type: "category" } });
  }
  ["heatmap-x", "heatmap-y"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener("change", drawHeatmap); }
  });
  drawHeatmap();

  if (data.oos_equity && data.oos_equity.length) {
    C.plot("oos-equity-chart", [{
      x: data.oos_equity.map(function (p) { return p.date; }), y: data.oos_equity.map(function (p) { return p.equity; }),
      type: "scatter", mode: "lines", name: "OOS equity", line: { color: P[0], width: 2 }
    }], { yaxis: { tickprefix: "$", tickformat: ",.0f" }, showlegend: false,
          shapes: data.windows.map(function (w, i) {
            return { type: "rect", xref: "x", yref: "paper", x0: w.start, x1: w.end, y0: 0, y1: 1, line: { width: 0 },
                     fillcolor: i % 2 ? "rgba(79,163,255,0.06)" : "rgba(0,0,0,0)" };
          }) });
  }

  if (data.histograms) {
    Object.keys(data.histograms).forEach(function (name, k) {
      var h = data.histograms[name];
      if (!h.counts || !h.counts.length) { return; }
      var mids = h.counts.map(function (_, i) { return (h.edges[i] + h.edges[i + 1]) / 2; });
      var traces = [{ x: mids, y: h.counts, type: "bar", name: name, marker: { color: P[k % P.length] } }];
      var shapes = [];
      var observed = data.observed && data.observed[name];
      if (observed !== null && observed !== undefined) {
        shapes.push({ type: "line", xref: "x", yref: "paper", x0: observed, x1: observed, y0: 0, y1: 1,
                      line: { color: C.colors.fg, dash: "dot", width: 1 } });
      }
      C.plot("mc-" + name, traces, { showlegend: false, hovermode: "closest", bargap: 0.02, shapes: shapes });
    });
  }
})();
