"""Tiny hand-made problems for the tests (a grid where one unit is one minute of travel)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from carecircle.engines.routing.model import (
    INFINITY,
    Caregiver,
    Location,
    Problem,
    Service,
    TimeWindow,
    TravelMatrix,
    TravelMode,
    Visit,
)

DATA = Path(__file__).resolve().parents[5] / "shared" / "data"
# The public benchmark instances live beside the project, not in it; a checkout without them skips
# the tests that read them (CI has them).
needs_data = pytest.mark.skipif(not DATA.exists(), reason="benchmark data not present")


def grid_problem(points: dict[str, tuple[float, float]], visits, caregivers, objective="care") -> Problem:
    """Euclidean distances between named points; travel time = distance for every mode."""
    locations = [Location(key) for key in points]
    coords = list(points.values())
    dist = [[math.dist(a, b) for b in coords] for a in coords]
    modes = {TravelMode.MATRIX: dist, TravelMode.EBIKE: dist, TravelMode.WALKING: dist}
    return Problem(list(visits), list(caregivers), TravelMatrix(locations, dist, modes), objective=objective)


def at(key: str) -> Location:
    return Location(key)


def visit(vid, place, duration=10, window=(0, INFINITY), qualification=None, **kw) -> Visit:
    windows = kw.pop("windows", None) or (TimeWindow(*window),)
    return Visit(vid, at(place), (Service(duration, qualification),), time_windows=tuple(windows), **kw)


def double_visit(vid, place, duration=10, window=(0, INFINITY), min_gap=0, max_gap=0, quals=(None, None), **kw) -> Visit:
    return Visit(
        vid, at(place), (Service(duration, quals[0]), Service(duration, quals[1])),
        time_windows=(TimeWindow(*window),), min_gap=min_gap, max_gap=max_gap, **kw,
    )


def caregiver(cid, home="home", shift=(0, INFINITY), **kw) -> Caregiver:
    kw.setdefault("travel_mode", TravelMode.MATRIX)
    return Caregiver(cid, at(home), at(home), shift=TimeWindow(*shift), **kw)
