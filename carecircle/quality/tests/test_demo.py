"""The demo's quality data: return visits and complaints in every state, made through the services."""
import datetime as dt
import random

from carecircle.demo.seed_quality import demo_quality_seed
from carecircle.quality.models import Channel, Complaint, ComplaintStatus, ReturnVisit, ReturnVisitStatus

from .test_scorecard import _visits


def test_the_demo_has_complaints_and_return_visits_in_every_state(quality):
    d = quality.d
    # Twelve visits at A1's home last month, each with an exception (so each is called back).
    _visits(quality, d.provider, d.elders.a1, [("held", True, True)] * 12)
    counts = demo_quality_seed(rng=random.Random(1), as_of=dt.date(2026, 12, 1))
    assert counts["return_visits"] >= 12 and counts["complaints"] >= 9
    assert set(Complaint.objects.values_list("status", flat=True)) == set(ComplaintStatus.values)
    assert {Channel.HOTLINE, Channel.WINDOW, Channel.COMMUNITY, Channel.PORTAL, Channel.RETURN_VISIT} <= set(
        Complaint.objects.values_list("channel", flat=True))
    assert Complaint.objects.filter(reopen_count__gt=0).exists()
    assert set(ReturnVisit.objects.values_list("status", flat=True)) == set(ReturnVisitStatus.values)
    assert {"exception", "complaint"} <= set(ReturnVisit.objects.values_list("reason", flat=True))
