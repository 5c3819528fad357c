"""Coverage of people by facilities within a service distance, the privacy-safe hexagon gap map and the
choice of new sites (maximal covering location). Pure Python over numpy/scipy/h3/spopt; imports no Django.

Distances are great-circle distances on a sphere of radius `EARTH_RADIUS_M` (the haversine formula). For
speed, points are placed on the unit sphere (x, y, z) and searched with a k-d tree: the straight chord
between two points grows strictly with their great-circle distance, so "within r metres" is exactly
"chord ≤ 2·sin(r / 2R)" — no projection error at any scale. A point exactly at the radius is covered; one
a metre further is not (a micrometre of tolerance absorbs floating-point rounding).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
TOLERANCE_M = 1e-6

__all__ = [
    "EARTH_RADIUS_M", "unit_vectors", "haversine_m", "nearest_distances", "covered_mask", "covered_by_kind",
    "brute_force_covered",
    "group_counts", "HexCell", "hex_cells", "SiteChoice", "SiteComparison", "suggest_sites", "naive_sites",
    "compare_sites", "destination",
]


def unit_vectors(lat, lng) -> np.ndarray:
    lat = np.radians(np.asarray(lat, dtype=float))
    lng = np.radians(np.asarray(lng, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lng), cos_lat * np.sin(lng), np.sin(lat)])


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (broadcasts like numpy)."""
    lat1, lng1, lat2, lng2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lng1, lat2, lng2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def destination(lat: float, lng: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from (lat, lng) along the initial bearing (for tests and generated instances)."""
    phi1, lam1, theta = np.radians(lat), np.radians(lng), np.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(theta))
    lam2 = lam1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(phi1),
                             np.cos(delta) - np.sin(phi1) * np.sin(phi2))
    return float(np.degrees(phi2)), float(np.degrees(lam2))


def _chord(distance_m: float) -> float:
    return 2.0 * np.sin(min(distance_m, np.pi * EARTH_RADIUS_M) / (2.0 * EARTH_RADIUS_M))


def _chord_to_m(chord):
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))


def nearest_distances(point_lat, point_lng, site_lat, site_lng, *, upper_m: float | None = None) -> np.ndarray:
    """For each point the distance in metres to its nearest site (inf when there is none within `upper_m`)."""
    n = len(point_lat)
    if n == 0:
        return np.zeros(0)
    if len(site_lat) == 0:
        return np.full(n, np.inf)
    tree = cKDTree(unit_vectors(site_lat, site_lng))
    bound = np.inf if upper_m is None else _chord(upper_m + TOLERANCE_M) * (1 + 1e-12)
    chord, _ = tree.query(unit_vectors(point_lat, point_lng), k=1, distance_upper_bound=bound)
    return np.where(np.isinf(chord), np.inf, _chord_to_m(np.where(np.isinf(chord), 0.0, chord)))


def covered_mask(point_lat, point_lng, site_lat, site_lng, radius_m: float) -> np.ndarray:
    """True for each point with at least one site within `radius_m` metres (great circle)."""
    distances = nearest_distances(point_lat, point_lng, site_lat, site_lng, upper_m=radius_m)
    return distances <= radius_m + TOLERANCE_M


def covered_by_kind(point_lat, point_lng, site_lat, site_lng, site_kind, radius_m: float,
                    *, neighbours: int = 8) -> dict[object, np.ndarray]:
    """For every kind of site, which points have a site of that kind within `radius_m` — from one search of
    each point's `neighbours` nearest sites; the few points with that many sites all within the radius are
    searched again kind by kind, so the answer is the same as `covered_mask` per kind."""
    point_lat, point_lng = np.asarray(point_lat, float), np.asarray(point_lng, float)
    site_lat, site_lng = np.asarray(site_lat, float), np.asarray(site_lng, float)
    site_kind = np.asarray(site_kind)
    kinds = list(dict.fromkeys(site_kind.tolist()))
    n = len(point_lat)
    result = {kind: np.zeros(n, dtype=bool) for kind in kinds}
    if n == 0 or len(site_lat) == 0:
        return result
    k = min(neighbours, len(site_lat))
    tree = cKDTree(unit_vectors(site_lat, site_lng))
    bound = _chord(radius_m + TOLERANCE_M) * (1 + 1e-12)
    chord, index = tree.query(unit_vectors(point_lat, point_lng), k=k, distance_upper_bound=bound)
    chord, index = chord.reshape(n, k), index.reshape(n, k)
    found = np.isfinite(chord)
    within = np.zeros_like(found)
    within[found] = _chord_to_m(chord[found]) <= radius_m + TOLERANCE_M
    kind_codes = {kind: code for code, kind in enumerate(kinds)}
    codes = np.array([kind_codes[kind] for kind in site_kind.tolist()] + [-1])  # index len(sites) = none
    neighbour_kinds = codes[np.where(found, index, len(site_lat))]
    for kind, code in kind_codes.items():
        result[kind] = ((neighbour_kinds == code) & within).any(axis=1)
    crowded = within.all(axis=1) if k < len(site_lat) else np.zeros(n, dtype=bool)
    if crowded.any():
        rows = np.flatnonzero(crowded)
        for kind in kinds:
            mine = site_kind == kind
            result[kind][rows] = covered_mask(point_lat[rows], point_lng[rows], site_lat[mine], site_lng[mine],
                                              radius_m)
    return result


def brute_force_covered(point_lat, point_lng, site_lat, site_lng, radius_m: float) -> np.ndarray:
    """The same answer by computing every point–site distance (the independent check; O(n·m))."""
    point_lat, point_lng = np.asarray(point_lat, float), np.asarray(point_lng, float)
    if len(point_lat) == 0:
        return np.zeros(0, dtype=bool)
    if len(site_lat) == 0:
        return np.zeros(len(point_lat), dtype=bool)
    d = haversine_m(point_lat[:, None], point_lng[:, None], np.asarray(site_lat, float)[None, :],
                    np.asarray(site_lng, float)[None, :])
    return (d <= radius_m + TOLERANCE_M).any(axis=1)


def group_counts(groups: np.ndarray, mask: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(people per group, covered people per group) for integer group labels 0..n_groups-1."""
    groups = np.asarray(groups, dtype=np.int64)
    total = np.bincount(groups, minlength=n_groups)
    covered = np.bincount(groups, weights=np.asarray(mask, dtype=float), minlength=n_groups).astype(np.int64)
    return total, covered


# --- the hexagon gap map ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HexCell:
    cell: str
    resolution: int
    count: int
    boundary: tuple  # ((lat, lng), ...) of the hexagon


def hex_cells(lat, lng, *, resolution: int, min_count: int, coarsest: int | None = None) -> tuple[list[HexCell], int]:
    """People counted on the H3 grid so that no cell shows fewer than `min_count` of them.

    A cell below the threshold is merged into its parent (one resolution coarser), repeatedly, down to
    `coarsest` (default: three levels up); what is still below the threshold then is suppressed.
    Returns (cells shown, people suppressed). No cell ever holds fewer than `min_count` people."""
    import h3

    min_count = max(int(min_count), 1)
    coarsest = max(0, resolution - 3) if coarsest is None else coarsest
    counts: dict[str, int] = {}
    for la, ln in zip(np.asarray(lat, float), np.asarray(lng, float)):
        cell = h3.latlng_to_cell(float(la), float(ln), resolution)
        counts[cell] = counts.get(cell, 0) + 1
    shown: dict[str, int] = {}
    res = resolution
    while counts:
        small: dict[str, int] = {}
        for cell, n in counts.items():
            if n >= min_count:
                shown[cell] = shown.get(cell, 0) + n
            else:
                small[cell] = n
        if res <= coarsest or not small:
            counts = small
            break
        res -= 1
        counts = {}
        for cell, n in small.items():
            parent = h3.cell_to_parent(cell, res)
            counts[parent] = counts.get(parent, 0) + n
    suppressed = sum(counts.values()) if counts else 0
    # A merged parent may overlap a finer cell already shown; both are shown (each above the threshold).
    cells = [HexCell(cell, h3.get_resolution(cell), n, tuple(h3.cell_to_boundary(cell)))
             for cell, n in sorted(shown.items())]
    return cells, suppressed


# --- site choice -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteChoice:
    site: int  # index into the candidate list
    gain: int  # people newly covered, in the order chosen (each counted once)
    alone: int  # people this site would cover by itself


@dataclass
class SiteComparison:
    optimal: list[SiteChoice] = field(default_factory=list)
    naive: list[SiteChoice] = field(default_factory=list)
    optimal_total: int = 0
    naive_total: int = 0
    demand: int = 0
    solver_status: str = ""


def _coverage_sets(demand_lat, demand_lng, site_lat, site_lng, radius_m) -> list[np.ndarray]:
    """For each candidate site, the indexes of the demand points within the radius (exact distances)."""
    if len(demand_lat) == 0 or len(site_lat) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(site_lat))]
    tree = cKDTree(unit_vectors(demand_lat, demand_lng))
    sites = unit_vectors(site_lat, site_lng)
    result = []
    bound = _chord(radius_m + TOLERANCE_M) * (1 + 1e-9)
    for index, near in enumerate(tree.query_ball_point(sites, r=bound)):
        near = np.asarray(sorted(near), dtype=np.int64)
        if len(near):
            d = haversine_m(site_lat[index], site_lng[index], np.asarray(demand_lat)[near], np.asarray(demand_lng)[near])
            near = near[d <= radius_m + TOLERANCE_M]
        result.append(near)
    return result


def _ordered_gains(chosen: list[int], sets: list[np.ndarray], weights: np.ndarray) -> list[SiteChoice]:
    """Gains of chosen sites, largest marginal gain first (greedy order over the chosen set)."""
    covered = np.zeros(len(weights), dtype=bool)
    remaining = list(chosen)
    result = []
    while remaining:
        best = max(remaining, key=lambda s: (int(weights[sets[s]][~covered[sets[s]]].sum()), -s))
        gain = int(weights[sets[best]][~covered[sets[best]]].sum())
        result.append(SiteChoice(site=best, gain=gain, alone=int(weights[sets[best]].sum())))
        covered[sets[best]] = True
        remaining.remove(best)
    return result


def suggest_sites(demand_lat, demand_lng, weights, site_lat, site_lng, *, radius_m: float, count: int,
                  time_limit_s: int = 60) -> tuple[list[SiteChoice], str]:
    """The `count` candidate sites covering the most demand weight (maximal covering location problem,
    solved exactly with spopt's MCLP and the CBC solver through PuLP)."""
    import pulp
    from spopt.locate import MCLP

    weights = np.asarray(weights, dtype=np.int64)
    site_lat, site_lng = np.asarray(site_lat, float), np.asarray(site_lng, float)
    count = max(0, min(int(count), len(site_lat)))
    sets = _coverage_sets(demand_lat, demand_lng, site_lat, site_lng, radius_m)
    if count == 0 or len(weights) == 0 or weights.sum() == 0:
        return [], "nothing to cover"
    # Only demand some site can reach matters; the cost matrix holds 0 (within reach) or 2r (out of reach).
    reachable = np.unique(np.concatenate([s for s in sets if len(s)] or [np.zeros(0, dtype=np.int64)]))
    if len(reachable) == 0:
        return [], "nothing within reach"
    position = {d: i for i, d in enumerate(reachable)}
    matrix = np.full((len(reachable), len(site_lat)), 2.0 * radius_m + 1.0)
    for site, near in enumerate(sets):
        for d in near:
            matrix[position[d], site] = 0.0
    model = MCLP.from_cost_matrix(matrix, weights[reachable].astype(float), service_radius=radius_m,
                                  p_facilities=count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3 warns about the bundled CBC it still ships
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    model = model.solve(solver)
    status = pulp.LpStatus[model.problem.status]
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() is not None and var.value() > 0.5]
    return _ordered_gains(chosen, sets, weights), status


def naive_sites(demand_lat, demand_lng, weights, groups, site_lat, site_lng, *, radius_m: float,
                count: int) -> list[SiteChoice]:
    """"Largest uncovered community first": take the community with the most still-uncovered people, put a
    site at the candidate nearest to the centre of those people, mark what it covers; repeat."""
    weights = np.asarray(weights, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    demand_lat, demand_lng = np.asarray(demand_lat, float), np.asarray(demand_lng, float)
    site_lat, site_lng = np.asarray(site_lat, float), np.asarray(site_lng, float)
    sets = _coverage_sets(demand_lat, demand_lng, site_lat, site_lng, radius_m)
    covered = np.zeros(len(weights), dtype=bool)
    free = np.ones(len(site_lat), dtype=bool)
    result = []
    for _ in range(max(0, min(int(count), len(site_lat)))):
        left = np.where(covered, 0, weights)
        if left.sum() == 0 or not free.any():
            break
        per_group = np.bincount(groups, weights=left)
        group = int(np.argmax(per_group))
        members = (groups == group) & ~covered
        w = weights[members].astype(float)
        lat_c = float(np.average(demand_lat[members], weights=w))
        lng_c = float(np.average(demand_lng[members], weights=w))
        d = haversine_m(lat_c, lng_c, site_lat, site_lng)
        d[~free] = np.inf
        site = int(np.argmin(d))
        gain = int(weights[sets[site]][~covered[sets[site]]].sum())
        result.append(SiteChoice(site=site, gain=gain, alone=int(weights[sets[site]].sum())))
        covered[sets[site]] = True
        free[site] = False
    return result


def compare_sites(demand_lat, demand_lng, weights, groups, site_lat, site_lng, *, radius_m: float, count: int,
                  time_limit_s: int = 60) -> SiteComparison:
    optimal, status = suggest_sites(demand_lat, demand_lng, weights, site_lat, site_lng, radius_m=radius_m,
                                    count=count, time_limit_s=time_limit_s)
    naive = naive_sites(demand_lat, demand_lng, weights, groups, site_lat, site_lng, radius_m=radius_m, count=count)
    return SiteComparison(optimal=optimal, naive=naive, optimal_total=sum(c.gain for c in optimal),
                          naive_total=sum(c.gain for c in naive), demand=int(np.asarray(weights).sum()),
                          solver_status=status)
