"""`elders_record_departures`: many deaths or moves at once, each checked as a single change would be, any
refusal refusing them all; one audit event and one outbox event per elder."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AuditEvent, OutboxEvent
from carecircle.elders.models import Elder
from carecircle.elders.services import elders_record_departures

ON = dt.date(2026, 3, 2)


def test_departures_change_every_record_with_an_audit_and_an_outbox_event_each(district, users,
                                                                              django_capture_on_commit_callbacks):
    a1, a2 = district.elders.a1, district.elders.a2
    with django_capture_on_commit_callbacks(execute=True):
        elders_record_departures(actor=users.street_staff, changes=[(a1, "deceased", ON, "死亡证明"),
                                                                   (a2, "moved_out", dt.date(2026, 3, 5), "户籍迁出")])
    assert dict(Elder.objects.filter(pk__in=[a1.pk, a2.pk]).values_list("name", "status")) == {
        a1.name: "deceased", a2.name: "moved_out"}
    assert Elder.objects.get(pk=a1.pk).status_date == ON
    events = AuditEvent.objects.filter(action="elders.status", subject_id__in=[str(a1.pk), str(a2.pk)])
    assert events.count() == 2
    assert events.get(subject_id=str(a1.pk)).changes["status"] == ["active", "deceased"]
    assert events.get(subject_id=str(a1.pk)).region_id == a1.community_id
    outbox = OutboxEvent.objects.filter(name="elders.status_changed")
    assert sorted(e.payload["elder"] for e in outbox) == sorted([a1.pk, a2.pk])
    assert all(e.delivered_at is not None for e in outbox)  # delivered in a batch after commit


@pytest.mark.parametrize("change, field", [
    (("deceased", dt.date(2099, 1, 1), "死亡证明"), "status_date"),   # in the future
    (("deceased", dt.date(1900, 1, 1), "死亡证明"), "status_date"),   # before the birth
    (("deceased", ON, "  "), "reason"),                                # no reason
    (("active", ON, "更正"), "status"),                                # not a departure
])
def test_any_bad_change_refuses_them_all(district, users, change, field):
    a1, a2 = district.elders.a1, district.elders.a2
    with pytest.raises(ValidationError) as error:
        elders_record_departures(actor=users.street_staff, changes=[(a1, "deceased", ON, "死亡证明"), (a2, *change)])
    assert field in error.value.message_dict
    assert not Elder.objects.filter(pk__in=[a1.pk, a2.pk]).exclude(status="active").exists()
    assert not OutboxEvent.objects.filter(name="elders.status_changed").exists()


def test_an_elder_already_gone_or_outside_the_area_is_refused(district, users):
    a1, b1 = district.elders.a1, district.elders.b1
    with pytest.raises(PermissionDenied):
        elders_record_departures(actor=users.street_staff, changes=[(b1, "deceased", ON, "死亡证明")])
    elders_record_departures(actor=users.street_staff, changes=[(a1, "deceased", ON, "死亡证明")])
    with pytest.raises(ValidationError):
        elders_record_departures(actor=users.street_staff, changes=[(a1, "moved_out", ON, "户籍迁出")])
    with pytest.raises(PermissionDenied):
        elders_record_departures(actor=users.caregiver, changes=[(a1, "deceased", ON, "死亡证明")])
    assert Elder.objects.get(pk=b1.pk).status == "active"
