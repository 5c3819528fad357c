"""Rows for the access matrix (tests/test_access_matrix.py): a complaint (with its steps) and a return visit (with
a call) about an elder in street A, in street B and in the neighbouring district, each about the provider
serving that elder, so every role meets rows inside its scope and outside it."""

import datetime as dt


def _policy():
    from carecircle.conftest import seed_policy
    from carecircle.core.models import PolicyParameter

    from .conftest import QUALITY_KEYS

    if not PolicyParameter.objects.filter(key=QUALITY_KEYS[0]).exists():
        seed_policy(*QUALITY_KEYS)


def make_quality(world):
    from django.utils import timezone

    from carecircle.quality.models import Complaint, ComplaintStep, ReturnVisit, ReturnVisitAttempt
    from carecircle.workorders.models import WorkOrder

    _policy()
    d = world.district
    day = dt.date(2026, 11, 20)
    now = timezone.now()
    pairs = ((d.elders.a1, d.provider), (d.elders.b1, d.other_provider), (world.outside.elder, world.outside.provider))
    for n, (elder, org) in enumerate(pairs):
        order = WorkOrder.objects.create(organisation=org, elder=elder, date=day, window_start=dt.time(9),
                                         window_end=dt.time(10), duration_minutes=60, source="plan", status="done")
        complaint = Complaint.objects.create(elder=elder, organisation=org, work_order=order, channel="hotline",
                                             category="quality", summary="access matrix", status="accepted",
                                             received_on=day, accept_due=day, answer_due=day + dt.timedelta(days=7))
        ComplaintStep.objects.create(complaint=complaint, action="file", to_status="received", actor_name="matrix",
                                     at=now)
        visit = ReturnVisit.objects.create(elder=elder, organisation=org, work_order=order, visit_id=9000 + n,
                                           reason="sampled", period=day.replace(day=1), due_on=day)
        ReturnVisitAttempt.objects.create(return_visit=visit, outcome="not_reached", at=now)


MAKERS = {
    "quality.complaint": make_quality,
    "quality.complaintstep": make_quality,
    "quality.returnvisit": make_quality,
    "quality.returnvisitattempt": make_quality,
}


def _elder_of(user):
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder

    return visible_to(user, Elder).order_by("pk").first()


def _complaint_body(world, user):
    _policy()
    elder = _elder_of(user)
    return {"elder": elder.pk if elder else None, "category": "quality", "summary": "matrix complaint"}


def _call_body(world, user):
    _policy()
    return {"outcome": "not_reached"}


# A body the user could send successfully; the access matrix swaps each foreign key for one outside the scope.
WRITE_BODIES = {
    "complaint-list": _complaint_body,
    "return-visit-record": _call_body,
}
