import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from carecircle.conftest import seed_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUALITY_KEYS = ("quality.complaint.accept_working_days", "quality.complaint.answer_working_days",
                "quality.complaint.reopen_days", "quality.return_visit.sample_share",
                "quality.return_visit.due_working_days", "quality.return_visit.max_attempts")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment on `day` in Shanghai."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def quality(district, users):
    """The shipped quality policy values, the shared district and its users, and a visit at elder A1's home by
    the provider serving A1 and one at B1's by the other provider."""
    from carecircle.workorders.models import WorkOrder

    seed_policy(*QUALITY_KEYS)
    visit_a1 = WorkOrder.objects.create(organisation=district.provider, elder=district.elders.a1,
                                        date=dt.date(2026, 11, 20), window_start=dt.time(9), window_end=dt.time(10),
                                        duration_minutes=60, source="plan", status="done")
    visit_b1 = WorkOrder.objects.create(organisation=district.other_provider, elder=district.elders.b1,
                                        date=dt.date(2026, 11, 20), window_start=dt.time(9), window_end=dt.time(10),
                                        duration_minutes=60, source="plan", status="done")
    return SimpleNamespace(d=district, u=users, visit_a1=visit_a1, visit_b1=visit_b1)
