// Planning maps: coverage by street and community, the hexagon gap map, facilities, suggested sites and the
// public service map. Drawn with the vendored Leaflet over the deployment's own base map (core/basemap.py);
// with no tiles configured, the street and community boundaries are the base. No inline script (CSP).
(function () {
  function shareColour(share) {
    if (share === null || share === undefined) return "#d9dde2";
    if (share >= 0.9) return "#1a9850";
    if (share >= 0.7) return "#91cf60";
    if (share >= 0.5) return "#fee08b";
    if (share >= 0.3) return "#fc8d59";
    return "#d73027";
  }

  function baseLayer(map, element, basemap) {
    if (basemap.source === "url" || basemap.source === "mbtiles") {
      const tiles = L.tileLayer(basemap.url, {
        maxZoom: basemap.max_zoom || 18, minZoom: basemap.min_zoom || 0, attribution: basemap.attribution || "",
      });
      tiles.on("tileerror", () => element.classList.add("basemap-partial"));
      tiles.addTo(map);
      element.dataset.basemapSource = basemap.source;
      return true;
    }
    element.dataset.basemapSource = "boundaries";
    return false;
  }

  function drawMap(element) {
    const source = document.getElementById(element.dataset.planningMap);
    if (!source || typeof L === "undefined") return;
    const data = JSON.parse(source.textContent);
    const configSource = document.getElementById(element.dataset.basemap || "");
    const basemap = configSource ? JSON.parse(configSource.textContent) : { source: "boundaries" };
    const map = L.map(element, { attributionControl: Boolean(basemap.attribution), zoomSnap: 0.25 });
    baseLayer(map, element, basemap);
    const bounds = L.latLngBounds([]);
    let regions = null;
    if (data.regions && data.regions.features.length) {
      regions = L.geoJSON(data.regions, {
        style: (feature) => feature.properties.kind === "street"
          ? { color: "#56616d", weight: 2, fill: false, dashArray: "6 4" }
          : { color: "#7a8694", weight: 1, fillColor: shareColour(feature.properties.share), fillOpacity: 0.45 },
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 4, color: "#7a8694", weight: 1 }),
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.label || feature.properties.name),
      }).addTo(map);
      bounds.extend(regions.getBounds());
    }
    if (data.gaps && data.gaps.features.length) {
      const gaps = L.geoJSON(data.gaps, {
        style: () => ({ color: "#b2182b", weight: 1, fillColor: "#ef3b2c", fillOpacity: 0.35 }),
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.label),
      }).addTo(map);
      bounds.extend(gaps.getBounds());
    }
    (data.facilities || []).forEach((f) => {
      L.circleMarker([f.lat, f.lng], { radius: 6, color: "#08519c", fillColor: "#3182bd", fillOpacity: 0.9, weight: 2 })
        .bindTooltip(`${f.name}（${f.kind}）`).addTo(map);
      if (!regions) bounds.extend([f.lat, f.lng]);
    });
    const radius = data.radius_m || 0;
    (data.optimal || []).forEach((s, i) => {
      L.circle([s.lat, s.lng], { radius: radius, color: "#1a9850", weight: 1, fillOpacity: 0.08 }).addTo(map);
      L.circleMarker([s.lat, s.lng], { radius: 8, color: "#1a9850", fillColor: "#1a9850", fillOpacity: 1 })
        .bindTooltip(`${i + 1}. ${s.name}：+${s.gain}`).addTo(map);
      bounds.extend([s.lat, s.lng]);
    });
    (data.naive || []).forEach((s, i) => {
      L.circleMarker([s.lat, s.lng], { radius: 8, color: "#762a83", fillColor: "#fff", fillOpacity: 1, weight: 3 })
        .bindTooltip(`${i + 1}. ${s.name}：+${s.gain}`).addTo(map);
      bounds.extend([s.lat, s.lng]);
    });
    if (data.origin) {
      L.circleMarker(data.origin, { radius: 9, color: "#000", fillColor: "#ffd400", fillOpacity: 1, weight: 2 }).addTo(map);
      bounds.extend(data.origin);
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
    else map.setView([31.2, 121.44], 13);
    L.control.scale({ imperial: false }).addTo(map);
  }

  function locateButton(button) {
    if (!("geolocation" in navigator)) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.geolocation.getCurrentPosition((position) => {
        const form = button.closest("form");
        form.querySelector("[data-my-lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[data-my-lng]").value = position.coords.longitude.toFixed(6);
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-planning-map]").forEach(drawMap);
    document.querySelectorAll("[data-locate]").forEach(locateButton);
  });
})();
