"""Writes of the intake app: submitting (with merging), every workflow step, notices, objections, waiting lists.

Each service runs in one transaction, locks the application row before it looks at its state (two reviewers
acting at once: the second finds the state already moved and is refused), writes a timeline event and an
audit event, and queues side effects on commit.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core import audit
from carecircle.core.isolation import is_visible
from carecircle.core.policy import MissingPolicyParameter, policy_label, policy_value
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import mask_name
from carecircle.core.throttle import RateLimited, take
from carecircle.core.validators import clean_name, clean_text_list
from carecircle.core.workdays import Calendar
from carecircle.core.workflow import IllegalStep

from . import workflow
from .defaults import application_types_seed  # noqa: F401  (a write other apps reach through services)
from .models import (CLOSED_STATES, Application, ApplicationEvent, ApplicationType, Channel, Objection,
                     ObjectionOutcome, PublicNotice, State, WaitlistEntry, WaitlistStatus)
from .texts import cause_text
from .waitlist import category_label, rank_entries


@dataclass
class Submission:
    application: Application
    merged: bool


# --- helpers ------------------------------------------------------------------------------------------

def office_of(actor) -> str:
    """The office that acted; empty for the system (pages then say "system" in the reader's language)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    if actor.scope_region_id:
        return actor.scope_region.name
    if actor.organisation_id:
        return actor.organisation.name
    with translation.override(settings.LANGUAGE_CODE):
        return actor.shown_name


def _actor_repr(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return actor.shown_name  # kept for the record; pages name the account as it is shown now


def _event(application, *, actor, action, from_state="", to_state="", reason="", channel="", data=None):
    return ApplicationEvent.objects.create(
        application=application, actor=actor if actor is not None and actor.is_authenticated else None,
        actor_repr=_actor_repr(actor), office=office_of(actor), action=action, from_state=from_state,
        to_state=to_state, reason=reason, channel=channel,
        data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
    )


def type_for(elder, code: str) -> ApplicationType:
    """The type with this code configured for the elder's community or its nearest ancestor."""
    paths = [elder.community.path, *reversed(elder.community.ancestor_paths())]
    rows = {t.region.path: t for t in ApplicationType.objects.filter(code=code, region__path__in=paths, is_active=True)
            .select_related("region")}
    for path in paths:
        if path in rows:
            return rows[path]
    raise ValidationError({"type": _("没有名为“%(code)s”的申请类型，或该类型在老人所在区域未开放") % {"code": code}})


def types_for_region(region):
    paths = [region.path, *reversed(region.ancestor_paths())]
    found: dict[str, ApplicationType] = {}
    rows = ApplicationType.objects.filter(region__path__in=paths, is_active=True).select_related("region")
    for path in paths:
        for row in rows:
            if row.region.path == path and row.code not in found:
                found[row.code] = row
    return sorted(found.values(), key=lambda t: (t.sort_order, t.code))


def deadline_days(application, state: str, *, on: dt.date) -> int | None:
    key = "intake.public_notice.working_days" if state == State.PUBLIC_NOTICE else f"intake.deadline.{state}"
    try:
        table = policy_value(key, region=application.community, on=on)
    except (MissingPolicyParameter, KeyError):
        return None
    value = table.get(application.type.code, table.get("default"))
    return int(value) if value is not None else None


def due_date(application, state: str, *, on: dt.date, calendar: Calendar | None = None) -> dt.date | None:
    days = deadline_days(application, state, on=on)
    if days is None:
        return None
    return (calendar or Calendar.load()).add_working_days(on, days)


def _street_of(community):
    from carecircle.regions.models import Region

    return Region.objects.filter(path__in=community.ancestor_paths(), kind="street").first() or community


# --- submitting ---------------------------------------------------------------------------------------

def _check_channel(actor, channel: str):
    if channel not in Channel.values:
        raise ValidationError({"channel": _("未知的申请渠道：%(value)s；可用：%(allowed)s")
                               % {"value": channel, "allowed": pgettext("list separator", "、").join(Channel.values)}})
    if actor is None:
        return
    role_channels = {
        "elder": {Channel.PORTAL}, "family": {Channel.PORTAL},
        "community_worker": {Channel.COMMUNITY}, "operator": {Channel.HOTLINE},
        "street_staff": {Channel.WINDOW, Channel.COMMUNITY, Channel.HOTLINE, Channel.API},
        "district_admin": set(Channel.values),
    }
    allowed = set(Channel.values) if actor.is_superuser else role_channels.get(actor.role, set())
    if channel not in allowed:
        raise ValidationError({"channel": _("您的角色不能通过“%(channel)s”渠道登记申请；可用：%(allowed)s")
                               % {"channel": Channel(channel).label,
                                  "allowed": pgettext("list separator", "、").join(str(Channel(c).label) for c in sorted(allowed)) or "—"}})


def application_submit(*, elder, type_code: str, channel: str, actor, applicant_name: str = "",
                       applicant_relation: str = "", applicant_phone: str = "", documents=(), note: str = ""
                       ) -> Submission:
    """Register an application; an open one of the same elder and type absorbs it (merge on the timeline)."""
    if actor is not None and not has_capability(actor, "intake.submit"):
        raise PermissionDenied(_("您没有登记申请的权限"))
    if actor is not None and not is_visible(actor, elder):
        raise PermissionDenied(_("该老人不在您的管辖或关联范围内"))
    _check_channel(actor, channel)
    problems: dict[str, list] = {}
    applicant_name = clean_name(applicant_name, field="applicant_name", label=_("申请人"), max_length=50,
                                errors=problems, required=False)
    documents = clean_text_list(list(documents), field="documents", errors=problems)
    if problems:
        raise ValidationError(problems)
    kind = type_for(elder, type_code)
    if elder.status != "active":
        raise ValidationError({"elder": _("老人档案状态为“%(status)s”，不能申请") % {"status": elder.get_status_display()}})
    unknown = [d for d in documents if d not in kind.documents]
    if unknown:
        raise ValidationError({"documents": _("“%(type)s”不需要这些材料：%(docs)s；所需材料为：%(need)s")
                               % {"type": kind.name, "docs": pgettext("list separator", "、").join(unknown), "need": pgettext("list separator", "、").join(kind.documents)}})
    try:
        with transaction.atomic():
            return _submit(elder=elder, kind=kind, channel=channel, actor=actor, applicant_name=applicant_name,
                           applicant_relation=applicant_relation, applicant_phone=applicant_phone,
                           documents=list(documents), note=note)
    except IntegrityError:
        # Another channel registered the same elder and type a moment ago: merge into that one.
        with transaction.atomic():
            return _submit(elder=elder, kind=kind, channel=channel, actor=actor, applicant_name=applicant_name,
                           applicant_relation=applicant_relation, applicant_phone=applicant_phone,
                           documents=list(documents), note=note)


def _submit(*, elder, kind, channel, actor, applicant_name, applicant_relation, applicant_phone, documents, note):
    existing = Application.objects.select_for_update().filter(elder=elder, type=kind, is_open=True).first()
    if existing is not None:
        added = [d for d in documents if d not in existing.documents_received]
        existing.documents_received = [*existing.documents_received, *added]
        existing.save(update_fields=["documents_received", "updated_at"])
        _event(existing, actor=actor, action="merged", channel=channel,
               reason=_("同一老人同一类型已有办理中的申请，经“%(channel)s”提交的申请已并入本申请")
               % {"channel": Channel(channel).label},
               data={"applicant": applicant_name, "relation": applicant_relation, "documents_added": added,
                     "note": note})
        audit.record(actor=actor, action="intake.application_merged", subject=existing,
                     changes={"channel": channel, "documents_added": added})
        return Submission(existing, True)
    now = timezone.now()
    application = Application(
        number="T" + uuid.uuid4().hex[:18], elder=elder, type=kind, community=elder.community,
        street=_street_of(elder.community), channel=channel, state=State.REGISTERED, is_open=True,
        applicant_name=applicant_name.strip(), applicant_relation=applicant_relation.strip(),
        applicant_phone=applicant_phone.strip(), documents_received=documents, note=note,
        submitted_by=actor if actor is not None and actor.is_authenticated else None, state_since=now,
    )
    application.due_on = due_date(application, State.REGISTERED, on=timezone.localdate(now))
    application.save()
    application.number = f"SQ{timezone.localdate(now):%Y}{application.pk:07d}"
    application.save(update_fields=["number"])
    _event(application, actor=actor, action="registered", to_state=State.REGISTERED, channel=channel,
           data={"applicant": applicant_name, "relation": applicant_relation, "documents": documents})
    audit.record(actor=actor, action="intake.application_registered", subject=application,
                 changes=audit.snapshot(application, ["elder", "type", "channel", "state", "documents_received"]))
    return Submission(application, False)


# --- the workflow -------------------------------------------------------------------------------------

def allowed_actions(application, actor, *, scope_checked: bool = False) -> list[str]:
    """The actions this user may take on this application now (none on one outside their scope).
    `scope_checked`: the caller read the application through visible_to for this user already."""
    if actor is not None and not scope_checked and not is_visible(actor, application):
        return []
    return workflow.FLOW.allowed_actions(application, actor)


def _allowed_message(application, actor) -> str:
    actions = allowed_actions(application, actor)
    labels = pgettext("list separator", "、").join(str(workflow.FLOW.label(a)) for a in actions) or pgettext("actions", "无")
    return _("当前状态为“%(state)s”，您可以进行的操作：%(actions)s") % {"state": application.get_state_display(),
                                                                   "actions": labels}


def _refuse(application, actor, message) -> IllegalStep:
    return IllegalStep(message + _allowed_message(application, actor), allowed=allowed_actions(application, actor))


def _require_first_in_queue(application, actor) -> None:
    """Admission follows the waiting order; a later entry is told its place rather than just "not allowed"."""
    entry = WaitlistEntry.objects.select_for_update().filter(application=application).first()
    if entry is not None and entry.status == WaitlistStatus.WAITING and entry.position != 1:
        raise _refuse(application, actor, _("轮候须按顺序入住：该申请目前排第 %(position)s 位，应先安排第 1 位。")
                      % {"position": entry.position})


def _require_notice_period_over(application, actor) -> None:
    """Closing a notice early, or with an objection unanswered, is told in words (the date, the objection)."""
    notice = workflow.open_notice(application)
    if notice is not None and timezone.localdate() <= notice.ends_on:
        raise _refuse(application, actor, _("公示期至 %(date)s 截止，期满后才能结束公示。")
                      % {"date": notice.ends_on.isoformat()})
    if Objection.objects.filter(application=application, outcome="").exists():
        raise _refuse(application, actor, _("尚有异议未答复，须先答复异议。"))


def _check_step(application, actor, step, reason: str) -> None:
    """The shared workflow check (state, the type's configuration, capability, reason), in intake's words."""
    if step.action == "admit" and application.state in step.source and step.permits(actor):
        _require_first_in_queue(application, actor)
    if step.action == "close_notice" and application.state in step.source and step.permits(actor):
        _require_notice_period_over(application, actor)
    try:
        workflow.FLOW.check(application, actor, step.action, reason=reason)
    except IllegalStep:
        raise _refuse(application, actor, _("不能“%(step)s”。") % {"step": step.label}) from None
    except ValidationError:
        raise ValidationError({"reason": _("“%(step)s”须填写原因") % {"step": step.label}}) from None


def application_act(*, application, action: str, actor, reason: str = "", outcome: str = "",
                    agency=None, documents=None) -> Application:
    """Take one workflow step. Illegal steps raise IllegalStep naming what is allowed from here."""
    step = workflow.FLOW.by_action.get(action)
    if step is None:
        raise ValidationError({"action": _("未知的操作：%(action)s") % {"action": action}})
    with transaction.atomic():
        locked = Application.objects.select_for_update().select_related("type", "elder", "community").get(
            pk=application.pk)
        if actor is not None and not is_visible(actor, locked):
            raise PermissionDenied(_("该申请不在您的管辖或关联范围内"))
        reason = (reason or "").strip()
        _check_step(locked, actor, step, reason)
        handler = _HANDLERS.get(action, _simple)
        result = handler(locked, step=step, actor=actor, reason=reason, outcome=outcome, agency=agency,
                         documents=documents)
    application.refresh_from_db()
    return result


def _move(application, *, to_state, actor, action, reason="", data=None, today=None):
    today = today or timezone.localdate()
    from_state = application.state
    application.state = to_state
    application.is_open = to_state not in CLOSED_STATES
    application.state_since = timezone.now()
    application.due_on = None if to_state in CLOSED_STATES else due_date(application, to_state, on=today)
    application.save()
    _event(application, actor=actor, action=action, from_state=from_state, to_state=to_state, reason=reason,
           data=data)
    audit.record(actor=actor, action=f"intake.{action}", subject=application,
                 changes={"state": [from_state, to_state], **(data or {})}, reason=reason)
    return application


def _simple(application, *, step, actor, reason, **_kwargs):
    return _move(application, to_state=step.target, actor=actor, action=step.action, reason=reason)


def _resubmit(application, *, step, actor, reason, documents=None, **_kwargs):
    data = {}
    if documents:
        unknown = [d for d in documents if d not in application.type.documents]
        if unknown:
            raise ValidationError({"documents": _("“%(type)s”不需要这些材料：%(docs)s")
                                   % {"type": application.type.name, "docs": pgettext("list separator", "、").join(unknown)}})
        added = [d for d in documents if d not in application.documents_received]
        application.documents_received = [*application.documents_received, *added]
        data["documents_added"] = added
    return _move(application, to_state=step.target, actor=actor, action=step.action, reason=reason, data=data)


def _withdraw(application, *, step, actor, reason, **_kwargs):
    _move(application, to_state=State.WITHDRAWN, actor=actor, action=step.action, reason=reason)
    _leave_waitlist(application, actor=actor, cause="withdrew")
    return application


def _order_assessment(application, *, step, actor, reason, agency=None, **_kwargs):
    """Order the assessment from the assessment module; a re-assessment after an objection goes to an agency
    that has not assessed this application before."""
    from carecircle.assessment.services import assessment_order_create

    exclude = list(application.previous_agency_ids)
    kwargs = dict(elder=application.elder, actor=actor, programme=application.type.programme,
                  application_id=application.pk, exclude_agency_ids=exclude, agency=agency)
    if exclude:
        try:
            with transaction.atomic():
                order = assessment_order_create(reason="objection", reason_note=reason, **kwargs)
        except ValidationError as error:
            if "reason" not in getattr(error, "error_dict", {}):
                raise
            # No final result in the assessment module to object to (it was entered here): a new order,
            # still never to an agency that assessed this application.
            order = assessment_order_create(reason="application", reason_note=reason, **kwargs)
    else:
        order = assessment_order_create(reason="application", reason_note=reason, **kwargs)
    application.assessment_order = order
    application.assessment_agency = order.agency
    application.previous_agency_ids = [*exclude, order.agency_id]
    return _move(application, to_state=State.ASSESSMENT_ORDERED, actor=actor, action="order_assessment",
                 reason=reason, data={"assessment_order": order.pk, "agency": order.agency.name})


def application_record_assessment(*, application, level: int | None, summary: str, actor=None, agency=None,
                                  order=None) -> Application:
    """The assessment result arrives (from the assessment module's event, or entered by the district)."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().select_related("type", "elder", "community").get(
            pk=application.pk)
        if locked.state != State.ASSESSMENT_ORDERED:
            raise IllegalStep(_("只有“已派评估”的申请可以记录评估结果；当前状态为“%(state)s”")
                              % {"state": locked.get_state_display()}, allowed=allowed_actions(locked, actor))
        if level is not None and (not isinstance(level, int) or level < 0 or level > 6):
            raise ValidationError({"level": _("评估等级须为 0 至 6 的整数")})
        locked.assessed_level = level
        locked.assessment_summary = summary or ""
        if agency is not None:
            locked.assessment_agency = agency
        data = {"level": level, "summary": summary}
        if order is not None:
            data["assessment_order"] = order.pk
        _move(locked, to_state=State.ASSESSED, actor=actor, action="assessed", data=data)
        waiting = WaitlistEntry.objects.filter(application=locked).first()
        if waiting is not None and waiting.status == WaitlistStatus.WAITING:
            waiting.level = level
            waiting.save(update_fields=["level"])
    application.refresh_from_db()
    return application


def _publish_notice(application, *, step, actor, reason, **_kwargs):
    today = timezone.localdate()
    calendar = Calendar.load()
    days = deadline_days(application, State.PUBLIC_NOTICE, on=today)
    if days is None:
        raise ValidationError({"action": _("公示期（工作日数）尚未设置，请先在政策参数中设置“%(label)s”")
                               % {"label": policy_label("intake.public_notice.working_days")}})
    starts = today if calendar.is_working_day(today) else calendar.add_working_days(today, 1)
    ends = calendar.add_working_days(starts, max(days - 1, 0))
    with translation.override(settings.LANGUAGE_CODE):
        result = _notice_result(application)
    PublicNotice.objects.create(application=application, street=application.street, starts_on=starts, ends_on=ends,
                                result=result, level=application.assessed_level)
    _move(application, to_state=State.PUBLIC_NOTICE, actor=actor, action=step.action, reason=reason,
          data={"starts_on": starts, "ends_on": ends, "result": result})
    application.due_on = ends
    application.save(update_fields=["due_on"])
    return application


def _notice_result(application) -> str:
    if application.assessed_level is not None:
        return _("评估等级 %(level)s 级，拟予以%(type)s") % {"level": application.assessed_level,
                                                        "type": application.type.name}
    return _("拟予以%(type)s") % {"type": application.type.name}


def _answer_objection(application, *, step, actor, reason, outcome="", agency=None, **_kwargs):
    if outcome not in ObjectionOutcome.values:
        raise ValidationError({"outcome": _("请选择异议处理结果：%(choices)s")
                               % {"choices": pgettext("list separator", "、").join(str(c.label) for c in ObjectionOutcome)}})
    open_objections = list(Objection.objects.select_for_update().filter(application=application, outcome=""))
    if not open_objections:
        raise _refuse(application, actor, _("该公示没有待答复的异议。"))
    now = timezone.now()
    for objection in open_objections:
        objection.outcome, objection.answer, objection.answered_by, objection.answered_at = outcome, reason, actor, now
        objection.save()
    data = {"objections": [o.pk for o in open_objections], "outcome": outcome}
    if outcome == ObjectionOutcome.DISMISS:
        _event(application, actor=actor, action="objection_answered", reason=reason, data=data)
        audit.record(actor=actor, action="intake.objection_answered", subject=application, changes=data,
                     reason=reason)
        return application
    PublicNotice.objects.filter(application=application, is_open=True).update(is_open=False)
    if outcome == ObjectionOutcome.REVIEW:
        return _move(application, to_state=State.STREET_PASSED, actor=actor, action="objection_answered",
                     reason=reason, data=data)
    return _order_assessment(application, step=step, actor=actor, reason=reason, agency=agency)


def _close_notice(application, *, step, actor, reason, **_kwargs):
    notice = workflow.open_notice(application)  # the period is over and no objection waits (checked above)
    if notice is not None:
        notice.is_open = False
        notice.save(update_fields=["is_open"])
    return _after_approval(application, actor=actor, action=step.action, reason=reason)


def _approve(application, *, step, actor, reason, **_kwargs):
    return _after_approval(application, actor=actor, action=step.action, reason=reason)


def _after_approval(application, *, actor, action, reason):
    if application.type.waitlist:
        _move(application, to_state=State.WAITLISTED, actor=actor, action=action, reason=reason)
        _join_waitlist(application, actor=actor)
        return application
    return _move(application, to_state=State.APPROVED, actor=actor, action=action, reason=reason)


def _admit(application, *, step, actor, reason, **_kwargs):
    kind = application.type
    entry = WaitlistEntry.objects.select_for_update().get(application=application)  # first in the queue (step guard)
    if kind.capacity is not None:
        in_service = Application.objects.filter(type=kind, state=State.IN_SERVICE).count()
        if in_service >= kind.capacity:
            raise _refuse(application, actor, _("“%(type)s”容量 %(capacity)s 人已满（服务中 %(n)s 人），暂不能安排入住。")
                          % {"type": kind.name, "capacity": kind.capacity, "n": in_service})
    entry.status = WaitlistStatus.ADMITTED
    entry.admitted_at = timezone.now()
    entry.position = None
    entry.save()
    _move(application, to_state=State.IN_SERVICE, actor=actor, action=step.action, reason=reason)
    _rerank(kind, actor=actor, cause="admitted", name=mask_name(application.elder.name))
    return application


@dataclass
class AdmissionPlan:
    """Who would be admitted next from a type's waiting list: the free places and the entries, in order.
    `blocked` names the positions this user may not admit (outside their scope), which stops the whole batch."""

    kind: ApplicationType
    capacity: int | None
    in_service: int
    free: int | None
    entries: list
    blocked: list


def admission_plan(*, kind, actor, count: int | None = None) -> AdmissionPlan:
    """The next admissions in waiting order, as many as there are free places (or `count`, if fewer)."""
    in_service = Application.objects.filter(type=kind, state=State.IN_SERVICE).count()
    free = None if kind.capacity is None else max(kind.capacity - in_service, 0)
    limit = free if free is not None else None
    if count is not None:
        limit = count if limit is None else min(limit, count)
    waiting = (WaitlistEntry.objects.filter(type=kind, status=WaitlistStatus.WAITING)
               .select_related("application", "application__elder", "application__community")
               .order_by("position", "id"))
    entries = list(waiting[:limit]) if limit is not None else list(waiting)
    for entry in entries:
        entry.visible = actor is None or is_visible(actor, entry.application)
    blocked = [e.position for e in entries if not e.visible]
    return AdmissionPlan(kind=kind, capacity=kind.capacity, in_service=in_service, free=free, entries=entries,
                         blocked=blocked)


def waitlist_admit_next(*, kind, actor, count: int, expected: list[int] | None = None, reason: str = "") -> list:
    """Admit the next `count` people of a waiting list, in order, within the free places; all or none.

    `expected` is the list of application ids the person confirmed: if the queue moved in between (someone
    withdrew, another clerk admitted), nothing is done and they are asked to look again."""
    if count < 1:
        raise ValidationError({"count": _("请填写要安排入住的人数（至少 1 人）")})
    with transaction.atomic():
        ApplicationType.objects.select_for_update().get(pk=kind.pk)  # one batch per queue at a time
        plan = admission_plan(kind=kind, actor=actor, count=count)
        if plan.free == 0:
            raise ValidationError({"count": _("“%(type)s”容量 %(capacity)s 人已满（服务中 %(n)s 人），暂不能安排入住。")
                                   % {"type": _(kind.name), "capacity": kind.capacity, "n": plan.in_service}})
        if not plan.entries:
            raise ValidationError({"count": _("轮候名单为空。")})
        if plan.blocked:
            raise PermissionDenied(_("第 %(positions)s 位不在您的管辖范围内，须由其所在街镇或区民政安排入住")
                                   % {"positions": pgettext("list separator", "、").join(str(p) for p in plan.blocked)})
        ids = [e.application_id for e in plan.entries]
        if expected is not None and ids != list(expected):
            raise ValidationError({"count": _("轮候名单在您确认期间有变化，请重新核对名单后再确认。")})
        admitted = []
        for entry in plan.entries:
            admitted.append(application_act(application=entry.application, action="admit", actor=actor,
                                            reason=reason))
    return admitted


_HANDLERS = {
    "resubmit": _resubmit,
    "withdraw": _withdraw,
    "order_assessment": _order_assessment,
    "publish_notice": _publish_notice,
    "answer_objection": _answer_objection,
    "close_notice": _close_notice,
    "approve": _approve,
    "admit": _admit,
}


# --- objections (public, no sign-in) -------------------------------------------------------------------

OBJECTION_TEXT_MAX_LENGTH = 2000
OBJECTIONS_PER_ADDRESS_KEY = "intake.objection.per_address_per_hour"
OBJECTIONS_PER_NOTICE_KEY = "intake.objection.per_notice_per_hour"


def _objection_allowed(notice, client_address: str) -> None:
    """Anonymous objections are counted per hour by address and by notice against the dated limits in force
    for the notice's street; beyond either (or while they are not set) RateLimited says what to do instead."""
    today = timezone.localdate()
    try:
        per_address = int(policy_value(OBJECTIONS_PER_ADDRESS_KEY, region=notice.street, on=today))
        per_notice = int(policy_value(OBJECTIONS_PER_NOTICE_KEY, region=notice.street, on=today))
    except MissingPolicyParameter:
        raise RateLimited(_("目前不能在网上提出异议，请在公示期内到%(street)s受理窗口当面提出。")
                          % {"street": notice.street.name}, retry_after=3600) from None
    wait = take("objection-address", client_address or "-", limit=per_address)
    if wait is None:
        wait = take("objection-notice", str(notice.pk), limit=per_notice)
    if wait is not None:
        raise RateLimited(_("提交过于频繁：这条公示或您所在的网络在一小时内收到的异议已达上限。请约 %(minutes)s 分钟后再试，"
                            "或在公示期内到%(street)s受理窗口当面提出。")
                          % {"minutes": (wait + 59) // 60, "street": notice.street.name}, retry_after=wait)


def objection_lodge(*, notice, lodged_by: str, phone: str, text: str, client_address: str | None = None
                    ) -> Objection:
    """A public objection to a notice. `client_address` is given for anonymous writes from the notice board:
    they are limited per address and per notice (see _objection_allowed)."""
    errors = {}
    problems: dict[str, list] = {}
    lodged_by = clean_name(lodged_by, field="lodged_by", label=_("异议人姓名"), max_length=50, errors=problems)
    if problems:
        errors["lodged_by"] = problems["lodged_by"][0]
    if not (text or "").strip() or len(text.strip()) < 5:
        errors["text"] = _("请写明异议的事实和理由（至少 5 个字）")
    elif len(text.strip()) > OBJECTION_TEXT_MAX_LENGTH:
        errors["text"] = _("异议内容不能超过 %(n)s 个字") % {"n": OBJECTION_TEXT_MAX_LENGTH}
    phone = (phone or "").strip()
    if phone and (not phone.replace("-", "").isdigit() or not 7 <= len(phone.replace("-", "")) <= 12):
        errors["phone"] = _("联系电话格式不正确")
    if errors:
        raise ValidationError(errors)
    if client_address is not None:
        _objection_allowed(notice, client_address)
    with transaction.atomic():
        notice = PublicNotice.objects.select_for_update().select_related("application").get(pk=notice.pk)
        today = timezone.localdate()
        if not notice.is_open or not notice.starts_on <= today <= notice.ends_on:
            raise ValidationError({"notice": _("该公示已结束或尚未开始，不能再提出异议")})
        objection = Objection.objects.create(notice=notice, application=notice.application, lodged_by=lodged_by.strip(),
                                             phone=phone, text=text.strip())
        _event(notice.application, actor=None, action="objection_lodged", reason=text.strip(),
               data={"objection": objection.pk, "lodged_by": mask_name(lodged_by.strip())})
        audit.record(actor=None, action="intake.objection_lodged", subject=notice.application,
                     changes={"objection": objection.pk})
    return objection


# --- waiting lists -------------------------------------------------------------------------------------

def _join_waitlist(application, *, actor):
    from .waitlist import priority_of

    group, category = priority_of(application.elder, region=application.community, on=timezone.localdate())
    with translation.override(settings.LANGUAGE_CODE):
        label = category_label(category)
    WaitlistEntry.objects.update_or_create(
        application=application,
        defaults=dict(type=application.type, status=WaitlistStatus.WAITING, priority_group=group,
                      priority_label=label, priority_category=category, level=application.assessed_level,
                      applied_on=timezone.localdate(application.created_at), position=None, admitted_at=None))
    _rerank(application.type, actor=actor, cause="joined", name=mask_name(application.elder.name))


def _leave_waitlist(application, *, actor, cause):
    updated = WaitlistEntry.objects.filter(application=application, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.LEFT, position=None)
    if updated:
        _rerank(application.type, actor=actor, cause=cause, name=mask_name(application.elder.name))


def _rerank(kind, *, actor, cause: str, name: str):
    """Recompute the positions of one queue; every entry whose position changed gets the reason on its
    timeline (the cause, and the rule that placed it)."""
    entries = list(WaitlistEntry.objects.select_for_update().filter(type=kind, status=WaitlistStatus.WAITING)
                   .select_related("application", "application__elder"))
    if not entries:
        return
    # One queue, one rule: the policy in force for the type's region (not for whichever entry comes first).
    # The stored texts are the record's, in the site's language; pages render them anew from the codes.
    with translation.override(settings.LANGUAGE_CODE):
        ranked = rank_entries(entries, region=kind.region, on=timezone.localdate())
        cause_words = cause_text(cause, name)
    for position, (entry, explanation) in enumerate(ranked, start=1):
        old = entry.position
        if old == position and entry.explanation == explanation:
            continue
        entry.position, entry.explanation = position, explanation
        entry.save(update_fields=["position", "explanation"])
        if old != position:
            with translation.override(settings.LANGUAGE_CODE):
                reason = ((_("轮候位次由第 %(old)s 位变为第 %(new)s 位：%(cause)s。%(rule)s") if old else
                           _("轮候位次为第 %(new)s 位：%(cause)s。%(rule)s"))
                          % {"old": old, "new": position, "cause": cause_words, "rule": explanation})
            _event(entry.application, actor=actor, action="position_changed", reason=reason,
                   data={"from": old, "to": position, "cause": cause, "name": name})


def assessment_result_received(*, order, assessment, actor=None) -> Application | None:
    """Called on a final assessment result (the assessment module's outbox event): the application the order
    was made for becomes "assessed", in the name of whoever made the result final."""
    application_id = getattr(order, "application_id", None)
    if not application_id:
        return None
    application = Application.objects.filter(pk=application_id, state=State.ASSESSMENT_ORDERED).first()
    if application is None:
        return None
    # The programme's care level when the instrument maps to one, else the instrument's own grade.
    level = getattr(assessment, "care_level", None)
    if level is None:
        level = getattr(assessment, "final_level", None)
    summary = getattr(assessment, "explanation", "") or ""
    return application_record_assessment(application=application, level=level, summary=str(summary)[:2000],
                                         actor=actor, agency=getattr(order, "agency", None), order=order)
