"""Small geometry helpers on WGS84 coordinates (ray casting is enough at community scale)."""
from decimal import Decimal


def polygon_rings(boundary: dict | None) -> list[list[list[float]]]:
    if not boundary:
        return []
    kind = boundary.get("type")
    if kind == "Polygon":
        return [boundary["coordinates"][0]]
    if kind == "MultiPolygon":
        return [poly[0] for poly in boundary["coordinates"]]
    return []


def point_in_ring(lng: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(boundary: dict | None, lat: Decimal | float, lng: Decimal | float) -> bool | None:
    """True/False when the region has a boundary; None when it has none (nothing to check against)."""
    rings = polygon_rings(boundary)
    if not rings:
        return None
    return any(point_in_ring(float(lng), float(lat), ring) for ring in rings)


def bounding_box(boundary: dict | None):
    points = [p for ring in polygon_rings(boundary) for p in ring]
    if not points:
        return None
    lngs, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lats), min(lngs), max(lats), max(lngs)


def _position_problem(position) -> str | None:
    if not isinstance(position, (list, tuple)) or len(position) < 2:
        return "position"
    lng, lat = position[0], position[1]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lng, lat)):
        return "number"
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        return "range"
    return None


def polygon_problem(boundary) -> str | None:
    """None when `boundary` is a usable GeoJSON Polygon/MultiPolygon in WGS84, else a short reason code:
    type, structure, ring (fewer than 4 positions), closed (first ≠ last), position, number, range."""
    if not isinstance(boundary, dict) or boundary.get("type") not in {"Polygon", "MultiPolygon"}:
        return "type"
    coordinates = boundary.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return "structure"
    polygons = [coordinates] if boundary["type"] == "Polygon" else coordinates
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "structure"
        for ring in polygon:
            if not isinstance(ring, list):
                return "structure"
            if len(ring) < 4:
                return "ring"
            for position in ring:
                problem = _position_problem(position)
                if problem:
                    return problem
            if list(ring[0][:2]) != list(ring[-1][:2]):
                return "closed"
    return None
