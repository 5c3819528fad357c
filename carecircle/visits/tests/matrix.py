"""Rows for the access matrix (tests/test_access_matrix.py): a visit with an event (and its photo), a flag and an
open exception for a provider in street A, one in street B and one in the neighbouring district."""

import datetime as dt
import io


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def make_visits(world):
    from django.core.files.base import ContentFile

    from carecircle.accounts.models import User
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.providers.models import StaffMember
    from carecircle.visits.models import Visit, VisitEvent, VisitException, VisitFlag
    from carecircle.workorders.models import WorkOrder

    d = world.district
    day = dt.date(2026, 12, 1)
    at = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)
    pairs = ((d.elders.a1, d.provider), (d.elders.b1, d.other_provider), (world.outside.elder, world.outside.provider))
    photo = _png()
    for number, (elder, org) in enumerate(pairs, start=1):
        id_number = make_id_number("310104", dt.date(1984, 3, number), 800 + number, "F")
        user = User.objects.filter(role="caregiver", organisation=org).order_by("pk").first()
        staff = StaffMember.objects.filter(user=user).first() if user is not None else None
        if staff is None:
            staff = StaffMember.objects.create(organisation=org, name=f"{org.name[:2]}上门员工", gender="F",
                                               id_number=id_number, id_number_hash=lookup_hash(id_number),
                                               position="caregiver", user=user)
        order = WorkOrder.objects.create(organisation=org, elder=elder, date=day, window_start=dt.time(9),
                                         window_end=dt.time(11), duration_minutes=60, source="order",
                                         status="started", caregiver=staff, planned_start=at)
        visit = Visit.objects.create(work_order=order, organisation=org, elder=elder, caregiver=staff, date=day,
                                     status="held", checked_in_at=at, on_time=True)
        event = VisitEvent(visit=visit, kind="check_in", user=user or User.objects.filter(role="district_admin").first(),
                           lat="31.205", lng="121.445", device_time=at, clock_skew_seconds=0)
        event.photo.save("matrix.png", ContentFile(photo), save=False)
        event.save()
        flag = VisitFlag.objects.create(visit=visit, event=event, rule="distance_from_home", action="warn",
                                        measured="2000", threshold="300", reason="matrix")
        VisitException.objects.create(visit=visit, flag=flag, reason_code="other")


MAKERS = {
    "visits.visit": make_visits,
    "visits.visitevent": make_visits,
    "visits.visitflag": make_visits,
    "visits.visitexception": make_visits,
}

URL_OBJECTS = {
    "api-visit-check-in": {"pk": "workorders.workorder"},
    "api-visit-items": {"pk": "workorders.workorder"},
    "api-visit-confirm": {"pk": "workorders.workorder"},
    "api-visit-check-out": {"pk": "workorders.workorder"},
    "api-visit-not-home": {"pk": "workorders.workorder"},
    "visits:exception-resolve": {"pk": "visits.visitexception"},
    "visits:exception-approve": {"pk": "visits.visitexception"},
    "visits:exception-return": {"pk": "visits.visitexception"},
    "visits:event-photo": {"pk": "visits.visitevent"},
    "visits:board-visit": {"pk": "workorders.workorder"},
    "visits:pin-set": {"elder_id": "elders.elder"},
}
