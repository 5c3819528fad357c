"""Return visits (回访): created for a share of verified visits (a reproducible draw per month), for every visit
with an exception and for every closed complaint; made by telephone by community workers, the street, the
district or the hotline, each call recorded with its outcome, and the elder's satisfaction (1–5) when reached."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import require_change
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability
from carecircle.core.workdays import add_working_days
from carecircle.core.workflow import IllegalStep
from carecircle.engines.sampling import in_sample

from ..models import Outcome, ReturnVisit, ReturnVisitAttempt, ReturnVisitReason, ReturnVisitStatus
from ..plugin import AuditAction


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def sample_salt(month: dt.date) -> str:
    """The draw of a month: the same visit in the same month is always chosen alike."""
    return f"quality-return-visit-{month:%Y-%m}"


def visit_sampled(*, visit_id: int, day: dt.date, region) -> bool:
    """Whether a verified visit on `day` falls into its month's return-visit sample at the policy's share."""
    share = policy_value("quality.return_visit.sample_share", region=region, on=day)
    return in_sample(visit_id, sample_salt(month_of(day)), share)


def return_visit_create(*, actor, elder, reason: str, organisation=None, work_order=None, visit_id=None,
                        complaint=None, now: dt.datetime | None = None) -> ReturnVisit:
    """One return visit per (visit, reason) and per closed complaint: a second call gives the first one back."""
    if reason not in ReturnVisitReason.values:
        raise ValidationError({"reason": [_("回访原因无效")]})
    existing = None
    if visit_id is not None:
        existing = ReturnVisit.objects.filter(visit_id=visit_id, reason=reason).first()
    elif complaint is not None:
        existing = ReturnVisit.objects.filter(complaint=complaint, reason=reason).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    day = work_order.date if work_order is not None else today
    days = policy_value("quality.return_visit.due_working_days", region=elder.community, on=today)
    try:
        with transaction.atomic():
            visit = ReturnVisit.objects.create(
                elder=elder, organisation=organisation, work_order=work_order, visit_id=visit_id,
                complaint=complaint, reason=reason, period=month_of(day), due_on=add_working_days(today, days))
            audit.record(actor=actor, action=AuditAction.RETURN_VISIT_CREATE, subject=visit,
                         changes={"reason": reason, "visit": visit_id, "work_order": work_order,
                                  "complaint": complaint, "due_on": visit.due_on})
    except IntegrityError:
        # Made at the same moment by another delivery of the same fact: that one stands.
        lookup = {"visit_id": visit_id} if visit_id is not None else {"complaint": complaint}
        return ReturnVisit.objects.get(reason=reason, **lookup)
    return visit


def return_visit_for_visit(*, actor, visit_id: int, work_order_id: int, reason: str,
                           now: dt.datetime | None = None) -> ReturnVisit | None:
    """From the visits' events: a verified visit is called back when it falls in the month's sample; a visit
    with an exception always. None when the visit is not drawn (or its work order no longer exists)."""
    from carecircle.workorders.models import WorkOrder

    work_order = WorkOrder.objects.select_related("elder__community", "organisation").filter(pk=work_order_id).first()
    if work_order is None:
        return None
    if reason == ReturnVisitReason.SAMPLED and not visit_sampled(visit_id=visit_id, day=work_order.date,
                                                                 region=work_order.elder.community):
        return None
    return return_visit_create(actor=actor, elder=work_order.elder, reason=reason,
                               organisation=work_order.organisation, work_order=work_order, visit_id=visit_id,
                               now=now)


def parse_satisfaction(value) -> int | None:
    """1–5, or None when empty; anything else is a 400 naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    message = _("满意度须为 1 到 5 之间的整数")
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError({"satisfaction": [message]})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({"satisfaction": [message]})
    if not 1 <= number <= 5:
        raise ValidationError({"satisfaction": [message]})
    return number


def return_visit_record(*, actor, return_visit: ReturnVisit, outcome: str, satisfaction=None, notes: str = "",
                        now: dt.datetime | None = None) -> ReturnVisit:
    """Record one call. Reached: the satisfaction is required and the return visit is done. Refused: done as
    refused. Not reached: one more attempt; at the policy's maximum it counts as unreachable."""
    if actor is not None and not has_capability(actor, "quality.call"):
        raise PermissionDenied(_("您没有执行此操作的权限。"))
    require_change(actor, return_visit)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("请选择回访结果")]})
    score = parse_satisfaction(satisfaction)
    if outcome == Outcome.REACHED and score is None:
        raise ValidationError({"satisfaction": [_("联系上老人时请记录满意度（1 到 5）")]})
    if outcome != Outcome.REACHED and score is not None:
        raise ValidationError({"satisfaction": [_("未联系上或拒绝回访时不能记录满意度")]})
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise ValidationError({"notes": [_("最多 %(n)d 个字") % {"n": 2000}]})
    with transaction.atomic():
        visit = ReturnVisit.objects.select_for_update().select_related("elder__community").get(pk=return_visit.pk)
        if visit.status != ReturnVisitStatus.PENDING:
            raise IllegalStep(_("回访状态为“%(s)s”，不能再记录通话") % {"s": visit.get_status_display()}, allowed=[])
        now = now or timezone.now()
        before = visit.status
        visit.attempts += 1
        ReturnVisitAttempt.objects.create(return_visit=visit, outcome=outcome, satisfaction=score, notes=notes,
                                          by=actor if getattr(actor, "is_authenticated", False) else None, at=now)
        if outcome == Outcome.REACHED:
            visit.status, visit.satisfaction = ReturnVisitStatus.DONE, score
        elif outcome == Outcome.REFUSED:
            visit.status = ReturnVisitStatus.REFUSED
        else:
            limit = policy_value("quality.return_visit.max_attempts", region=visit.elder.community,
                                 on=timezone.localtime(now).date())
            if visit.attempts >= limit:
                visit.status = ReturnVisitStatus.UNREACHABLE
        if visit.status != ReturnVisitStatus.PENDING:
            visit.completed_at = now
            visit.completed_by = actor if getattr(actor, "is_authenticated", False) else None
        if notes:
            visit.notes = notes
        visit.save(update_fields=["attempts", "status", "satisfaction", "completed_at", "completed_by", "notes"])
        audit.record(actor=actor, action=AuditAction.RETURN_VISIT_CALL, subject=visit,
                     changes={"status": [before, visit.status], "outcome": outcome, "satisfaction": score,
                              "attempt": visit.attempts})
    return visit
