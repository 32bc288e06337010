/* Live events from /ws/ (trade_executed, regime_change, data_refresh, job_status, error).
 *
 * Every message is re-dispatched on `document` as a "jutsu:live" CustomEvent (detail = the message).
 *
 * Fragments: an element with an id and data-live-fragment="trade_executed regime_change" is refreshed in
 * place when one of those events arrives: the page's own URL is fetched again (same query string) and the
 * element's content is replaced by the same element of the fresh page — no reload, scroll and focus kept.
 * Fragments are refreshed again after a reconnect (events may have been missed while offline).
 *
 * A page may still opt into a full reload with <div data-live-reload="data_refresh" hidden></div>.
 * `error` events show a toast. A small indicator in the top bar says whether the page is live or offline
 * and reconnects with exponential backoff (1 s … 30 s, with jitter). */
(function () {
  "use strict";
  if (!("WebSocket" in window)) { return; }
  var RELOAD_DELAY_MS = 1500, FRAGMENT_DELAY_MS = 400, MAX_BACKOFF_MS = 30000, TOAST_MS = 12000;
  var backoff = 1000, reloadTimer = null, pendingReload = false, fragmentTimer = null, pendingTypes = {};
  var wasOffline = false, indicator = null, toastBox = null;

  function words(el, name) { return (el.getAttribute(name) || "").split(/\s+/).filter(Boolean); }

  function reloadTypes() {
    var el = document.querySelector("[data-live-reload]");
    return el ? words(el, "data-live-reload") : [];
  }

  function scheduleReload() {
    if (document.hidden) { pendingReload = true; return; }
    if (reloadTimer) { clearTimeout(reloadTimer); }
    reloadTimer = setTimeout(function () { window.location.reload(); }, RELOAD_DELAY_MS);
  }

  // --- fragments -----------------------------------------------------------------------------------------
  function fragmentsFor(type) {
    var all = document.querySelectorAll("[data-live-fragment][id]"), out = [];
    for (var i = 0; i < all.length; i++) {
      if (type === "*" || words(all[i], "data-live-fragment").indexOf(type) !== -1) { out.push(all[i]); }
    }
    return out;
  }

  function refreshFragments() {
    fragmentTimer = null;
    var types = Object.keys(pendingTypes);
    pendingTypes = {};
    var targets = [];
    types.forEach(function (t) { fragmentsFor(t).forEach(function (el) { if (targets.indexOf(el) === -1) { targets.push(el); } }); });
    if (!targets.length) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "jutsu-live" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        targets.forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (!next || next.innerHTML === el.innerHTML) { return; }
          el.innerHTML = next.innerHTML;
          el.classList.remove("live-flash"); void el.offsetWidth; el.classList.add("live-flash");
          el.dispatchEvent(new CustomEvent("jutsu:fragment-updated", { bubbles: true, detail: { types: types } }));
        });
      })
      .catch(function () { /* the next event or reconnect tries again */ });
  }

  function scheduleFragments(type) {
    pendingTypes[type] = true;
    if (document.hidden) { return; } // refreshed when the tab becomes visible
    if (fragmentTimer) { clearTimeout(fragmentTimer); }
    fragmentTimer = setTimeout(refreshFragments, FRAGMENT_DELAY_MS);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { return; }
    if (pendingReload) { pendingReload = false; scheduleReload(); }
    if (Object.keys(pendingTypes).length) { scheduleFragments(Object.keys(pendingTypes)[0]); }
  });

  // --- indicator and toasts -----------------------------------------------------------------------------
  function setStatus(state, text) {
    if (!indicator) {
      var bar = document.querySelector(".topbar");
      if (!bar) { return; }
      indicator = document.createElement("span");
      indicator.id = "live-status";
      indicator.setAttribute("role", "status");
      indicator.style.cssText = "font-size:12px;padding:.1rem .5rem;border-radius:999px;border:1px solid currentColor;white-space:nowrap";
      bar.appendChild(indicator);
    }
    indicator.setAttribute("data-state", state);
    indicator.style.color = state === "live" ? "#3fb950" : (state === "offline" ? "#f85149" : "#8b98a5");
    indicator.textContent = text;
    indicator.title = state === "live" ? "Receiving live updates" : "Live updates paused; the page shows what it last received";
  }

  function toast(message, severity) {
    if (!toastBox) {
      toastBox = document.createElement("div");
      toastBox.id = "live-toasts";
      toastBox.setAttribute("aria-live", "assertive");
      toastBox.style.cssText = "position:fixed;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.5rem;z-index:1000;max-width:420px";
      document.body.appendChild(toastBox);
    }
    var item = document.createElement("div");
    item.className = "live-toast live-toast-" + (severity || "error");
    item.setAttribute("role", "alert");
    item.style.cssText = "background:#2a1215;border:1px solid #f85149;color:#ffd7d5;padding:.6rem .8rem;border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,.4)";
    var text = document.createElement("span");
    text.textContent = message; // never innerHTML: the message may carry anything
    var close = document.createElement("button");
    close.type = "button"; close.textContent = "×"; close.setAttribute("aria-label", "Dismiss");
    close.style.cssText = "float:right;margin-left:.6rem;background:none;border:none;color:inherit;cursor:pointer;font-size:16px";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close); item.appendChild(text);
    toastBox.appendChild(item);
    setTimeout(function () { item.remove(); }, TOAST_MS);
  }

  function errorText(data) {
    var who = [data.source, data.strategy_id, data.mode].filter(Boolean).join(" · ");
    return (who ? who + ": " : "") + (data.message || data.detail || "error");
  }

  // --- the socket ---------------------------------------------------------------------------------------
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    setStatus("connecting", "connecting…");
    try { socket = new WebSocket(scheme + window.location.host + "/ws/"); } catch (e) { retry(); return; }
    socket.addEventListener("open", function () {
      backoff = 1000;
      setStatus("live", "live");
      if (wasOffline) { wasOffline = false; scheduleFragments("*"); } // catch up on what was missed
    });
    socket.addEventListener("message", function (msg) {
      var data;
      try { data = JSON.parse(msg.data); } catch (e) { return; }
      if (!data || typeof data.type !== "string") { return; }
      document.dispatchEvent(new CustomEvent("jutsu:live", { detail: data }));
      if (data.type === "error" && data.message) { toast(errorText(data), data.severity); }
      if (reloadTypes().indexOf(data.type) !== -1) { scheduleReload(); return; }
      if (fragmentsFor(data.type).length) { scheduleFragments(data.type); }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4001 || event.code === 4003) { setStatus("offline", "offline (signed out)"); return; }
      wasOffline = true;
      retry();
    });
  }

  function retry() {
    var delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    setStatus("offline", "offline — retrying in " + Math.ceil(delay / 1000) + " s");
    setTimeout(connect, delay);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  window.jutsuLive = { toast: toast }; // for pages (and tests) that report their own errors
  connect();
})();
