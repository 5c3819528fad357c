// Dispatch board: positions the timeline bars and draws the caregivers' routes with Leaflet over the base map
// the deployment serves itself (core/basemap.py): the district's tile server, the project's own MBTiles tiles,
// or, with neither, the street and community boundaries with their names. No inline script (CSP).
(function () {
  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];

  function colour(index) { return COLOURS[index % COLOURS.length]; }

  function layoutTimeline(timeline) {
    const start = Number(timeline.dataset.timelineStart);
    const end = Number(timeline.dataset.timelineEnd);
    const span = end - start;
    timeline.querySelectorAll("[data-start]").forEach((bar) => {
      let from = Number(bar.dataset.start);
      if (bar.classList.contains("timeline-hour")) from *= 60;
      const to = bar.dataset.end ? Number(bar.dataset.end) : from;
      const left = Math.max(0, Math.min(100, ((from - start) / span) * 100));
      const right = Math.max(0, Math.min(100, ((to - start) / span) * 100));
      bar.style.left = left + "%";
      if (bar.dataset.end) bar.style.width = Math.max(0.4, right - left) + "%";
    });
  }

  function drawMap(element) {
    const source = document.getElementById(element.dataset.dispatchMap);
    if (!source || typeof L === "undefined") return;
    const data = JSON.parse(source.textContent);
    const configSource = document.getElementById(element.dataset.basemap || "");
    const basemap = configSource ? JSON.parse(configSource.textContent) : { source: "boundaries" };
    const map = L.map(element, { attributionControl: Boolean(basemap.attribution), zoomSnap: 0.25 });
    const bounds = L.latLngBounds([]);
    if (basemap.source === "url" || basemap.source === "mbtiles") {
      const tiles = L.tileLayer(basemap.url, {
        maxZoom: basemap.max_zoom || 18, minZoom: basemap.min_zoom || 0, attribution: basemap.attribution || "",
      });
      tiles.on("tileerror", () => element.classList.add("basemap-partial"));
      tiles.addTo(map);
      element.dataset.basemapSource = basemap.source;
    }
    let regions = null;
    if (basemap.source !== "url" && basemap.source !== "mbtiles" && data.regions && data.regions.features.length) {
      // Added once the view is set: permanent labels need a map with a centre and zoom.
      regions = L.geoJSON(data.regions, {
        style: (feature) => feature.properties.kind === "street"
          ? { color: "#7a8694", weight: 2, fill: false, dashArray: "6 4" }
          : { color: "#9aa5b1", weight: 1, fillColor: "#e9edf1", fillOpacity: 0.5 },
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 3, color: "#7a8694", weight: 1 }),
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.name, {
          permanent: feature.properties.kind !== "street", direction: "center", className: "region-label",
        }),
      });
    }
    data.caregivers.forEach((caregiver) => {
      const c = colour(caregiver.colour);
      const path = [caregiver.home].concat(caregiver.stops.map((s) => [s.lat, s.lng]), [caregiver.end]);
      if (caregiver.stops.length) L.polyline(path, { color: c, weight: 3, opacity: 0.8 }).addTo(map);
      L.circleMarker(caregiver.home, { radius: 6, color: c, fillColor: "#fff", fillOpacity: 1, weight: 3 })
        .bindTooltip(caregiver.name).addTo(map);
      bounds.extend(caregiver.home);
      caregiver.stops.forEach((stop) => {
        L.circleMarker([stop.lat, stop.lng], { radius: 7, color: c, fillColor: c, fillOpacity: 0.9 })
          .bindTooltip(`${caregiver.name}：${stop.label}`).addTo(map);
        bounds.extend([stop.lat, stop.lng]);
      });
    });
    data.unscheduled.forEach((stop) => {
      L.circleMarker([stop.lat, stop.lng], { radius: 7, color: "#000", fillColor: "#fff", fillOpacity: 1, dashArray: "2" })
        .bindTooltip(stop.label).addTo(map);
      bounds.extend([stop.lat, stop.lng]);
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else if (regions) map.fitBounds(regions.getBounds(), { padding: [16, 16] });
    else map.setView([31.2, 121.44], 13);
    if (regions) {
      regions.addTo(map);
      regions.bringToBack();
      element.dataset.basemapSource = "boundaries";
    }
    L.control.scale({ imperial: false }).addTo(map);
  }

  function paintSwatches() {
    document.querySelectorAll("[class*='colour-']").forEach((el) => {
      const match = el.className.match(/colour-(\d+)/);
      if (!match) return;
      const c = colour(Number(match[1]));
      if (el.classList.contains("swatch")) el.style.background = c;
      else { el.style.background = c; el.style.borderColor = c; }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".timeline").forEach(layoutTimeline);
    document.querySelectorAll("[data-dispatch-map]").forEach(drawMap);
    paintSwatches();
  });
})();
