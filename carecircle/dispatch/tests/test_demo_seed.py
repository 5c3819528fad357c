"""The demo district's shifts for tomorrow: every caregiver and nurse of a home-care provider, near what it serves."""
import datetime as dt
import random

import pytest

from carecircle.dispatch.models import Shift

from .conftest import DAY

pytestmark = pytest.mark.django_db


def test_tomorrows_shifts_for_every_caregiver_near_the_served_communities(board, district):
    from carecircle.demo.seed_dispatch import demo_dispatch_seed

    as_of = DAY + dt.timedelta(days=10)
    result = demo_dispatch_seed(rng=random.Random(1), as_of=as_of)
    shifts = Shift.objects.filter(date=as_of + dt.timedelta(days=1))
    assert result == {"shifts": 3} and shifts.count() == 3
    for shift in shifts:
        assert shift.organisation == board.org and shift.lunch_minutes == 30 and shift.max_hours == 8
        assert abs(float(shift.start_lat) - float(district.a1.centroid_lat)) < 0.01
        assert shift.end_time > shift.start_time
    # The same seed gives the same roster.
    first = sorted(shifts.values_list("caregiver_id", "start_lat", "travel_mode", "start_time"))
    Shift.objects.filter(date=as_of + dt.timedelta(days=1)).delete()
    demo_dispatch_seed(rng=random.Random(1), as_of=as_of)
    again = Shift.objects.filter(date=as_of + dt.timedelta(days=1))
    assert sorted(again.values_list("caregiver_id", "start_lat", "travel_mode", "start_time")) == first
