// Draws a region's boundary and its children's boundaries with Leaflet on a blank background
// (no tile layer: closed networks reach no map server), with a metric scale bar.
(function () {
  function draw(element) {
    const source = document.getElementById(element.dataset.regionMap);
    if (!source || typeof L === "undefined") return;
    const data = JSON.parse(source.textContent);
    const map = L.map(element, { attributionControl: false, zoomSnap: 0.25 });
    const layer = L.geoJSON(data, {
      style: (feature) => feature.properties.role === "self"
        ? { color: "#5b6775", weight: 2, fillOpacity: 0.04 }
        : { color: "#b03a2e", weight: 1, fillOpacity: 0.12 },
      onEachFeature: (feature, shape) => shape.bindTooltip(`${feature.properties.name} ${feature.properties.code}`),
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    L.control.scale({ imperial: false }).addTo(map);
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-region-map]").forEach(draw);
  });
})();
