import datetime as dt
from types import SimpleNamespace

import pytest

from carecircle.core.models import PolicyParameter
from carecircle.core.policy import seed_values


def seed_intake_policy(region_code="310000"):
    """The intake parameters of the seed file (and only those: fast), attached to the city."""
    from carecircle.regions.models import Region

    region = Region.objects.get(code=region_code)
    for row in seed_values():
        if row["key"].startswith(("intake.", "assessment.")):
            PolicyParameter.objects.create(key=row["key"], region=region, value=row["value"],
                                           effective_from=dt.date.fromisoformat(row["effective_from"]),
                                           source=row["source"], confidence=row["confidence"])


@pytest.fixture
def intake(district, users):
    from carecircle.intake.defaults import application_types_seed

    seed_intake_policy()
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role

    types = {t.code: t for t in application_types_seed(region=district.district)}
    second = User.objects.create_user(username="assessor_two", password="Test-pass-2026", role=Role.ASSESSOR,
                                      display_name="评估员乙", organisation=district.agency)
    return SimpleNamespace(types=types, district=district, users=users, assessors=(users.assessor, second))


@pytest.fixture
def today(monkeypatch):
    """Pin 'today' (a working Monday far from holidays) so deadlines are predictable."""
    from django.utils import timezone

    fixed = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def set_day(value: dt.datetime):
        monkeypatch.setattr(timezone, "now", lambda: value)

    set_day(fixed)
    return SimpleNamespace(set=set_day, start=fixed)
