"""Exceptions: reason and resolution codes, second-person approval, corrections audited, verification."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.core.testing import assert_no_internals
from carecircle.core.workflow import IllegalStep
from carecircle.visits import services
from carecircle.visits.models import ExceptionStatus, VisitException, VisitStatus

from .conftest import make_work_order

METRE_LAT = 1 / 111_195.0


def proof(lat=31.205, lng=121.445, at=None):
    return services.Proof(lat=lat, lng=lng, accuracy_m=10, datum="wgs84", device_time=at or timezone.now())


@pytest.fixture
def held(field):
    """A visit checked in 2 km away with a reason, then checked out after its full length: held."""
    start = timezone.now() - dt.timedelta(minutes=65)
    order = make_work_order(field.district.provider, field.elder, field.wang, start=start)
    services.visit_check_in(actor=field.users.caregiver, work_order=order,
                            proof=proof(lat=31.205 + 2000 * METRE_LAT, at=start), reason="老人在社区站点",
                            reason_code="elder_elsewhere")
    outcome = services.visit_check_out(actor=field.users.caregiver, work_order=order, proof=proof())
    field.visit = outcome.visit
    field.exception = VisitException.objects.get(visit=outcome.visit)
    return field


def test_held_until_a_second_person_approves_then_verified(held):
    from carecircle.core.models import AuditEvent, OutboxEvent

    assert held.visit.status == VisitStatus.HELD
    provider = held.users.provider_admin
    with pytest.raises(ValidationError):
        services.exception_resolve(actor=provider, exception=held.exception, reason_code="", resolution_code="")
    services.exception_resolve(actor=provider, exception=held.exception, reason_code="elder_elsewhere",
                               resolution_code="confirmed_by_call", note="电话确认老人在社区站点")
    with pytest.raises(PermissionDenied):
        services.exception_approve(actor=provider, exception=held.exception)
    assert not OutboxEvent.objects.filter(name="visits.visit_verified").exists()
    services.exception_approve(actor=held.users.street_staff, exception=held.exception)
    held.exception.refresh_from_db()
    held.visit.refresh_from_db()
    assert held.exception.status == ExceptionStatus.APPROVED
    assert held.exception.approved_by == held.users.street_staff
    assert held.visit.status == VisitStatus.VERIFIED
    assert OutboxEvent.objects.filter(name="visits.visit_verified").count() == 1
    actions = list(AuditEvent.objects.filter(action__startswith="visits.exception").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["visits.exception_open", "visits.exception_resolve", "visits.exception_approve"]


def test_corrected_time_changes_the_visit_only_on_approval_and_is_audited(held):
    from carecircle.core.models import AuditEvent

    corrected = held.visit.checked_in_at + dt.timedelta(minutes=5)
    services.exception_resolve(actor=held.users.provider_admin, exception=held.exception, reason_code="gps_drift",
                               resolution_code="corrected_time", corrected_check_in=corrected)
    held.visit.refresh_from_db()
    assert held.visit.checked_in_at != corrected
    services.exception_approve(actor=held.users.district_admin, exception=held.exception)
    held.visit.refresh_from_db()
    assert held.visit.checked_in_at == corrected
    event = AuditEvent.objects.get(action="visits.visit_correct")
    assert "checked_in_at" in event.changes and event.changes["exception"] == [None, held.exception.pk]


def test_corrected_times_must_be_in_order(held):
    with pytest.raises(ValidationError):
        services.exception_resolve(actor=held.users.provider_admin, exception=held.exception, reason_code="forgot",
                                   resolution_code="corrected_time",
                                   corrected_check_out=held.visit.checked_in_at - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.exception_resolve(actor=held.users.provider_admin, exception=held.exception, reason_code="forgot",
                                   resolution_code="corrected_time")


def test_returned_resolution_goes_back_to_the_queue(held):
    services.exception_resolve(actor=held.users.provider_admin, exception=held.exception, reason_code="gps_drift",
                               resolution_code="evidence_accepted")
    with pytest.raises(ValidationError):
        services.exception_return(actor=held.users.street_staff, exception=held.exception, reason="")
    services.exception_return(actor=held.users.street_staff, exception=held.exception, reason="照片看不清")
    held.exception.refresh_from_db()
    assert held.exception.status == ExceptionStatus.OPEN
    with pytest.raises(IllegalStep):
        services.exception_approve(actor=held.users.street_staff, exception=held.exception)


def test_not_delivered_is_never_verified(held):
    services.exception_resolve(actor=held.users.provider_admin, exception=held.exception, reason_code="other",
                               resolution_code="not_delivered")
    services.exception_approve(actor=held.users.street_staff, exception=held.exception)
    held.visit.refresh_from_db()
    assert held.visit.status == VisitStatus.HELD


def test_outside_scope_cannot_resolve(held):
    with pytest.raises(PermissionDenied):
        services.exception_resolve(actor=held.users.street_staff_b, exception=held.exception, reason_code="other",
                                   resolution_code="evidence_accepted")
    with pytest.raises(IllegalStep):
        services.exception_resolve(actor=held.users.inspector, exception=held.exception, reason_code="other",
                                   resolution_code="evidence_accepted")


def test_database_refuses_the_same_person_approving(held):
    from django.db import IntegrityError, transaction

    held.exception.resolved_by = held.users.provider_admin
    held.exception.approved_by = held.users.provider_admin
    with pytest.raises(IntegrityError), transaction.atomic():
        held.exception.save()


def test_missing_check_out_sweep_flags_once(field):
    start = timezone.now() - dt.timedelta(hours=4)
    order = make_work_order(field.district.provider, field.district.elders.a2, field.wang, start=start)
    services.visit_check_in(actor=field.users.caregiver, work_order=order, proof=proof(31.195, 121.435, at=start),
                            reason="路上堵车")
    window_end = timezone.make_aware(dt.datetime.combine(order.date, order.window_end))
    assert services.missing_check_outs_flag(now=window_end + dt.timedelta(minutes=60)) == 0
    assert services.missing_check_outs_flag(now=window_end + dt.timedelta(minutes=61)) == 1
    assert services.missing_check_outs_flag(now=window_end + dt.timedelta(minutes=90)) == 0
    visit = order.visit
    visit.refresh_from_db()
    assert visit.status == VisitStatus.HELD
    assert visit.flags.filter(rule="missing_check_out").count() == 1


def test_provider_visit_figures(held):
    from carecircle.visits.selectors import provider_visit_figures

    today = timezone.localdate()
    # A published visit of yesterday nobody came to counts as missed.
    yesterday = timezone.now() - dt.timedelta(days=1)
    make_work_order(held.district.provider, held.district.elders.a2, held.wang, start=yesterday)
    rows = provider_visit_figures(held.users.district_admin, start=today - dt.timedelta(days=2), end=today)
    assert rows == [{"organisation_id": held.district.provider.pk, "visits": 2, "on_time": 1, "verified": 0,
                     "with_exception": 1}]
    assert provider_visit_figures(held.users.street_staff_b, start=today, end=today) == []
    assert provider_visit_figures(held.users.district_admin, start=today + dt.timedelta(days=1),
                                  end=today + dt.timedelta(days=2)) == []


def test_pages_show_words_and_the_second_person_rule(held, client):
    client.force_login(held.users.provider_admin)
    response = client.get("/visits/exceptions/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "签到位置离老人家 2000 米" in page
    assert_no_internals(page)
    response = client.get(f"/visits/exceptions/{held.exception.pk}/")
    assert response.status_code == 200 and "提交处理" in response.content.decode()
    assert_no_internals(response.content.decode())
    response = client.post(f"/visits/exceptions/{held.exception.pk}/resolve/",
                           {"reason_code": "gps_drift", "resolution_code": "evidence_accepted", "note": "看过照片"})
    assert response.status_code == 302
    page = client.get(f"/visits/exceptions/{held.exception.pk}/").content.decode()
    assert "复核须由另一人进行" in page and "处理上门异常" in page
    client.force_login(held.users.street_staff_b)
    assert client.get(f"/visits/exceptions/{held.exception.pk}/").status_code == 404
    client.force_login(held.users.street_staff)
    assert client.post(f"/visits/exceptions/{held.exception.pk}/approve/").status_code == 302
    held.visit.refresh_from_db()
    assert held.visit.status == VisitStatus.VERIFIED


def test_list_filters_by_provider_and_street(held, client):
    client.force_login(held.users.district_admin)
    row = f'data-exception="{held.exception.pk}"'
    page = client.get("/visits/exceptions/", {"organisation": held.district.other_provider.pk}).content.decode()
    assert row not in page
    page = client.get("/visits/exceptions/", {"street": held.district.street_a.pk}).content.decode()
    assert row in page
    page = client.get("/visits/exceptions/", {"street": held.district.street_b.pk}).content.decode()
    assert row not in page
    assert client.get("/visits/exceptions/", {"page": "x"}).status_code == 400
