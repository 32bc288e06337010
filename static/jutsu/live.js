/* Live events from /ws/ (data_refresh, regime_change, trade_executed, job_status).
 * Every message is re-dispatched on `document` as a "jutsu:live" CustomEvent (detail = the message).
 * A page that shows stored data opts into reloading with an element such as
 *   <div data-live-reload="data_refresh regime_change" hidden></div>
 * and is reloaded (debounced, and only while visible) when one of those event types arrives. */
(function () {
  "use strict";
  if (!("WebSocket" in window)) { return; }
  var RELOAD_DELAY_MS = 1500, MAX_BACKOFF_MS = 60000;
  var backoff = 1000, reloadTimer = null, pendingReload = false;

  function reloadTypes() {
    var el = document.querySelector("[data-live-reload]");
    return el ? el.getAttribute("data-live-reload").split(/\s+/).filter(Boolean) : [];
  }

  function scheduleReload() {
    if (document.hidden) { pendingReload = true; return; }
    if (reloadTimer) { clearTimeout(reloadTimer); }
    reloadTimer = setTimeout(function () { window.location.reload(); }, RELOAD_DELAY_MS);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pendingReload) { pendingReload = false; scheduleReload(); }
  });

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try { socket = new WebSocket(scheme + window.location.host + "/ws/"); } catch (e) { return; }
    socket.addEventListener("open", function () { backoff = 1000; });
    socket.addEventListener("message", function (msg) {
      var data;
      try { data = JSON.parse(msg.data); } catch (e) { return; }
      if (!data || typeof data.type !== "string") { return; }
      document.dispatchEvent(new CustomEvent("jutsu:live", { detail: data }));
      if (reloadTypes().indexOf(data.type) !== -1) { scheduleReload(); }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4001 || event.code === 4003) { return; } // signed out or not allowed: stop
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    });
  }
  connect();
})();
