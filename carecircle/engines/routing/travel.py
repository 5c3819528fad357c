"""Travel matrix providers.

A provider turns a list of locations into a `TravelMatrix` (metres, seconds). The default,
`StraightLineProvider`, needs no network: great-circle distance times a detour factor, divided
by a typical speed per travel mode. `OsrmTableProvider` asks an OSRM-compatible server's
`/table/v1/` API for real road distances and durations.
"""

from __future__ import annotations

import json
import math
import urllib.request
from typing import Iterable, Protocol, Sequence

from .model import Location, TravelMatrix, TravelMode

EARTH_RADIUS_M = 6_371_008.8

# Typical speeds in m/s for elderly-care field staff in a Chinese city district: walking with a
# bag of supplies (~4 km/h) and an e-bike in mixed traffic (~15 km/h).
DEFAULT_SPEEDS = {TravelMode.WALKING: 4000 / 3600, TravelMode.EBIKE: 15000 / 3600, TravelMode.CAR: 25000 / 3600}

# Street networks in old residential quarters are far from straight; 1.3 is a common urban
# circuity figure for Chinese cities.
DEFAULT_DETOUR_FACTOR = 1.3


class MatrixProvider(Protocol):
    def matrix(self, locations: Sequence[Location], modes: Iterable[str]) -> TravelMatrix: ...


def haversine_m(a: Location, b: Location) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        raise ValueError(f"location {a.key!r} or {b.key!r} has no coordinates")
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _unique(locations: Sequence[Location]) -> list[Location]:
    seen: dict[str, Location] = {}
    for loc in locations:
        seen.setdefault(loc.key, loc)
    return list(seen.values())


class StraightLineProvider:
    def __init__(self, detour_factor: float = DEFAULT_DETOUR_FACTOR, speeds: dict | None = None):
        if detour_factor < 1:
            raise ValueError("a road is never shorter than the straight line: detour_factor >= 1")
        self.detour_factor = detour_factor
        self.speeds = dict(DEFAULT_SPEEDS, **(speeds or {}))

    def matrix(self, locations: Sequence[Location], modes: Iterable[str]) -> TravelMatrix:
        locs = _unique(locations)
        dist = [[haversine_m(a, b) * self.detour_factor for b in locs] for a in locs]
        durations = {mode: [[d / self.speeds[mode] for d in row] for row in dist] for mode in modes}
        return TravelMatrix(locs, dist, durations)


class OsrmError(RuntimeError):
    pass


class OsrmTableProvider:
    """Client for `GET {base_url}/table/v1/{profile}/{lon,lat;...}?annotations=duration,distance`.

    One OSRM profile per travel mode (OSRM servers are usually run with one profile each, so
    each mode may have its own base URL).
    """

    def __init__(self, base_urls: dict[str, str], profiles: dict[str, str] | None = None, timeout: float = 30.0):
        self.base_urls = {mode: url.rstrip("/") for mode, url in base_urls.items()}
        self.profiles = profiles or {TravelMode.WALKING: "foot", TravelMode.EBIKE: "bike", TravelMode.CAR: "driving"}
        self.timeout = timeout

    def _table(self, mode: str, locs: Sequence[Location]) -> tuple[list[list[float]], list[list[float]]]:
        coords = ";".join(f"{loc.lon:.6f},{loc.lat:.6f}" for loc in locs)
        url = f"{self.base_urls[mode]}/table/v1/{self.profiles[mode]}/{coords}?annotations=duration,distance"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except OSError as exc:
            raise OsrmError(f"routing server for {mode} unreachable: {exc}") from exc
        if body.get("code") != "Ok":
            raise OsrmError(f"routing server for {mode} answered {body.get('code')}: {body.get('message', '')}")
        durations, distances = body.get("durations"), body.get("distances")
        n = len(locs)
        for name, rows in (("durations", durations), ("distances", distances)):
            if rows is None or len(rows) != n or any(len(r) != n for r in rows):
                raise OsrmError(f"routing server for {mode} returned a malformed {name} table")
            # OSRM reports unreachable pairs as null; planning through them would be fiction.
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    if value is None:
                        raise OsrmError(f"no route from {locs[i].key!r} to {locs[j].key!r} ({mode})")
        return distances, durations

    def matrix(self, locations: Sequence[Location], modes: Iterable[str]) -> TravelMatrix:
        locs = _unique(locations)
        for loc in locs:
            if loc.lat is None or loc.lon is None:
                raise ValueError(f"location {loc.key!r} has no coordinates")
        modes = list(modes)
        if not modes:
            raise ValueError("at least one travel mode")
        durations_by_mode = {}
        distances = None
        for mode in modes:
            dist, dur = self._table(mode, locs)
            durations_by_mode[mode] = dur
            # The distance reported for the walking/e-bike profile is the one staff actually
            # cover, so the first mode's distances are kept as "the" distance.
            if distances is None:
                distances = dist
        return TravelMatrix(locs, distances, durations_by_mode)


def build_matrix(visits, caregivers, provider: MatrixProvider | None = None) -> TravelMatrix:
    """Matrix covering every place that the visits and caregivers mention."""
    provider = provider or StraightLineProvider()
    locations = [v.location for v in visits]
    for c in caregivers:
        locations += [c.start, c.end]
    modes = sorted({c.travel_mode for c in caregivers})
    return provider.matrix(locations, modes)
