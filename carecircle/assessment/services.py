"""Writes for assessment: orders, assignment, the assessor's form, confirmation, care levels.

Every function is keyword-only, runs in one transaction and records an audit event. What other apps must
follow (a final result, a new care level) is an outbox event written in the same transaction and delivered
once it has committed (carecircle/core/events.py):

* `assessment.finalised` {order, assessment, application}: a result became final (complete and confirmed by
  both assessors); intake moves the application it was ordered for on.
* `assessment.care_level_changed` {elder, programme, old_level, new_level, effective}: the care level in force
  changed; care plans follow it.
"""
from __future__ import annotations

import calendar
import datetime as dt
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, events, uploads
from carecircle.core.isolation import is_visible, require_own_organisation
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.core.roles import Role, has_capability
from carecircle.core.workflow import IllegalStep
from carecircle.engines.scoring import check_answers, instrument_codes, load_instrument
from carecircle.providers.models import Organisation, OrganisationKind, ServiceArea

from .models import (
    Assessment,
    AssessmentConfirmation,
    AssessmentOrder,
    AssessmentPhoto,
    AssessmentStatus,
    AssignmentMethod,
    CareLevel,
    CareLevelSource,
    OrderReason,
    OrderStatus,
    Programme,
)
from .scoring import score_answers
from .workflow import ASSESSMENT_FLOW, ORDER_FLOW, not_signed_yet

ASSESSMENT_FINALISED = "assessment.finalised"
CARE_LEVEL_CHANGED = "assessment.care_level_changed"



def _require_step(flow, obj, actor, action: str, *, reason: str = "", reason_missing: str = ""):
    """The step from the workflow table (carecircle/assessment/workflow.py): an illegal one is `IllegalStep`
    (HTTP 409 with the actions allowed from here), a missing reason a ValidationError in this app's words."""
    try:
        return flow.check(obj, actor, action, reason=reason)
    except IllegalStep as refused:
        order = obj if flow is ORDER_FLOW else obj.order
        labels = "、".join(str(flow.label(a)) for a in refused.allowed)
        raise IllegalStep(
            _("评估任务当前状态为“%(status)s”，不能执行“%(action)s”；允许的操作：%(allowed)s") % {
                "status": order.get_status_display(), "action": flow.label(action),
                "allowed": labels or _("无可执行的操作")},
            allowed=refused.allowed) from None
    except ValidationError:
        raise ValidationError({"reason": reason_missing}) from None


def _require(actor, capability: str):
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _today() -> dt.date:
    return timezone.localdate()


# --- agencies ------------------------------------------------------------------------------------------

def providers_serving(elder) -> list[int]:
    """Ids of the (non-assessment) organisations that serve the elder's community."""
    return list(ServiceArea.objects.filter(community_id=elder.community_id)
                .exclude(organisation__kind=OrganisationKind.ASSESSMENT_AGENCY)
                .values_list("organisation_id", flat=True))


def agency_conflict(agency: Organisation, elder) -> Organisation | None:
    """The provider serving this elder that the agency belongs to or with (same group), if any."""
    provider_ids = providers_serving(elder)
    if not provider_ids:
        return None
    providers = Organisation.objects.filter(pk__in=provider_ids)
    for provider in providers:
        if agency.parent_id and agency.parent_id in {provider.pk, provider.parent_id}:
            return provider
        if provider.parent_id == agency.pk:
            return provider
    return None


def candidate_agencies(elder, *, exclude_agency_ids: Iterable[int] = ()):
    """Active agencies serving the elder's area (a service area there, or registered above it), minus
    excluded ones and those tied to a provider serving this elder; in round-robin order."""
    community = elder.community
    paths = [community.path, *community.ancestor_paths()]
    queryset = (Organisation.objects.filter(kind=OrganisationKind.ASSESSMENT_AGENCY, is_active=True)
                .filter(Q(service_areas__community=community) | Q(region__path__in=paths))
                .exclude(pk__in=list(exclude_agency_ids)).distinct())
    # Never-used agencies first, then the one whose last order is oldest (the same on every database).
    ordered = queryset.annotate(last_order=Max("assessment_orders__id")).order_by(
        F("last_order").asc(nulls_first=True), "id")
    return [a for a in ordered if agency_conflict(a, elder) is None]


def _instrument_for(elder, programme: str) -> str:
    try:
        table = policy_value("assessment.instrument_by_programme", region=elder.community)
    except MissingPolicyParameter:
        table = {}
    code = table.get(programme) or table.get("default") or "gbt42195_2022"
    if code not in instrument_codes():
        raise ValidationError({"programme": _("项目 %(programme)s 配置的评估工具“%(code)s”不存在") % {
            "programme": programme, "code": code}})
    return code


def _previous_final(elder, programme: str | None = None):
    qs = Assessment.objects.filter(elder=elder, status=AssessmentStatus.FINAL)
    if programme:
        qs = qs.filter(order__programme=programme)
    return qs.order_by("-finalised_at", "-id").select_related("order").first()


@transaction.atomic
def assessment_order_create(*, elder, actor, programme: str, reason: str, application_id: int | None = None,
                            exclude_agency_ids: Iterable[int] = (), agency=None, reason_note: str = ""
                            ) -> AssessmentOrder:
    """Order an assessment; the agency is chosen round-robin unless given (never a conflicted one)."""
    errors = {}
    if programme not in Programme.values:
        errors["programme"] = _("未知的项目“%(value)s”（可选：%(allowed)s）") % {
            "value": programme, "allowed": "、".join(Programme.values)}
    if reason not in OrderReason.values:
        errors["reason"] = _("未知的评估原因“%(value)s”（可选：%(allowed)s）") % {
            "value": reason, "allowed": "、".join(OrderReason.values)}
    if elder.status != "active":
        errors["elder"] = _("老人档案状态为“%(status)s”，不能下达评估任务") % {"status": elder.get_status_display()}
    if errors:
        raise ValidationError(errors)
    excluded = {int(i) for i in exclude_agency_ids}
    previous = _previous_final(elder, programme)
    if reason == OrderReason.OBJECTION:
        if previous is None:
            raise ValidationError({"reason": _("该老人在此项目下没有已定稿的评估结果，无法提出异议复评")})
        excluded.add(previous.order.agency_id)  # an objection goes to a different agency
    open_order = AssessmentOrder.objects.filter(
        elder=elder, programme=programme,
        status__in=[OrderStatus.ASSIGNED, OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS, OrderStatus.SUBMITTED],
    ).first()
    if open_order is not None:
        raise ValidationError({"elder": _("该老人在此项目下已有未完成的评估任务（编号 %(id)s）") % {"id": open_order.pk}})
    if agency is not None:
        method = AssignmentMethod.MANUAL
        if agency.kind != OrganisationKind.ASSESSMENT_AGENCY or not agency.is_active:
            raise ValidationError({"agency": _("“%(name)s”不是在营的第三方评估机构") % {"name": agency.name}})
        if agency.pk in excluded:
            raise ValidationError({"agency": _("“%(name)s”须回避本次评估") % {"name": agency.name}})
        conflict = agency_conflict(agency, elder)
        if conflict is not None:
            raise ValidationError({"agency": _("“%(agency)s”与为该老人服务的“%(provider)s”同属一个机构，须回避") % {
                "agency": agency.name, "provider": conflict.name}})
    else:
        method = AssignmentMethod.ROUND_ROBIN
        candidates = candidate_agencies(elder, exclude_agency_ids=excluded)
        if not candidates:
            raise ValidationError({"agency": _("没有可以承接该老人评估的第三方评估机构（已排除需回避的机构）")})
        agency = candidates[0]
    order = AssessmentOrder.objects.create(
        elder=elder, programme=programme, reason=reason, reason_note=reason_note, application_id=application_id,
        instrument_code=_instrument_for(elder, programme), agency=agency, assignment_method=method,
        excluded_agency_ids=sorted(excluded), previous=previous,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(actor=actor, action="assessment.order_create", subject=order,
                 changes=audit.snapshot(order, ["elder", "programme", "reason", "application_id", "agency",
                                                "assignment_method", "instrument_code", "excluded_agency_ids"]))
    return order


@transaction.atomic
def assessment_order_reassign(*, order: AssessmentOrder, actor, agency=None, reason: str) -> AssessmentOrder:
    """Move an unstarted order to another agency (given, or the next in round-robin)."""
    _require(actor, "assessment.order")
    order = AssessmentOrder.objects.select_for_update().get(pk=order.pk)
    _require_step(ORDER_FLOW, order, actor, "reassign", reason=reason, reason_missing=_("请填写改派原因"))
    old = order.agency_id
    excluded = set(order.excluded_agency_ids) | {old}
    if agency is None:
        candidates = candidate_agencies(order.elder, exclude_agency_ids=excluded)
        if not candidates:
            raise ValidationError({"agency": _("没有其他可以承接的第三方评估机构")})
        agency = candidates[0]
        order.assignment_method = AssignmentMethod.ROUND_ROBIN
    else:
        conflict = agency_conflict(agency, order.elder)
        if agency.kind != OrganisationKind.ASSESSMENT_AGENCY or agency.pk in set(order.excluded_agency_ids):
            raise ValidationError({"agency": _("“%(name)s”不能承接本次评估") % {"name": agency.name}})
        if conflict is not None:
            raise ValidationError({"agency": _("“%(agency)s”与为该老人服务的“%(provider)s”同属一个机构，须回避") % {
                "agency": agency.name, "provider": conflict.name}})
        order.assignment_method = AssignmentMethod.MANUAL
    order.agency = agency
    order.save(update_fields=["agency", "assignment_method"])
    audit.record(actor=actor, action="assessment.order_reassign", subject=order,
                 changes={"agency": [old, agency.pk]}, reason=reason)
    return order


def _check_assessor(user, order: AssessmentOrder, label: str):
    if user is None:
        raise ValidationError({label: _("请选择评估员")})
    if user.role != Role.ASSESSOR or not user.is_active:
        raise ValidationError({label: _("“%(name)s”不是在职评估员") % {"name": user.shown_name}})
    if user.organisation_id != order.agency_id:
        raise ValidationError({label: _("“%(name)s”不属于承接本任务的评估机构") % {
            "name": user.shown_name}})


@transaction.atomic
def assessment_order_schedule(*, order: AssessmentOrder, actor, assessors: list, appointment_at: dt.datetime
                              ) -> AssessmentOrder:
    """Name the two assessors (of the order's agency) and the on-site appointment."""
    _require(actor, "assessment.schedule")
    order = AssessmentOrder.objects.select_for_update().get(pk=order.pk)
    require_own_organisation(actor, order, _("该评估任务不属于您的机构。"))
    _require_step(ORDER_FLOW, order, actor, "schedule")
    assessors = [a for a in assessors if a is not None]
    required = _assessors_required(order)
    if len(assessors) > required:
        raise ValidationError({"assessors": _("每次评估只能安排 %(n)s 名评估员，不能再增加第三名") % {"n": required}})
    if len(assessors) < required:
        raise ValidationError({"assessors": _("每次评估须安排 %(n)s 名评估员") % {"n": required}})
    if len({a.pk for a in assessors}) != len(assessors):
        raise ValidationError({"assessors": _("两名评估员不能是同一人")})
    for i, user in enumerate(assessors):
        _check_assessor(user, order, "assessors")
    if appointment_at is None:
        raise ValidationError({"appointment_at": _("请填写上门评估时间")})
    if timezone.is_naive(appointment_at):
        appointment_at = timezone.make_aware(appointment_at)
    before = audit.snapshot(order, ["assessor_1", "assessor_2", "appointment_at", "status"])
    order.assessor_1, order.assessor_2 = assessors[0], assessors[1] if len(assessors) > 1 else None
    order.appointment_at = appointment_at
    if order.status == OrderStatus.ASSIGNED:
        order.status = OrderStatus.SCHEDULED
    order.save(update_fields=["assessor_1", "assessor_2", "appointment_at", "status"])
    audit.record(actor=actor, action="assessment.order_schedule", subject=order,
                 changes=audit.diff(before, audit.snapshot(order, list(before))))
    return order


def _assessors_required(order) -> int:
    try:
        return int(policy_value("assessment.assessors_required", region=order.elder.community))
    except MissingPolicyParameter:
        return 2


def _require_order_assessor(actor, order: AssessmentOrder):
    if actor.is_superuser:
        return
    if actor.pk not in {order.assessor_1_id, order.assessor_2_id}:
        raise PermissionDenied(_("只有本任务安排的评估员才能填写和确认评估；该老人不在您的评估任务中。"))


@transaction.atomic
def assessment_order_cancel(*, order: AssessmentOrder, actor, reason: str) -> AssessmentOrder:
    _require(actor, "assessment.order")
    order = AssessmentOrder.objects.select_for_update().get(pk=order.pk)
    _require_step(ORDER_FLOW, order, actor, "cancel", reason=reason, reason_missing=_("请填写取消原因"))
    old = order.status
    order.status = OrderStatus.CANCELLED
    order.cancelled_reason = reason
    order.save(update_fields=["status", "cancelled_reason"])
    audit.record(actor=actor, action="assessment.order_cancel", subject=order, changes={"status": [old, order.status]},
                 reason=reason)
    return order


# --- the assessor's form -------------------------------------------------------------------------------

@transaction.atomic
def assessment_start(*, order: AssessmentOrder, actor) -> Assessment:
    """Open the draft for an order (idempotent: an existing draft is returned)."""
    order = AssessmentOrder.objects.select_for_update().get(pk=order.pk)
    _require_order_assessor(actor, order)
    existing = Assessment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    _require_step(ORDER_FLOW, order, actor, "start")
    instrument = load_instrument(order.instrument_code)
    assessment = Assessment.objects.create(
        order=order, elder=order.elder, instrument_code=instrument.code, instrument_version=instrument.version,
        ruleset_hash=instrument.ruleset_hash)
    order.status = OrderStatus.IN_PROGRESS
    order.save(update_fields=["status"])
    audit.record(actor=actor, action="assessment.start", subject=assessment,
                 changes={"order": order.pk, "instrument": instrument.code, "version": instrument.version})
    return assessment


def _clean_context(*, diagnoses=None, risk_events=None) -> tuple[list | None, dict | None]:
    from carecircle.engines.scoring import RISK_EVENT_KINDS, normalise_icd

    errors = {}
    clean_dx = None
    if diagnoses is not None:
        clean_dx = []
        for code in diagnoses:
            code = str(code).strip().upper()
            if not code:
                continue
            cat = normalise_icd(code)
            if len(cat) != 3 or not cat[0].isalpha() or not cat[1:].isdigit():
                errors.setdefault("diagnoses", []).append(_("“%(code)s”不是有效的 ICD-10 编码（如 F03、I10）") % {"code": code})
            elif code not in clean_dx:
                clean_dx.append(code)
    clean_events = None
    if risk_events is not None:
        clean_events = {}
        for kind, n in risk_events.items():
            if kind not in RISK_EVENT_KINDS:
                errors.setdefault("risk_events", []).append(_("未知的风险事件类型“%(kind)s”") % {"kind": kind})
                continue
            try:
                value = int(n)
            except (TypeError, ValueError):
                value = -1
            if value < 0 or value > 99:
                errors.setdefault("risk_events", []).append(_("风险事件“%(kind)s”的次数须为 0–99 的整数") % {"kind": kind})
                continue
            clean_events[kind] = value
    if errors:
        raise ValidationError(errors)
    return clean_dx, clean_events


@transaction.atomic
def assessment_save(*, assessment: Assessment, actor, answers: dict | None = None, diagnoses=None,
                    risk_events=None, coma: bool | None = None) -> Assessment:
    """Save part of the form (partial answers are kept as a draft; each given answer must be valid)."""
    assessment = Assessment.objects.select_for_update().select_related("order").get(pk=assessment.pk)
    _require_order_assessor(actor, assessment.order)
    _require_step(ASSESSMENT_FLOW, assessment, actor, "save")
    changes = {}
    if answers:
        problems, _points = check_answers(assessment.instrument, answers)
        problems = [p for p in problems if p.code != "missing_item"]
        if problems:
            from .scoring import problem_message

            raise ValidationError({f"answers.{p.item}": [problem_message(p)] for p in problems})
        merged = {**assessment.answers, **{str(k): str(v) for k, v in answers.items()}}
        changes["answers"] = {k: [assessment.answers.get(k), v] for k, v in merged.items()
                              if assessment.answers.get(k) != v}
        assessment.answers = merged
    clean_dx, clean_events = _clean_context(diagnoses=diagnoses, risk_events=risk_events)
    if clean_dx is not None:
        changes["diagnoses"] = [assessment.diagnoses, clean_dx]
        assessment.diagnoses = clean_dx
    if clean_events is not None:
        changes["risk_events"] = [assessment.risk_events, clean_events]
        assessment.risk_events = clean_events
    if coma is not None:
        changes["coma"] = [assessment.coma, bool(coma)]
        assessment.coma = bool(coma)
    assessment.save()
    audit.record(actor=actor, action="assessment.save", subject=assessment, changes=changes)
    return assessment


def payload_of(assessment: Assessment) -> dict:
    return {"answers": assessment.answers, "diagnoses": assessment.diagnoses,
            "risk_events_30d": assessment.risk_events, "coma": assessment.coma}


def preview(assessment: Assessment) -> dict:
    """A dry run of the current answers (ValidationError while the form is incomplete)."""
    return score_answers(assessment.instrument_code, payload_of(assessment), region=assessment.elder.community)


def missing_items(assessment: Assessment) -> list[str]:
    return [item.code for item in assessment.instrument.items if item.code not in assessment.answers]


@transaction.atomic
def assessment_submit(*, assessment: Assessment, actor) -> Assessment:
    """Lock a complete form for the assessors' signatures; the submitter signs at once."""
    assessment = Assessment.objects.select_for_update().select_related("order", "elder").get(pk=assessment.pk)
    order = assessment.order
    _require_order_assessor(actor, order)
    _require_step(ASSESSMENT_FLOW, assessment, actor, "submit")
    result = preview(assessment)  # refuses an incomplete or invalid answer set, naming every item
    assessment.result = result
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = actor
    assessment.submitted_at = timezone.now()
    assessment.save()
    order.status = OrderStatus.SUBMITTED
    order.save(update_fields=["status"])
    AssessmentConfirmation.objects.create(assessment=assessment, assessor=actor)
    audit.record(actor=actor, action="assessment.submit", subject=assessment,
                 changes={"total": result["total"], "final_level": result["final_level"]})
    _finalise_if_confirmed(assessment, actor)
    return assessment


@transaction.atomic
def assessment_confirm(*, assessment: Assessment, actor) -> Assessment:
    """The second assessor signs; with both signatures the result becomes final."""
    assessment = Assessment.objects.select_for_update().select_related("order", "elder").get(pk=assessment.pk)
    _require_order_assessor(actor, assessment.order)
    if assessment.status == AssessmentStatus.SUBMITTED and not not_signed_yet(assessment, actor):
        raise IllegalStep(_("您已确认过本次评估，须由另一名评估员确认"),
                          allowed=ASSESSMENT_FLOW.allowed_actions(assessment, actor))
    _require_step(ASSESSMENT_FLOW, assessment, actor, "confirm")
    AssessmentConfirmation.objects.create(assessment=assessment, assessor=actor)
    audit.record(actor=actor, action="assessment.confirm", subject=assessment)
    _finalise_if_confirmed(assessment, actor)
    return assessment


@transaction.atomic
def assessment_reopen(*, assessment: Assessment, actor, reason: str) -> Assessment:
    """Send a submitted (not yet final) form back to draft; the signatures are withdrawn."""
    assessment = Assessment.objects.select_for_update().select_related("order").get(pk=assessment.pk)
    _require_order_assessor(actor, assessment.order)
    _require_step(ASSESSMENT_FLOW, assessment, actor, "reopen", reason=reason,
                  reason_missing=_("请填写退回修改的原因"))
    assessment.confirmations.all().delete()
    assessment.status = AssessmentStatus.DRAFT
    assessment.result = {}
    assessment.save()
    assessment.order.status = OrderStatus.IN_PROGRESS
    assessment.order.save(update_fields=["status"])
    audit.record(actor=actor, action="assessment.reopen", subject=assessment, reason=reason)
    return assessment


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validity_months(elder, programme: str, on: dt.date) -> int | None:
    try:
        table = policy_value("assessment.validity_months_by_programme", region=elder.community, on=on)
        if programme in table:
            return int(table[programme])
    except MissingPolicyParameter:
        pass
    try:
        return int(policy_value("assessment.validity_months", region=elder.community, on=on))
    except MissingPolicyParameter:
        return None


def care_level_for(instrument_code: str, final_level: int, *, region, on: dt.date) -> int | None:
    """The care level a region's programmes use for this instrument's level (policy table)."""
    try:
        table = policy_value(f"assessment.care_level_map.{instrument_code}", region=region, on=on)
    except (MissingPolicyParameter, KeyError):
        return None
    value = table.get(str(final_level))
    return int(value) if value is not None else None


def _finalise_if_confirmed(assessment: Assessment, actor):
    order = assessment.order
    signed = set(assessment.confirmations.values_list("assessor_id", flat=True))
    required = {order.assessor_1_id, order.assessor_2_id} - {None}
    if not required or not required <= signed:
        return
    today = _today()
    result = preview(assessment)  # recomputed from the stored answers, never taken from the client
    assessment.result = result
    assessment.total = result["total"]
    assessment.initial_level = result["initial_level"]
    assessment.final_level = result["final_level"]
    assessment.pending_confirmation = result["pending_confirmation"]
    assessment.settings_used = result["settings"]
    assessment.care_level = care_level_for(assessment.instrument_code, result["final_level"],
                                           region=assessment.elder.community, on=today)
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_at = timezone.now()
    assessment.valid_from = today
    months = validity_months(assessment.elder, order.programme, today)
    assessment.valid_until = _add_months(today, months) - dt.timedelta(days=1) if months else None
    assessment.save()
    order.status = OrderStatus.FINAL
    order.finalised_at = assessment.finalised_at
    order.save(update_fields=["status", "finalised_at"])
    audit.record(actor=actor, action="assessment.finalise", subject=assessment, changes={
        "total": assessment.total, "initial_level": assessment.initial_level, "final_level": assessment.final_level,
        "care_level": assessment.care_level, "settings": assessment.settings_used,
        "decisions": result.get("decisions", []), "valid_until": assessment.valid_until})
    if assessment.care_level is not None:
        _care_level_record(elder=assessment.elder, programme=order.programme, level=assessment.care_level,
                           source=CareLevelSource.ASSESSMENT, external_source="", assessment=assessment,
                           valid_from=today, valid_until=assessment.valid_until, actor=actor)
    events.emit(name=ASSESSMENT_FINALISED, actor=actor, region=assessment.elder.community,
                payload={"order": order.pk, "assessment": assessment.pk, "application": order.application_id})


# --- photos -------------------------------------------------------------------------------------------

@transaction.atomic
def assessment_photo_add(*, assessment: Assessment, actor, upload, caption: str = "") -> AssessmentPhoto:
    assessment = Assessment.objects.select_related("order").get(pk=assessment.pk)
    _require_order_assessor(actor, assessment.order)
    ASSESSMENT_FLOW.check(assessment, actor, "add_photo", message=_("评估结果已定稿，不能再添加照片"))
    if upload is None:
        raise ValidationError({"image": _("请选择要上传的照片")})
    try:
        verified = uploads.verify(upload, kind=uploads.DOCUMENT, region=assessment.elder.community)
    except ValidationError as error:
        raise ValidationError({"image": error.messages})
    photo = AssessmentPhoto(assessment=assessment, caption=caption[:100], sha256=verified.sha256,
                            content_type=verified.content_type, uploaded_by=actor)
    photo.image.save(verified.generated_name(), verified.as_file(), save=False)
    photo.save()
    audit.record(actor=actor, action="assessment.photo_add", subject=assessment,
                 changes={"photo": photo.pk, "sha256": photo.sha256, "caption": photo.caption,
                          "content_type": photo.content_type, "size": verified.size})
    return photo


# --- care levels --------------------------------------------------------------------------------------

def _care_level_record(*, elder, programme, level, source, external_source, assessment, valid_from, valid_until,
                       actor) -> CareLevel:
    from .selectors import current_care_level

    previous = current_care_level(elder, programme=programme, on=valid_from)
    old_level = previous.level if previous is not None else None
    # The level in force until now ends the day before the new one starts.
    for row in CareLevel.objects.filter(elder=elder, programme=programme, valid_from__lt=valid_from).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)):
        old_until = row.valid_until
        row.valid_until = valid_from - dt.timedelta(days=1)
        row.save(update_fields=["valid_until"])
        audit.record(actor=actor, action="assessment.care_level_end", subject=row,
                     changes={"valid_until": [old_until, row.valid_until]})
    level_row = CareLevel.objects.create(
        elder=elder, programme=programme, level=level, source=source, external_source=external_source,
        assessment=assessment, valid_from=valid_from, valid_until=valid_until,
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit.record(actor=actor, action="assessment.care_level_record", subject=level_row,
                 changes=audit.snapshot(level_row, ["elder", "programme", "level", "source", "external_source",
                                                    "assessment", "valid_from", "valid_until"]))
    if old_level != level:
        events.emit(name=CARE_LEVEL_CHANGED, actor=actor, region=elder.community,
                    payload={"elder": elder.pk, "programme": programme, "old_level": old_level, "new_level": level,
                             "effective": valid_from})
    return level_row


@transaction.atomic
def care_level_record_external(*, elder, programme, level, source, valid_from, valid_until=None, actor) -> CareLevel:
    """Import a level decided elsewhere (e.g. a city's own assessment system), naming that source."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        _require(actor, "assessment.import")
        if not actor.is_superuser and not is_visible(actor, elder):
            raise PermissionDenied(_("该老人不在您的管辖范围内。"))
    errors = {}
    if programme not in Programme.values:
        errors["programme"] = _("未知的项目“%(value)s”") % {"value": programme}
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
        errors["level"] = _("照护等级须为 0–10 的整数")
    if not str(source or "").strip():
        errors["source"] = _("请写明外部评估结果的来源（如市评估系统及报告编号）")
    if not isinstance(valid_from, dt.date):
        errors["valid_from"] = _("请填写生效日期")
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = _("有效期至不能早于生效日期")
    if errors:
        raise ValidationError(errors)
    return _care_level_record(elder=elder, programme=programme, level=level, source=CareLevelSource.EXTERNAL,
                              external_source=str(source).strip()[:200], assessment=None, valid_from=valid_from,
                              valid_until=valid_until, actor=actor)


# --- re-assessment ------------------------------------------------------------------------------------

@transaction.atomic
def reassessment_order(*, elder, actor, programme: str, reason: str, note: str) -> AssessmentOrder:
    """An immediate re-assessment on a significant change, or one by a different agency on an objection."""
    _require(actor, "assessment.order")
    if reason not in {OrderReason.CHANGE, OrderReason.OBJECTION, OrderReason.REASSESSMENT}:
        raise ValidationError({"reason": _("复评原因只能是状况变化、异议或到期复评")})
    if not note.strip():
        raise ValidationError({"note": _("请写明复评的原因（如出院、跌倒、对结果有异议）")})
    return assessment_order_create(elder=elder, actor=actor, programme=programme, reason=reason, reason_note=note)


OPEN_STATUSES = (OrderStatus.ASSIGNED, OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS, OrderStatus.SUBMITTED)


@transaction.atomic
def assessment_orders_close_for_elder(*, elder, change: str, on: dt.date, actor=None) -> int:
    """An elder who died or moved away is not assessed: open orders are cancelled with the reason; after a
    death the care levels in force end on that date. Returns how many orders were cancelled."""
    labels = {"deceased": _("老人已去世"), "moved_out": _("老人已迁出")}
    if change not in labels:
        return 0
    cancelled = 0
    for order in AssessmentOrder.objects.select_for_update().filter(elder=elder, status__in=OPEN_STATUSES):
        old = order.status
        order.status = OrderStatus.CANCELLED
        order.cancelled_reason = str(labels[change])
        order.save(update_fields=["status", "cancelled_reason"])
        audit.record(actor=actor, action="assessment.order_cancel", subject=order,
                     changes={"status": [old, order.status]}, reason=order.cancelled_reason)
        cancelled += 1
    if change != "deceased":
        return cancelled
    for level in CareLevel.objects.filter(elder=elder, valid_from__lte=on).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=on)):
        old_until = level.valid_until
        level.valid_until = on
        level.save(update_fields=["valid_until"])
        audit.record(actor=actor, action="assessment.care_level_end", subject=level,
                     changes={"valid_until": [old_until, on]}, reason=str(labels[change]))
    return cancelled
