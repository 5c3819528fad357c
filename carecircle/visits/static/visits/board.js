// The live board (visits/board/board.html): draws today's visits on the map over the deployment's own base
// map (core/basemap.py, as the dispatch board does), and polls board/live.json to update the figures, the
// alerts (late, missed) and the map without reloading. No inline script (CSP); words come from the server.
(function () {
  "use strict";
  const COLOURS = { in_progress: "#1f77b4", verified: "#2ca02c", held: "#ff7f0e", done: "#17becf",
    not_home: "#7f7f7f", late: "#d62728", missed: "#000000" };

  function readJson(id, fallback) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : fallback;
  }

  function makeMap(element) {
    if (typeof L === "undefined") return null;
    const basemap = readJson("visits-basemap", { source: "boundaries" });
    const map = L.map(element, { attributionControl: Boolean(basemap.attribution), zoomSnap: 0.25 });
    if (basemap.source === "url" || basemap.source === "mbtiles") {
      L.tileLayer(basemap.url, { maxZoom: basemap.max_zoom || 18, minZoom: basemap.min_zoom || 0,
        attribution: basemap.attribution || "" }).addTo(map);
    }
    element.dataset.basemapSource = basemap.source;
    map.setView([31.19, 121.44], 13);
    L.control.scale({ imperial: false }).addTo(map);
    return { map, layer: L.layerGroup().addTo(map), fitted: false };
  }

  function drawPoints(state, points) {
    if (!state) return;
    state.layer.clearLayers();
    const bounds = L.latLngBounds([]);
    points.forEach((p) => {
      const colour = COLOURS[p.state] || "#555";
      const marker = L.circleMarker([p.lat, p.lng], { radius: p.state === "in_progress" ? 9 : 7, color: colour,
        fillColor: colour, fillOpacity: 0.85, weight: 2 });
      marker.bindTooltip(`${p.time} ${p.elder} · ${p.caregiver} · ${p.state_label}`);
      marker.on("click", () => { window.location.href = p.url; });
      marker.addTo(state.layer);
      bounds.extend([p.lat, p.lng]);
    });
    if (!state.fitted && bounds.isValid()) { state.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); state.fitted = true; }
  }

  function alertItem(alert) {
    const li = document.createElement("li");
    li.className = "alert alert-" + alert.state;
    li.dataset.alert = String(alert.id);
    const badge = document.createElement("span");
    badge.className = "badge " + (alert.state === "missed" ? "danger" : "warn");
    badge.textContent = alert.state_label;
    const link = document.createElement("a");
    link.href = alert.url;
    link.textContent = `${alert.time} ${alert.elder}`;
    li.append(badge, " ", link, ` · ${alert.caregiver} · ${alert.text}`);
    return li;
  }

  function update(root, data, mapState) {
    Object.keys(data.figures).forEach((name) => {
      const node = root.querySelector(`[data-figure="${name}"]`);
      if (node) node.textContent = String(data.figures[name]);
    });
    const list = root.querySelector("[data-alerts]");
    const wanted = new Map(data.alerts.map((a) => [String(a.id), a]));
    list.querySelectorAll("[data-alert]").forEach((li) => {
      const alert = wanted.get(li.dataset.alert);
      if (!alert || !li.classList.contains("alert-" + alert.state)) li.remove();
    });
    data.alerts.forEach((alert) => {
      if (!list.querySelector(`[data-alert="${alert.id}"]`)) list.appendChild(alertItem(alert));
    });
    const none = root.querySelector("[data-no-alerts]");
    if (none) none.hidden = data.alerts.length > 0;
    data.rows.forEach((row) => {
      const cell = root.querySelector(`[data-row="${row.id}"] [data-row-state]`);
      if (cell && cell.dataset.rowState !== row.state) { cell.dataset.rowState = row.state; cell.textContent = row.state_label; }
    });
    const updated = root.querySelector("[data-updated]");
    if (updated) updated.textContent = data.updated;
    drawPoints(mapState, data.points);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.querySelector("[data-visits-board]");
    if (!root) return;
    const mapElement = root.querySelector("[data-visits-map]");
    const mapState = mapElement ? makeMap(mapElement) : null;
    update(root, readJson("visits-board-data", { figures: {}, alerts: [], points: [], rows: [] }), mapState);
    const every = Math.max(5, Number(root.dataset.pollSeconds) || 15) * 1000;
    async function poll() {
      try {
        const response = await fetch(root.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) update(root, await response.json(), mapState);
      } catch (error) { /* the next poll tries again */ }
    }
    setInterval(() => { if (!document.hidden) poll(); }, every);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
    root.pollNow = poll;
  });
})();
