"""Complaints: filed from any channel, accepted and passed to the provider, answered, escalated to the district
when overdue (the beat) or on demand, closed (a return visit follows) and reopened by the complainant.

Each step checks who may act on the complaint as the caller read it, then locks the row and checks the state
under the lock (`models.COMPLAINT_FLOW`): of two people answering at once the second meets the answer and gets
a 409 naming what is allowed from there. Every step is a `ComplaintStep` and an audit event."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import acts_for, is_visible, require_change
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability, is_person
from carecircle.core.workdays import Calendar

from ..models import COMPLAINT_FLOW, Category, Channel, Complaint, ComplaintStatus, ComplaintStep, ReturnVisitReason
from ..plugin import AuditAction

MAX_TEXT = 2000


def _require(actor, *capabilities) -> None:
    if actor is not None and not any(has_capability(actor, c) for c in capabilities):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _text(value, *, field: str, required: bool, message) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and len(text) < 2:
        raise ValidationError({field: [message]})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: [_("最多 %(n)d 个字") % {"n": MAX_TEXT}]})
    return text


def default_channel(actor) -> str:
    role = getattr(actor, "role", None)
    if is_person(actor):
        return Channel.PORTAL
    if role == "operator":
        return Channel.HOTLINE
    if role == "community_worker":
        return Channel.COMMUNITY
    return Channel.WINDOW


def deadlines(*, region, received_on: dt.date, calendar: Calendar | None = None) -> tuple[dt.date, dt.date]:
    """(accept by, answer by): the policy's working days after the day received, on the statutory calendar."""
    calendar = calendar or Calendar.load()
    accept = policy_value("quality.complaint.accept_working_days", region=region, on=received_on)
    answer = policy_value("quality.complaint.answer_working_days", region=region, on=received_on)
    return calendar.add_working_days(received_on, accept), calendar.add_working_days(received_on, answer)


def organisations_for(elder):
    """The providers a complaint about this elder's care may name: those serving the elder's community and
    those that have had a visit at the elder's home."""
    from carecircle.providers.models import Organisation
    from carecircle.workorders.models import WorkOrder

    visited = WorkOrder.objects.filter(elder=elder).values("organisation")
    return (Organisation.objects.filter(service_areas__community=elder.community) | Organisation.objects.filter(
        pk__in=visited)).exclude(kind="assessment_agency").distinct().order_by("name", "id")


def _check_subject(*, elder, organisation, work_order, caregiver):
    """The provider, visit and caregiver named must belong together and to the elder's care. A provider that
    does not serve the elder is reported on the field that named it (the caregiver's, when only they did)."""
    errors = {}
    named_by = "organisation"
    if work_order is not None:
        if work_order.elder_id != elder.pk:
            errors["work_order"] = [_("这次上门服务不是该老人的。")]
        elif organisation is None:
            organisation, named_by = work_order.organisation, "work_order"
        elif organisation.pk != work_order.organisation_id:
            errors["work_order"] = [_("这次上门服务不是该机构提供的。")]
    if caregiver is not None:
        if organisation is None:
            organisation, named_by = caregiver.organisation, "caregiver"
        elif caregiver.organisation_id != organisation.pk:
            errors["caregiver"] = [_("该护理员不属于被投诉的机构。")]
    if organisation is not None and not organisations_for(elder).filter(pk=organisation.pk).exists():
        errors.setdefault(named_by, [_("该机构没有为这位老人提供服务。")])
    if errors:
        raise ValidationError(errors)
    return organisation


def _step(complaint, *, actor, action: str, before: str, note: str = "", now, changes=None, audit_action):
    ComplaintStep.objects.create(
        complaint=complaint, action=action, from_status=before, to_status=complaint.status, note=note, actor=actor
        if getattr(actor, "is_authenticated", False) else None,
        actor_name=(actor.display_name or actor.get_username()) if getattr(actor, "is_authenticated", False)
        else _("系统"), at=now)
    audit.record(actor=actor, action=audit_action, subject=complaint, reason=note if action != "answer" else "",
                 changes={"status": [before or None, complaint.status], **(changes or {})})


def complaint_file(*, actor, elder, category: str, summary: str, channel: str | None = None, organisation=None,
                   work_order=None, caregiver=None, complainant: str = "", return_visit=None,
                   now: dt.datetime | None = None) -> Complaint:
    """Register a complaint. Its deadlines are set from the day received."""
    _require(actor, "quality.file", "quality.handle")
    if actor is not None and not is_visible(actor, elder):
        raise PermissionDenied(_("该老人不在您的管辖范围内。"))
    if category not in Category.values:
        raise ValidationError({"category": [_("请选择投诉类别")]})
    summary = _text(summary, field="summary", required=True, message=_("请写明投诉的事情（至少两个字）"))
    complainant = _text(complainant, field="complainant", required=False, message="")[:50]
    channel = Channel.RETURN_VISIT if return_visit is not None else (channel or default_channel(actor))
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("来源渠道无效")]})
    if is_person(actor):
        channel = Channel.PORTAL
    organisation = _check_subject(elder=elder, organisation=organisation, work_order=work_order, caregiver=caregiver)
    now = now or timezone.now()
    received = timezone.localtime(now).date()
    accept_due, answer_due = deadlines(region=elder.community, received_on=received)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            elder=elder, organisation=organisation, work_order=work_order, caregiver=caregiver, channel=channel,
            category=category, summary=summary, complainant=complainant, received_on=received,
            accept_due=accept_due, answer_due=answer_due, return_visit=return_visit,
            filed_by=actor if getattr(actor, "is_authenticated", False) else None)
        _step(complaint, actor=actor, action="file", before="", note=summary, now=now,
              audit_action=AuditAction.COMPLAINT_FILE,
              changes={"channel": channel, "category": category, "organisation": organisation,
                       "work_order": work_order, "caregiver": caregiver, "answer_due": answer_due})
    return complaint


def _locked(complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("elder__community").get(pk=complaint.pk)


def complaint_accept(*, actor, complaint: Complaint, organisation=None, note: str = "",
                     now: dt.datetime | None = None) -> Complaint:
    """Accept the complaint and pass it to the provider it is about (chosen now when it named none)."""
    _require(actor, "quality.handle")
    require_change(actor, complaint)
    note = _text(note, field="note", required=False, message="")
    if organisation is not None:
        # A provider that does not serve the elder is bad input whatever state the complaint is in.
        _check_subject(elder=complaint.elder, organisation=organisation, work_order=None, caregiver=None)
    with transaction.atomic():
        complaint = _locked(complaint)
        COMPLAINT_FLOW.check(complaint, actor, "accept")
        if complaint.organisation_id is None:
            if organisation is None:
                raise ValidationError({"organisation": [_("请选择被投诉的服务机构，受理后由该机构答复")]})
            complaint.organisation = organisation
        now = now or timezone.now()
        before = complaint.status
        complaint.status, complaint.accepted_at = ComplaintStatus.ACCEPTED, now
        complaint.save(update_fields=["status", "accepted_at", "organisation", "updated_at"])
        _step(complaint, actor=actor, action="accept", before=before, note=note, now=now,
              audit_action=AuditAction.COMPLAINT_ACCEPT, changes={"organisation": complaint.organisation_id})
    return complaint


def complaint_answer(*, actor, complaint: Complaint, answer: str, now: dt.datetime | None = None) -> Complaint:
    """The provider's answer (or the district's, once escalated)."""
    _require(actor, "quality.respond")
    if actor is not None and not (acts_for(actor, complaint) or is_visible(actor, complaint, "change")):
        raise PermissionDenied(_("只能答复本机构的投诉。"))
    answer = _text(answer, field="answer", required=True, message=_("请写明答复内容（至少两个字）"))
    with transaction.atomic():
        complaint = _locked(complaint)
        COMPLAINT_FLOW.check(complaint, actor, "answer")
        now = now or timezone.now()
        before = complaint.status
        complaint.status, complaint.answer, complaint.answered_at = ComplaintStatus.ANSWERED, answer, now
        complaint.save(update_fields=["status", "answer", "answered_at", "updated_at"])
        _step(complaint, actor=actor, action="answer", before=before, note=answer, now=now,
              audit_action=AuditAction.COMPLAINT_ANSWER, changes={"answer": answer,
                                                                  "late": timezone.localtime(now).date()
                                                                  > complaint.answer_due})
    return complaint


def complaint_escalate(*, actor, complaint: Complaint, reason: str, now: dt.datetime | None = None) -> Complaint:
    """Send the complaint to the district: on demand (street, hotline) or by the beat when it is overdue."""
    _require(actor, "quality.handle")
    require_change(actor, complaint)
    reason = _text(reason, field="reason", required=False, message="")
    with transaction.atomic():
        complaint = _locked(complaint)
        COMPLAINT_FLOW.check(complaint, actor, "escalate", reason=reason)
        now = now or timezone.now()
        before = complaint.status
        complaint.status, complaint.escalated_at = ComplaintStatus.ESCALATED, now
        complaint.save(update_fields=["status", "escalated_at", "updated_at"])
        _step(complaint, actor=actor, action="escalate", before=before, note=reason, now=now,
              audit_action=AuditAction.COMPLAINT_ESCALATE)
    return complaint


def complaints_escalate_overdue(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """The beat: every complaint not accepted by its acceptance deadline, or not answered by its answer deadline,
    goes to the district. Returns how many were escalated."""
    from django.db.models import Q

    now = now or timezone.now()
    today = today or timezone.localtime(now).date()
    overdue = Complaint.objects.filter(
        Q(status=ComplaintStatus.RECEIVED, accept_due__lt=today) | Q(status=ComplaintStatus.ACCEPTED,
                                                                     answer_due__lt=today)).order_by("pk")
    count = 0
    for complaint in overdue:
        with transaction.atomic():
            locked = _locked(complaint)
            if locked.status == ComplaintStatus.RECEIVED and locked.accept_due < today:
                reason = _("超过受理期限 %(d)s 仍未受理") % {"d": locked.accept_due.isoformat()}
            elif locked.status == ComplaintStatus.ACCEPTED and locked.answer_due < today:
                reason = _("超过答复期限 %(d)s 仍未答复") % {"d": locked.answer_due.isoformat()}
            else:
                continue  # someone acted on it meanwhile
            complaint_escalate(actor=None, complaint=locked, reason=reason, now=now)
            count += 1
    return count


def complaint_close(*, actor, complaint: Complaint, satisfied: bool | None = None, note: str = "",
                    now: dt.datetime | None = None) -> Complaint:
    """Close an answered complaint (with whether the complainant is satisfied); a return visit follows."""
    from .return_visits import return_visit_create

    _require(actor, "quality.handle")
    require_change(actor, complaint)
    note = _text(note, field="note", required=False, message="")
    if satisfied not in (True, False, None):
        raise ValidationError({"satisfied": [_("请选择投诉人是否满意")]})
    with transaction.atomic():
        complaint = _locked(complaint)
        COMPLAINT_FLOW.check(complaint, actor, "close")
        now = now or timezone.now()
        before = complaint.status
        complaint.status, complaint.closed_at, complaint.complainant_satisfied = ComplaintStatus.CLOSED, now, satisfied
        complaint.save(update_fields=["status", "closed_at", "complainant_satisfied", "updated_at"])
        _step(complaint, actor=actor, action="close", before=before, note=note, now=now,
              audit_action=AuditAction.COMPLAINT_CLOSE, changes={"satisfied": satisfied})
        return_visit_create(actor=actor, elder=complaint.elder, reason=ReturnVisitReason.COMPLAINT,
                            organisation=complaint.organisation, work_order=complaint.work_order,
                            complaint=complaint, now=now)
    return complaint


def complaint_reopen(*, actor, complaint: Complaint, reason: str, now: dt.datetime | None = None) -> Complaint:
    """The complainant is not satisfied: within the policy's days after the answer the complaint goes back to
    the provider (or to registration when it names none) with a new answer deadline from today."""
    _require(actor, "quality.file", "quality.handle")
    require_change(actor, complaint)
    reason = _text(reason, field="reason", required=False, message="")
    with transaction.atomic():
        complaint = _locked(complaint)
        now = now or timezone.now()
        complaint.checked_on = timezone.localtime(now).date()
        message = None
        if complaint.status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED):
            from ..models import reopen_until

            last = reopen_until(complaint)
            message = _("重新处理须在 %(d)s 之前提出，已经过期；如有新的问题请另行投诉") % {
                "d": last.isoformat() if last else "—"}
        COMPLAINT_FLOW.check(complaint, actor, "reopen", reason=reason, message=message)
        today = timezone.localtime(now).date()
        before = complaint.status
        accept_due, answer_due = deadlines(region=complaint.elder.community, received_on=today)
        complaint.status = ComplaintStatus.ACCEPTED if complaint.organisation_id else ComplaintStatus.RECEIVED
        complaint.accept_due, complaint.answer_due = accept_due, answer_due
        complaint.reopen_count += 1
        complaint.answered_at = complaint.closed_at = None
        complaint.complainant_satisfied = None
        complaint.save(update_fields=["status", "accept_due", "answer_due", "reopen_count", "answered_at",
                                      "closed_at", "complainant_satisfied", "updated_at"])
        _step(complaint, actor=actor, action="reopen", before=before, note=reason, now=now,
              audit_action=AuditAction.COMPLAINT_REOPEN, changes={"answer_due": answer_due})
    return complaint
