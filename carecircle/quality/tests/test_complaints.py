"""Complaints: deadlines in working days, each step and who may take it, escalation, reopening, the audit."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.quality import services
from carecircle.quality.models import ComplaintStatus, ReturnVisit, ReturnVisitReason

from .conftest import at


def _file(q, *, now=None, actor=None, **extra):
    values = {"elder": q.d.elders.a1, "category": "late_or_missed", "summary": "护理员迟到一个小时",
              "work_order": q.visit_a1}
    values.update(extra)
    return services.complaint_file(actor=actor or q.u.operator, now=now, **values)


def _actions(complaint):
    return list(AuditEvent.objects.filter(subject_type="quality.complaint", subject_id=str(complaint.pk))
                .order_by("id").values_list("action", flat=True))


def test_deadlines_count_working_days_across_the_national_day_holiday(quality):
    # Wednesday 30 September 2026; 1–7 October are holidays, Saturday 10 October is a working day.
    complaint = _file(quality, now=at(dt.date(2026, 9, 30)))
    assert complaint.received_on == dt.date(2026, 9, 30)
    assert complaint.accept_due == dt.date(2026, 10, 8)
    assert complaint.answer_due == dt.date(2026, 10, 13)  # 8, 9, 10 (adjusted Saturday), 12, 13


def test_a_day_earlier_the_first_working_day_falls_before_the_holiday(quality):
    complaint = _file(quality, now=at(dt.date(2026, 9, 29)))
    assert complaint.accept_due == dt.date(2026, 9, 30)
    assert complaint.answer_due == dt.date(2026, 10, 12)


def test_a_complaint_about_a_visit_is_about_its_provider_and_the_channel_follows_the_filer(quality):
    complaint = _file(quality)
    assert complaint.organisation == quality.d.provider
    assert complaint.channel == "hotline"
    assert complaint.status == ComplaintStatus.RECEIVED
    assert _actions(complaint) == ["quality.complaint_file"]


def test_a_caregiver_of_another_provider_is_refused(quality):
    from carecircle.providers.models import StaffMember

    other = StaffMember.objects.create(organisation=quality.d.other_provider, name="赵护理", gender="F",
                                       id_number="310104199001011234", position="caregiver",
                                       id_number_hash="quality-test-other")
    with pytest.raises(ValidationError) as error:
        _file(quality, caregiver=other)
    assert "caregiver" in error.value.error_dict


def test_the_whole_way_received_accepted_answered_closed_with_a_return_visit(quality):
    u = quality.u
    complaint = _file(quality)
    complaint = services.complaint_accept(actor=u.street_staff, complaint=complaint)
    assert complaint.status == ComplaintStatus.ACCEPTED
    complaint = services.complaint_answer(actor=u.provider_admin, complaint=complaint, answer="已向护理员核实并致歉")
    assert complaint.status == ComplaintStatus.ANSWERED
    complaint = services.complaint_close(actor=u.street_staff, complaint=complaint, satisfied=True)
    assert complaint.status == ComplaintStatus.CLOSED and complaint.complainant_satisfied is True
    assert _actions(complaint) == ["quality.complaint_file", "quality.complaint_accept", "quality.complaint_answer",
                                   "quality.complaint_close"]
    steps = list(complaint.steps.values_list("to_status", flat=True))
    assert steps == ["received", "accepted", "answered", "closed"]
    visit = ReturnVisit.objects.get(complaint=complaint)
    assert visit.reason == ReturnVisitReason.COMPLAINT and visit.organisation == quality.d.provider


def test_a_provider_cannot_answer_before_the_complaint_is_accepted_nor_another_providers(quality):
    from carecircle.accounts.models import User

    complaint = _file(quality)
    with pytest.raises(IllegalStep) as error:
        services.complaint_answer(actor=quality.u.provider_admin, complaint=complaint, answer="好的")
    assert error.value.allowed == []
    services.complaint_accept(actor=quality.u.street_staff, complaint=complaint)
    other = User.objects.create_user(username="other_provider", password="x-Pass-2026", role="provider_admin",
                                     organisation=quality.d.other_provider)
    with pytest.raises(PermissionDenied):
        services.complaint_answer(actor=other, complaint=complaint, answer="不是我们")


def test_an_answer_needs_words(quality):
    complaint = services.complaint_accept(actor=quality.u.street_staff, complaint=_file(quality))
    with pytest.raises(ValidationError) as error:
        services.complaint_answer(actor=quality.u.provider_admin, complaint=complaint, answer=" ")
    assert "answer" in error.value.error_dict


def test_the_beat_escalates_only_what_is_past_its_deadline(quality):
    received = _file(quality, now=at(dt.date(2026, 9, 30)))  # accept by 8 October
    accepted = services.complaint_accept(actor=quality.u.street_staff,
                                         complaint=_file(quality, now=at(dt.date(2026, 9, 30))))  # answer by 13 Oct
    assert services.complaints_escalate_overdue(today=dt.date(2026, 10, 8)) == 0
    assert services.complaints_escalate_overdue(today=dt.date(2026, 10, 9)) == 1
    received.refresh_from_db()
    accepted.refresh_from_db()
    assert received.status == ComplaintStatus.ESCALATED and accepted.status == ComplaintStatus.ACCEPTED
    assert services.complaints_escalate_overdue(today=dt.date(2026, 10, 13)) == 0
    assert services.complaints_escalate_overdue(today=dt.date(2026, 10, 14)) == 1
    accepted.refresh_from_db()
    assert accepted.status == ComplaintStatus.ESCALATED
    event = AuditEvent.objects.get(action="quality.complaint_escalate", subject_id=str(accepted.pk))
    assert event.actor is None and "2026-10-13" in event.reason
    # Escalated: the district answers now, the provider no longer can.
    with pytest.raises(IllegalStep):
        services.complaint_answer(actor=quality.u.provider_admin, complaint=accepted, answer="我们来答复")
    services.complaint_answer(actor=quality.u.district_admin, complaint=accepted, answer="区民政已约谈机构")


def test_escalation_on_demand_needs_a_reason(quality):
    complaint = _file(quality)
    with pytest.raises(ValidationError):
        services.complaint_escalate(actor=quality.u.street_staff, complaint=complaint, reason="")
    services.complaint_escalate(actor=quality.u.street_staff, complaint=complaint, reason="老人多次来电")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ESCALATED


def test_the_complainant_reopens_within_the_window_with_a_new_deadline(quality):
    u = quality.u
    complaint = _file(quality, actor=u.elder)
    assert complaint.channel == "portal"
    services.complaint_accept(actor=u.street_staff, complaint=complaint)
    services.complaint_answer(actor=u.provider_admin, complaint=complaint, answer="已调整护理员")
    with pytest.raises(ValidationError):
        services.complaint_reopen(actor=u.elder, complaint=complaint, reason="")
    complaint = services.complaint_reopen(actor=u.elder, complaint=complaint, reason="还是迟到")
    assert complaint.status == ComplaintStatus.ACCEPTED and complaint.reopen_count == 1
    assert "quality.complaint_reopen" in _actions(complaint)


def test_reopening_after_the_window_is_refused(quality):
    u = quality.u
    complaint = _file(quality, actor=u.elder, now=at(dt.date(2026, 9, 1)))
    services.complaint_accept(actor=u.street_staff, complaint=complaint, now=at(dt.date(2026, 9, 1)))
    services.complaint_answer(actor=u.provider_admin, complaint=complaint, answer="已处理", now=at(dt.date(2026, 9, 2)))
    with pytest.raises(IllegalStep) as error:
        services.complaint_reopen(actor=u.elder, complaint=complaint, reason="不满意")
    assert "2026-09-17" in error.value.message


def test_family_cannot_file_for_another_elder(quality):
    with pytest.raises(PermissionDenied):
        _file(quality, actor=quality.u.family)  # the family member is linked to A2, not A1
