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
