import math

import pytest

from carecircle.engines.geo import gcj02_to_wgs84, in_mainland_china, wgs84_to_gcj02


def metres_between(a, b):
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320, (a[1] - b[1]) * 111_320 * math.cos(lat))


XUHUI = (31.1884, 121.4365)


def test_offset_in_shanghai_is_a_few_hundred_metres_north_east_of_east():
    shifted = wgs84_to_gcj02(*XUHUI)
    assert 300 < metres_between(XUHUI, shifted) < 800
    # In Shanghai the GCJ-02 image lies east (larger longitude) and south of the WGS84 point.
    assert shifted[1] > XUHUI[1] and shifted[0] < XUHUI[0]


@pytest.mark.parametrize("point", [XUHUI, (39.9087, 116.3975), (22.5431, 114.0579), (45.75, 126.65)])
def test_reverse_recovers_the_wgs84_point_to_the_millimetre(point):
    recovered = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert metres_between(point, recovered) < 0.001


def test_reverse_is_not_the_identity_in_china():
    assert metres_between(XUHUI, gcj02_to_wgs84(*XUHUI)) > 300


@pytest.mark.parametrize("point", [(48.8566, 2.3522), (-33.86, 151.21), (35.68, 139.76)])
def test_points_outside_china_are_unchanged(point):
    assert not in_mainland_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_box_edges():
    assert in_mainland_china(31.0, 121.0)
    assert not in_mainland_china(0.5, 121.0)
    assert not in_mainland_china(31.0, 140.0)
