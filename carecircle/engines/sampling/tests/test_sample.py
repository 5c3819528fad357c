from decimal import Decimal

from carecircle.engines.sampling import in_sample, sample_point


def test_the_same_record_in_the_same_month_is_always_chosen_alike():
    first = [in_sample(key, "2026-11", "0.05") for key in range(2000)]
    again = [in_sample(key, "2026-11", "0.05") for key in range(2000)]
    assert first == again


def test_the_share_chosen_approaches_the_policy_share():
    chosen = sum(in_sample(key, "2026-11", "0.05") for key in range(20000))
    assert 800 <= chosen <= 1200  # 5 % of 20,000 is 1,000


def test_another_month_draws_another_sample():
    november = {key for key in range(5000) if in_sample(key, "2026-11", "0.05")}
    december = {key for key in range(5000) if in_sample(key, "2026-12", "0.05")}
    assert november != december
    assert len(november & december) < len(november) / 2


def test_nothing_at_zero_and_everything_at_one():
    assert not any(in_sample(key, "2026-11", 0) for key in range(100))
    assert all(in_sample(key, "2026-11", 1) for key in range(100))


def test_the_point_lies_in_the_unit_interval():
    points = [sample_point(key, "s") for key in range(1000)]
    assert all(Decimal(0) <= p < Decimal(1) for p in points)
