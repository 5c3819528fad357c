"""The demo's visits: the caregiver's published day (done, under way, to come) and last month's visits with
exceptions resolved and open."""
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from carecircle.visits.models import ExceptionStatus, Visit, VisitException, VisitFlag, VisitStatus
from carecircle.workorders.models import WorkOrder


@pytest.fixture
def demo(db, tmp_path):
    as_of = timezone.localdate()
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--as-of", as_of.isoformat(), "--no-progress",
                 "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    return as_of


def test_demo_caregiver_day_and_last_month(demo):
    from carecircle.providers.models import StaffMember

    staff = StaffMember.objects.get(user__username="caregiver")
    today = WorkOrder.objects.filter(caregiver=staff, date=demo)
    statuses = sorted(today.values_list("status", flat=True))
    assert "done" in statuses and "started" in statuses and "published" in statuses
    assert Visit.objects.filter(caregiver=staff, date=demo, status=VisitStatus.CHECKED_IN).count() == 1
    past = Visit.objects.filter(date__lt=demo, date__gte=demo - dt.timedelta(days=28))
    assert past.count() > 20
    assert past.filter(status=VisitStatus.VERIFIED).count() > past.count() / 2
    flags = set(VisitFlag.objects.values_list("rule", flat=True))
    assert flags  # the rules found something
    assert VisitException.objects.filter(status=ExceptionStatus.OPEN).exists()
    closed = VisitException.objects.filter(status=ExceptionStatus.APPROVED)
    assert closed.exists()
    assert all(e.approved_by_id != e.resolved_by_id for e in closed)
