"""GCJ-02 ("Mars coordinates", used by AMap, Tencent and WeChat maps) ↔ WGS84 (GPS, our storage).

GCJ-02 adds a deterministic, non-linear offset of a few hundred metres inside mainland China and none
outside. The forward transform (WGS84 → GCJ-02) is public; the reverse has no closed form, so it is
solved by fixed-point iteration, which converges to well under a centimetre in a handful of steps.
"""
from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, the reference the offset formula is defined on.
_SEMI_MAJOR_AXIS = 6378245.0
_ECCENTRICITY_SQUARED = 0.00669342162296594323

# The offset is only applied inside this rough box around mainland China.
_CHINA_LNG = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)


def in_mainland_china(lat: float, lng: float) -> bool:
    return _CHINA_LNG[0] <= lng <= _CHINA_LNG[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1]


def _lat_shift(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return value


def _lng_shift(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return value


def _offset(lat: float, lng: float) -> tuple[float, float]:
    """The (dlat, dlng) in degrees that GCJ-02 adds to a WGS84 point."""
    d_lat = _lat_shift(lng - 105.0, lat - 35.0)
    d_lng = _lng_shift(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _ECCENTRICITY_SQUARED * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_SEMI_MAJOR_AXIS * (1 - _ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_SEMI_MAJOR_AXIS / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if not in_mainland_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _offset(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float, *, tolerance_degrees: float = 1e-9, max_steps: int = 30) -> tuple[float, float]:
    """The WGS84 point whose GCJ-02 image is (lat, lng)."""
    if not in_mainland_china(lat, lng):
        return lat, lng
    guess_lat, guess_lng = lat, lng
    for _step in range(max_steps):
        image_lat, image_lng = wgs84_to_gcj02(guess_lat, guess_lng)
        error_lat, error_lng = image_lat - lat, image_lng - lng
        if abs(error_lat) < tolerance_degrees and abs(error_lng) < tolerance_degrees:
            break
        guess_lat -= error_lat
        guess_lng -= error_lng
    return guess_lat, guess_lng
