// A delivery round on the map: the canteen, each door numbered in the planned order and the way between them,
// drawn with the vendored Leaflet over the deployment's own base map (core/basemap.py); with no tiles
// configured, the boundaries of the communities the round passes through are the base. No inline script (CSP).
(function () {
  function draw(element) {
    const source = document.getElementById(element.dataset.roundMap);
    if (!source || typeof L === "undefined") return;
    const data = JSON.parse(source.textContent);
    const basemap = data.basemap || { source: "boundaries" };
    const map = L.map(element, { attributionControl: Boolean(basemap.attribution), zoomSnap: 0.25 });
    const home = [data.canteen.lat, data.canteen.lng];
    const bounds = L.latLngBounds([home, home]);
    data.stops.forEach((stop) => bounds.extend([stop.lat, stop.lng]));
    map.fitBounds(bounds.pad(0.1), { maxZoom: 17 });  // the view first: layers are drawn into it
    if (basemap.source === "url" || basemap.source === "mbtiles") {
      L.tileLayer(basemap.url, {
        maxZoom: basemap.max_zoom || 18, minZoom: basemap.min_zoom || 0, attribution: basemap.attribution || "",
      }).addTo(map);
    } else if (data.regions && data.regions.features.length) {
      L.geoJSON(data.regions, {
        style: () => ({ color: "#7a8694", weight: 1, fillColor: "#d9dde2", fillOpacity: 0.3 }),
        onEachFeature: (feature, shape) => shape.bindTooltip(feature.properties.name),
      }).addTo(map);
    }
    element.dataset.basemapSource = basemap.source;
    L.circleMarker(home, { radius: 9, color: "#08519c", fillColor: "#3182bd", fillOpacity: 0.9, weight: 2 })
      .bindTooltip(data.canteen.name).addTo(map);
    const path = [home];
    data.stops.forEach((stop) => {
      const at = [stop.lat, stop.lng];
      path.push(at);
      L.marker(at, {
        icon: L.divIcon({ className: "round-stop", html: String(stop.sequence), iconSize: [24, 24] }),
        title: stop.label,
      }).bindTooltip(stop.label).addTo(map);
    });
    path.push(home);
    L.polyline(path, { color: "#b03a2e", weight: 3, opacity: 0.8 }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    element.dataset.drawnStops = String(data.stops.length);
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-round-map]").forEach(draw);
  });
})();
