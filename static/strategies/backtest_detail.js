/* Backtest detail: equity vs baseline, drawdown (linked zoom) and the regime timeline from json_script
 * (downsampled; "Full resolution" fetches every point); trade pages swapped in place; an unfinished run
 * waits for its job_status live event (or polls its status) and then shows its results without a reload. */
(function () {
  "use strict";
  var C = window.JutsuCharts;
  var POLL_MS = 2000;

  function draw(data) {
    if (!C || !data) { return; }
    var strategyColor = C.colorFor(data.strategy, "strategy"), baseColor = C.colorFor(data.baseline_label, "baseline");
    var equity = [{ x: data.dates, y: data.equity, name: data.strategy, type: "scatter", mode: "lines",
                    line: { color: strategyColor, width: 2 }, hovertemplate: "%{y:$,.0f}<extra>" + data.strategy + "</extra>" }];
    if (data.baseline.length) {
      equity.push({ x: data.dates, y: data.baseline, name: data.baseline_label, type: "scatter", mode: "lines",
                    line: { color: baseColor, width: 1.5, dash: "dot" },
                    hovertemplate: "%{y:$,.0f}<extra>" + data.baseline_label + "</extra>" });
    }
    var drawdown = [{ x: data.dates, y: data.drawdown, name: data.strategy, type: "scatter", mode: "lines",
                      fill: "tozeroy", line: { color: strategyColor, width: 1 }, fillcolor: "rgba(79,163,255,0.18)",
                      hovertemplate: "%{y:.2%}<extra>" + data.strategy + "</extra>" }];
    if (data.baseline_drawdown.length) {
      drawdown.push({ x: data.dates, y: data.baseline_drawdown, name: data.baseline_label, type: "scatter",
                      mode: "lines", line: { color: baseColor, width: 1, dash: "dot" },
                      hovertemplate: "%{y:.2%}<extra>" + data.baseline_label + "</extra>" });
    }
    var plots = [C.plot("equity-chart", equity, { yaxis: { tickprefix: "$", tickformat: ",.0f" } }),
                 C.plot("drawdown-chart", drawdown, { yaxis: { tickformat: ".0%" } })];
    if (data.regime.dates.length) { plots.push(drawRegime(data)); }
    Promise.all(plots).then(function () { C.linkZoom(["equity-chart", "drawdown-chart", "regime-chart"]); });
    var note = document.getElementById("points-note");
    if (note) {
      note.textContent = data.points < data.points_total
        ? data.points + " of " + data.points_total + " days shown (every peak and trough kept)"
        : "all " + data.points_total + " days shown";
    }
  }

  function drawRegime(data) {
    var CELL_COLORS = { 1: "#3fb950", 2: "#a5d6a7", 3: "#4fa3ff", 4: "#e3b341", 5: "#f0883e", 6: "#f85149" };
    var labels = data.regime.cells.map(function (cell, i) {
      return (data.cell_names[String(cell)] || "") + " · " + (data.regime.trend[i] || "") + " / vol " + (data.regime.vol[i] || "");
    });
    var ticks = Object.keys(data.cell_names).map(Number);
    return C.plot("regime-chart", [{
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

  function wireFullResolution() {
    var button = document.getElementById("full-resolution");
    if (!button) { return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch(button.getAttribute("data-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (full) { draw(full); button.hidden = true; })
        .catch(function () { button.disabled = false; });
    });
  }

  function wireTradePages() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-trades-page]");
      var box = document.getElementById("backtest-trades");
      if (!link || !box) { return; }
      event.preventDefault();
      fetch(box.getAttribute("data-trades-url") + "?trades=" + link.getAttribute("data-trades-page"), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { box.outerHTML = html; document.getElementById("trades").scrollIntoView(); });
    });
  }

  // An unfinished run: on its job_status event (or a poll) that says it finished, show the finished page.
  function waitForResult() {
    var box = document.getElementById("backtest-waiting");
    if (!box) { return; }
    var runId = Number(box.getAttribute("data-run-id")), done = false, timer = null;
    function finish() {
      if (done) { return; }
      done = true;
      if (timer) { clearInterval(timer); }
      fetch(window.location.pathname, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          document.querySelector("main").innerHTML = page.querySelector("main").innerHTML;
          draw(C && C.readJSON("backtest-chart-data"));
          wireFullResolution();
        });
    }
    function check(status) { if (status === "completed" || status === "failed") { finish(); } }
    document.addEventListener("jutsu:live", function (event) {
      var msg = event.detail;
      if (msg && msg.type === "job_status" && msg.job === "backtest" && msg.run_id === runId) { check(msg.status); }
    });
    timer = setInterval(function () {
      fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) { check(s.status); })
        .catch(function () { /* the next poll tries again */ });
    }, POLL_MS);
  }

  draw(C && C.readJSON("backtest-chart-data"));
  wireFullResolution();
  wireTradePages();
  waitForResult();
})();
