"""The coverage engine: exact distances at the radius, the hexagon privacy threshold, and site choice."""
import numpy as np
import pytest

from carecircle.engines.coverage import (
    brute_force_covered,
    compare_sites,
    covered_by_kind,
    covered_mask,
    destination,
    group_counts,
    haversine_m,
    hex_cells,
    naive_sites,
    nearest_distances,
)

SITE = (31.2000, 121.4400)


@pytest.mark.parametrize("bearing", [0, 45, 90, 137, 180, 270])
def test_a_point_exactly_at_the_radius_is_covered_and_one_metre_over_is_not(bearing):
    at = destination(*SITE, bearing, 1000.0)
    over = destination(*SITE, bearing, 1001.0)
    assert haversine_m(*SITE, *at) == pytest.approx(1000.0, abs=1e-6)
    mask = covered_mask([at[0], over[0]], [at[1], over[1]], [SITE[0]], [SITE[1]], 1000)
    assert mask.tolist() == [True, False]
    assert brute_force_covered([at[0], over[0]], [at[1], over[1]], [SITE[0]], [SITE[1]], 1000).tolist() == [True, False]


def test_nothing_to_cover_and_no_sites():
    assert covered_mask([], [], [SITE[0]], [SITE[1]], 1000).tolist() == []
    assert covered_mask([31.2], [121.44], [], [], 1000).tolist() == [False]
    assert np.isinf(nearest_distances([31.2], [121.44], [], [])).all()


def test_the_tree_agrees_with_all_pairs_on_a_random_city():
    rng = np.random.default_rng(7)
    lat, lng = 31.1 + rng.random(4000) * 0.2, 121.3 + rng.random(4000) * 0.2
    slat, slng = 31.1 + rng.random(60) * 0.2, 121.3 + rng.random(60) * 0.2
    for radius in (300, 1000, 2500):
        assert (covered_mask(lat, lng, slat, slng, radius) == brute_force_covered(lat, lng, slat, slng, radius)).all()
    d = nearest_distances(lat, lng, slat, slng)
    all_pairs = haversine_m(lat[:, None], lng[:, None], slat[None, :], slng[None, :]).min(axis=1)
    assert np.allclose(d, all_pairs, atol=1e-4)


def test_group_counts():
    total, covered = group_counts(np.array([0, 0, 2, 2, 2]), np.array([True, False, True, True, False]), 4)
    assert total.tolist() == [2, 0, 3, 0] and covered.tolist() == [1, 0, 2, 0]


def test_no_hexagon_shows_fewer_people_than_the_threshold():
    rng = np.random.default_rng(3)
    # A dense block, a few scattered homes and one lone home far away.
    lat = np.concatenate([31.2 + rng.random(200) * 0.003, 31.15 + rng.random(12) * 0.05, [31.40]])
    lng = np.concatenate([121.44 + rng.random(200) * 0.003, 121.40 + rng.random(12) * 0.05, [121.60]])
    cells, suppressed = hex_cells(lat, lng, resolution=10, min_count=10)
    assert cells and all(cell.count >= 10 for cell in cells)
    assert sum(c.count for c in cells) + suppressed == len(lat)
    assert suppressed >= 1  # the lone home is never drawn
    assert all(len(cell.boundary) >= 5 for cell in cells)


def test_small_cells_merge_into_their_parent():
    # Twelve people spread over a few fine cells, none of which reaches ten by itself.
    lat = [31.2 + 0.00015 * (i % 4) for i in range(12)]
    lng = [121.44 + 0.00015 * (i // 4) for i in range(12)]
    fine, _ = hex_cells(lat, lng, resolution=12, min_count=1)
    assert len(fine) > 1
    cells, suppressed = hex_cells(lat, lng, resolution=12, min_count=10)
    assert suppressed == 0 and sum(c.count for c in cells) == 12
    assert all(c.resolution < 12 for c in cells)


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.random((6, 2)) * 0.04
    points = []
    groups = []
    for g, (dy, dx) in enumerate(centres):
        n = int(rng.integers(5, 40))
        points += [(31.18 + dy + rng.normal(0, 0.003), 121.42 + dx + rng.normal(0, 0.003)) for _ in range(n)]
        groups += [g] * n
    points = np.array(points)
    sites = np.column_stack([31.18 + rng.random(25) * 0.045, 121.42 + rng.random(25) * 0.045])
    weights = rng.integers(1, 4, len(points))
    return points[:, 0], points[:, 1], weights, np.array(groups), sites[:, 0], sites[:, 1]


@pytest.mark.parametrize("seed", range(6))
def test_the_covering_choice_covers_at_least_as_many_as_the_naive_one(seed):
    lat, lng, weights, groups, slat, slng = _instance(seed)
    result = compare_sites(lat, lng, weights, groups, slat, slng, radius_m=500, count=3, time_limit_s=20)
    assert result.solver_status == "Optimal"
    assert result.optimal_total >= result.naive_total
    assert len(result.optimal) == 3
    # Each gain is counted once: the sum of gains is what the chosen sites cover together.
    chosen = [c.site for c in result.optimal]
    together = brute_force_covered(lat, lng, slat[chosen], slng[chosen], 500)
    assert result.optimal_total == int(weights[together].sum())
    assert [c.gain for c in result.optimal] == sorted((c.gain for c in result.optimal), reverse=True)


def test_the_covering_choice_beats_the_naive_one_where_the_biggest_community_is_spread_out():
    # Community 0 is big but spread thin (no site reaches more than a few of it); communities 1 and 2 are compact.
    spread_lat = [31.20 + 0.004 * i for i in range(10)]
    spread_lng = [121.40] * 10
    compact_lat = [31.25] * 8 + [31.27] * 8
    compact_lng = [121.45] * 8 + [121.47] * 8
    lat = np.array(spread_lat + compact_lat)
    lng = np.array(spread_lng + compact_lng)
    groups = np.array([0] * 10 + [1] * 8 + [2] * 8)
    weights = np.ones(len(lat), dtype=int)
    slat = np.array([31.218, 31.25, 31.27])
    slng = np.array([121.40, 121.45, 121.47])
    naive = naive_sites(lat, lng, weights, groups, slat, slng, radius_m=300, count=2)
    result = compare_sites(lat, lng, weights, groups, slat, slng, radius_m=300, count=2)
    assert naive[0].site == 0
    assert result.naive_total < result.optimal_total == 16
    assert sorted(c.site for c in result.optimal) == [1, 2]


def test_nothing_uncovered_suggests_nothing():
    result = compare_sites([], [], [], [], [31.2], [121.44], radius_m=500, count=2)
    assert result.optimal == [] and result.naive == [] and result.optimal_total == 0


@pytest.mark.parametrize("neighbours", [1, 3, 8])
def test_one_search_for_every_kind_agrees_with_one_search_per_kind(neighbours):
    rng = np.random.default_rng(11)
    lat, lng = 31.1 + rng.random(3000) * 0.1, 121.3 + rng.random(3000) * 0.1
    slat, slng = 31.1 + rng.random(200) * 0.1, 121.3 + rng.random(200) * 0.1
    kinds = rng.choice(["meal", "day", "home"], size=200)
    by_kind = covered_by_kind(lat, lng, slat, slng, kinds, 800, neighbours=neighbours)
    for kind in ("meal", "day", "home"):
        mine = kinds == kind
        assert (by_kind[kind] == covered_mask(lat, lng, slat[mine], slng[mine], 800)).all()
