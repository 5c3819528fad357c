"""Writes: each `<entity>_<verb>(*, actor, ...)`, one transaction, an audit event.

Who may act is checked on the record as read, before the row is locked; the state is checked on the locked
row (a second submission of one inspection meets the first one's result and gets IllegalStep → 409)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, locks, uploads
from carecircle.core.isolation import acts_for, is_visible, visible_to
from carecircle.core.policy import policy_value
from carecircle.core.roles import Role, has_capability
from carecircle.core.validators import parse_month
from carecircle.core.workdays import add_working_days
from carecircle.core.workflow import IllegalStep
from carecircle.engines import inspections as engine
from carecircle.providers.models import Facility, Organisation

from . import selectors
from .choices import (
    INSTITUTION_KINDS,
    Escalation,
    InspectionKind,
    InspectionStatus,
    NoticeStatus,
    ProblemStatus,
    RatingStatus,
    SchemeKind,
)
from .models import (
    Consortium,
    ConsortiumMember,
    Inspection,
    InspectionPhoto,
    Problem,
    ProviderListEntry,
    PublishedScore,
    RatingScheme,
    RectificationNotice,
    ScorecardPublication,
    StarRating,
)
from .plugin import AuditAction
from .workflow import INSPECTION_FLOW, PROBLEM_FLOW

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_WORKING_DAYS = 250  # a deadline further than a working year is a typing mistake, not a deadline
MAX_PROBLEMS = 100


# --- schemes -------------------------------------------------------------------------------------------

def schemes_load(*, actor=None, directory: Path = DATA_DIR) -> list[RatingScheme]:
    """Loads every scheme file. A known (code, version) with the same content is left alone; with other
    content it is refused (a version is never edited: change the version); a new version becomes current."""
    loaded = []
    with transaction.atomic():
        for path in sorted(directory.glob("*.json")):
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            digest = hashlib.sha256(raw).hexdigest()
            if data["kind"] == SchemeKind.STAR_RATING:
                engine.check_scheme(data)
            existing = RatingScheme.objects.filter(code=data["code"], version=data["version"]).first()
            if existing is not None:
                if existing.sha256 != digest:
                    raise ValidationError(_("评定标准 %(code)s 的版本 %(version)s 已载入且内容不同；修改内容须更换版本号")
                                          % {"code": data["code"], "version": data["version"]})
                continue
            RatingScheme.objects.filter(code=data["code"], is_current=True).update(is_current=False)
            scheme = RatingScheme.objects.create(
                code=data["code"], version=data["version"], kind=data["kind"], name_zh=data["name_zh"],
                name_en=data["name_en"], max_points=data.get("max_points", 0), data=data, sha256=digest,
                source=data["source"])
            audit.record(actor=actor, action=AuditAction.SCHEME_LOAD, subject=scheme,
                         changes={"code": scheme.code, "version": scheme.version, "sha256": digest})
            loaded.append(scheme)
    return loaded


def scheme_for_facility(facility) -> RatingScheme | None:
    for scheme in selectors.schemes():
        if facility.kind in scheme.data.get("applies_to", []):
            return scheme
    return None


def _problem_message(scheme: RatingScheme, code, kind, detail) -> str:
    if kind == "unknown_item":
        return _("“%(code)s”不是“%(scheme)s”中的项目") % {"code": code, "scheme": scheme.name}
    if kind == "unknown_hazard":
        return _("“%(code)s”不是重大事故隐患清单中的情形") % {"code": code}
    if kind == "above_maximum":
        return _("项目 %(code)s 的得分超过该项满分 %(max)s 分") % {"code": code, "max": detail}
    if kind == "negative":
        return _("项目 %(code)s 的得分不能为负数") % {"code": code}
    if kind == "too_precise":
        return _("项目 %(code)s 的得分最多保留一位小数") % {"code": code}
    return _("项目 %(code)s 的得分不是数字") % {"code": code}


def score_points(scheme: RatingScheme, points, hard_stops=()) -> engine.Result:
    """The engine's result, or a ValidationError naming every problem in the reader's language."""
    if not isinstance(points, dict):
        raise ValidationError({"points": _("得分须为“项目代码: 分值”的对应表")})
    if not isinstance(hard_stops, (list, tuple)):
        raise ValidationError({"hard_stops": _("重大事故隐患须为情形代码的列表")})
    hazards = [item["code"] for item in selectors.hazard_items(scheme)]
    try:
        return engine.score(scheme.data, points, hard_stops=[str(code) for code in hard_stops],
                            hazard_codes=hazards)
    except engine.ScoringError as error:
        messages = {}
        for code, kind, detail in error.problems:
            field = "hard_stops" if kind == "unknown_hazard" else "points"
            messages.setdefault(field, []).append(_problem_message(scheme, code, kind, detail))
        raise ValidationError(messages)


def trace_of(result: engine.Result) -> dict:
    """The engine's result as stored JSON (Decimals as strings)."""
    return {
        "total": str(result.total), "max_points": str(result.max_points), "band_stars": result.band_stars,
        "stars": result.stars, "passed": result.passed, "hard_stops": list(result.hard_stops),
        "unanswered": list(result.unanswered),
        "parts": [{"code": p.code, "points": str(p.points), "max_points": str(p.max_points),
                   "minimum": str(p.minimum), "below_minimum": p.below_minimum} for p in result.parts],
        "rules": [{"kind": r.kind, "part": r.part, "item": r.item, "stars": r.stars, "points": str(r.points),
                   "threshold": str(r.threshold)} for r in result.rules],
    }


# --- plans ---------------------------------------------------------------------------------------------

def _quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)


def _recheck_order(year: int, facility_id: int) -> str:
    return hashlib.sha256(f"{year}:{facility_id}".encode()).hexdigest()


def plan_generate(*, actor, year: int, quarter: int) -> list[Inspection]:
    """The plan of a quarter for the facilities in the actor's scope: a quarterly inspection of every
    community facility rated by a scheme, an annual inspection of every rated institution, and unannounced
    re-checks of the policy's share of the rated facilities (chosen by a fixed shuffle of the year, so a second
    run picks the same ones). Running it twice creates nothing new."""
    if not has_capability(actor, "inspections.plan"):
        raise PermissionDenied
    if not (2000 <= int(year) <= 2100) or int(quarter) not in (1, 2, 3, 4):
        raise ValidationError(_("请填写有效的年度和季度（1–4）"))
    year, quarter = int(year), int(quarter)
    created = []
    with transaction.atomic():
        locks.hold("inspections.plan", year, quarter)
        facilities = list(visible_to(actor, Facility).filter(is_active=True).select_related("community")
                          .order_by("pk"))
        due_quarter, due_year = _quarter_end(year, quarter), dt.date(year, 12, 31)
        on = dt.date(year, (quarter - 1) * 3 + 1, 1)
        rated = []
        for facility in facilities:
            scheme = scheme_for_facility(facility)
            if scheme is None:
                continue
            rating = selectors.rating_in_force(facility, on=on)
            if facility.kind in INSTITUTION_KINDS:
                if rating is not None:
                    created += _plan_one(facility, scheme, InspectionKind.ANNUAL, str(year), due_year)
            else:
                created += _plan_one(facility, scheme, InspectionKind.QUARTERLY, f"{year}Q{quarter}", due_quarter)
            if rating is not None:
                rated.append(facility)
        if rated:
            share = policy_value("inspections.recheck.share", region=rated[0].community, on=on)
            count = math.ceil(share * len(rated))
            for facility in sorted(rated, key=lambda f: _recheck_order(year, f.pk))[:count]:
                created += _plan_one(facility, scheme_for_facility(facility), InspectionKind.RECHECK, str(year),
                                     due_year, unannounced=True)
        audit.record(actor=actor, action=AuditAction.PLAN_GENERATE, subject=None,
                     subject_type="inspections.plan", subject_id=f"{year}Q{quarter}",
                     subject_repr=f"{year}Q{quarter}", changes={"created": len(created)})
    return created


def _plan_one(facility, scheme, kind, period, due_on, unannounced=False) -> list[Inspection]:
    if Inspection.objects.filter(facility=facility, kind=kind, period=period).exists():
        return []
    return [Inspection.objects.create(facility=facility, scheme=scheme, kind=kind, period=period,
                                      due_on=due_on, unannounced=unannounced)]


def inspection_create(*, actor, facility, kind=InspectionKind.UNANNOUNCED, due_on: dt.date | None = None,
                      scheme: RatingScheme | None = None, inspector=None, agency=None) -> Inspection:
    """An inspection outside the plan (an unannounced visit, a rating inspection): by the district, or by a
    district inspector for a facility in their region. An agency's inspector only does what is assigned."""
    planner = has_capability(actor, "inspections.plan")
    if not planner and not (has_capability(actor, "inspections.inspect") and not selectors.is_agency_staff(actor)):
        if selectors.is_agency_staff(actor):
            raise PermissionDenied(_("“%(facility)s”不在您所在机构受托的检查任务中") % {"facility": facility})
        raise PermissionDenied
    if not is_visible(actor, facility):
        raise PermissionDenied(_("“%(facility)s”不在您的管辖范围内") % {"facility": facility})
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("未知的检查类型")})
    scheme = scheme or scheme_for_facility(facility)
    if scheme is None or scheme.kind != SchemeKind.STAR_RATING:
        raise ValidationError({"scheme": _("“%(facility)s”这类设施没有适用的评定标准") % {"facility": facility}})
    if not planner:
        inspector, agency = actor, None
    with transaction.atomic():
        inspection = Inspection.objects.create(
            facility=facility, scheme=scheme, kind=kind, due_on=due_on or timezone.localdate(),
            unannounced=kind in (InspectionKind.UNANNOUNCED, InspectionKind.RECHECK))
        _assign(actor, inspection, inspector=inspector, agency=agency)
        audit.record(actor=actor, action=AuditAction.CREATE, subject=inspection,
                     changes={"facility": str(facility), "kind": kind, "scheme": scheme.code})
    return inspection


def _assign(actor, inspection, *, inspector, agency):
    if agency is not None and not isinstance(agency, Organisation):
        raise ValidationError({"agency": _("请选择受托的检查机构")})
    if inspector is not None:
        if inspector.role != Role.INSPECTOR or not inspector.is_active:
            raise ValidationError({"inspector": _("只能分派给监管人员")})
        if not _in_region(inspector, inspection.facility):
            raise ValidationError({"inspector": _("“%(facility)s”不在该检查人员的管辖范围内")
                                                % {"facility": inspection.facility}})
        if agency is not None and inspector.organisation_id != agency.pk:
            raise ValidationError({"inspector": _("该检查人员不属于所选的受托机构")})
        if agency is None and inspector.organisation_id is not None:
            agency = inspector.organisation
    inspection.inspector, inspection.agency = inspector, agency
    inspection.save(update_fields=["inspector", "agency"])


def _in_region(inspector, facility) -> bool:
    """Whether the facility lies in the inspector's region. Asked of the region rather than of visible_to: an
    agency's inspector reaches no facility before one is assigned to the agency."""
    if selectors.is_agency_staff(inspector):
        region = inspector.scope_region
        return region is not None and facility.community.path.startswith(region.path)
    return is_visible(inspector, facility)


def inspection_assign(*, actor, inspection: Inspection, inspector=None, agency=None) -> Inspection:
    if not is_visible(actor, inspection, action="change"):
        raise PermissionDenied
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
        INSPECTION_FLOW.check(inspection, actor, "assign")
        old = [inspection.inspector_id, inspection.agency_id]
        _assign(actor, inspection, inspector=inspector, agency=agency)
        audit.record(actor=actor, action=AuditAction.ASSIGN, subject=inspection,
                     changes={"inspector": [old[0], inspection.inspector_id],
                              "agency": [old[1], inspection.agency_id]})
    return inspection


def inspection_cancel(*, actor, inspection: Inspection, reason: str) -> Inspection:
    if not is_visible(actor, inspection, action="change"):
        raise PermissionDenied
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
        step = INSPECTION_FLOW.check(inspection, actor, "cancel", reason=reason)
        inspection.status = step.target
        inspection.save(update_fields=["status"])
        audit.record(actor=actor, action=AuditAction.CANCEL, subject=inspection, reason=reason,
                     changes={"status": [InspectionStatus.PLANNED, step.target]})
    return inspection


# --- doing an inspection -------------------------------------------------------------------------------

def is_assigned(actor, inspection: Inspection) -> bool:
    """Whether `actor` is the one to do this inspection: an agency's inspector for what their agency is
    assigned (and, where a person is named, that person); a district inspector for what is assigned to them or
    to nobody in their region, never an agency's."""
    if actor is None or not has_capability(actor, "inspections.inspect"):
        return False
    if not selectors.inspections_for(actor).filter(pk=inspection.pk).exists():
        return False
    if inspection.inspector_id is not None:
        return inspection.inspector_id == actor.pk
    if selectors.is_agency_staff(actor):
        return inspection.agency_id == actor.organisation_id
    return inspection.agency_id is None


def _require_assigned(actor, inspection):
    if not is_assigned(actor, inspection):
        raise PermissionDenied(_("“%(facility)s”的这次检查没有分派给您") % {"facility": inspection.facility})


def _clean_notes(item_notes):
    if item_notes in (None, ""):
        return {}
    if not isinstance(item_notes, dict) or not all(isinstance(v, str) for v in item_notes.values()):
        raise ValidationError({"item_notes": _("各项说明须为“项目代码: 文字”的对应表")})
    return {str(k): v.strip()[:500] for k, v in item_notes.items() if v.strip()}


def _write_answers(inspection, *, points, hard_stops, item_notes, notes):
    result = score_points(inspection.scheme, points, hard_stops)
    notes_by_item = _clean_notes(item_notes)
    known = {i["code"] for p in inspection.scheme.data["parts"] for i in p["items"]} | set(result.hard_stops)
    unknown = sorted(set(notes_by_item) - known)
    if unknown:
        raise ValidationError({"item_notes": _("“%(code)s”不是本次检查的项目") % {"code": unknown[0]}})
    inspection.points = {code: str(value) for code, value in points.items()}
    inspection.hard_stops = list(result.hard_stops)
    inspection.item_notes = notes_by_item
    inspection.notes = (notes or "").strip()[:4000]
    return result


def inspection_save(*, actor, inspection: Inspection, points: dict, hard_stops=(), item_notes=None,
                    notes: str = "") -> Inspection:
    """Saves a draft (items may be left out); every given score is checked against its item's maximum."""
    _require_assigned(actor, inspection)
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().select_related("scheme").get(pk=inspection.pk)
        INSPECTION_FLOW.check(inspection, actor, "save")
        old_status = inspection.status
        _write_answers(inspection, points=points, hard_stops=hard_stops, item_notes=item_notes, notes=notes)
        inspection.status = InspectionStatus.IN_PROGRESS
        inspection.started_at = inspection.started_at or timezone.now()
        inspection.save()
        audit.record(actor=actor, action=AuditAction.SAVE, subject=inspection,
                     changes={"status": [old_status, inspection.status], "points": inspection.points,
                              "hard_stops": inspection.hard_stops})
    return inspection


def inspection_submit(*, actor, inspection: Inspection, points: dict, hard_stops=(), item_notes=None,
                      notes: str = "", manager_name: str = "") -> Inspection:
    """Submits the whole checklist: every item scored, the score, the proposed stars and every hard stop
    stored with the trace of the rules that applied."""
    _require_assigned(actor, inspection)
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().select_related("scheme").get(pk=inspection.pk)
        old_status = inspection.status
        INSPECTION_FLOW.check(inspection, actor, "submit")
        result = _write_answers(inspection, points=points, hard_stops=hard_stops, item_notes=item_notes,
                                notes=notes)
        if result.unanswered:
            raise ValidationError({"points": _("还有 %(count)d 项未评分：%(codes)s")
                                   % {"count": len(result.unanswered), "codes": "、".join(result.unanswered)}})
        now = timezone.now()
        inspection.total = result.total
        inspection.stars = result.stars
        inspection.passed = result.passed
        inspection.trace = trace_of(result)
        inspection.status = InspectionStatus.SUBMITTED
        inspection.started_at = inspection.started_at or now
        inspection.submitted_at, inspection.submitted_by = now, actor
        inspection.manager_name = (manager_name or "").strip()[:50]
        inspection.save()
        audit.record(actor=actor, action=AuditAction.SUBMIT, subject=inspection,
                     changes={"status": [old_status, inspection.status], "points": inspection.points,
                              "total": str(result.total), "stars": result.stars, "passed": result.passed,
                              "hard_stops": inspection.hard_stops})
    return inspection


def inspection_acknowledge(*, actor, inspection: Inspection, comment: str = "") -> Inspection:
    """The facility's operator confirms it has received the result (and may say what it thinks)."""
    if not acts_for(actor, inspection):
        raise PermissionDenied(_("只有该设施的运营机构可以确认检查结果"))
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
        step = INSPECTION_FLOW.check(inspection, actor, "acknowledge")
        inspection.status = step.target
        inspection.acknowledged_at, inspection.acknowledged_by = timezone.now(), actor
        inspection.acknowledgement = (comment or "").strip()[:2000]
        inspection.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement"])
        audit.record(actor=actor, action=AuditAction.ACKNOWLEDGE, subject=inspection,
                     changes={"status": [InspectionStatus.SUBMITTED, step.target],
                              "comment": inspection.acknowledgement})
    return inspection


def inspection_photo_add(*, actor, inspection: Inspection, upload, item_code: str = "",
                         caption: str = "") -> InspectionPhoto:
    _require_assigned(actor, inspection)
    item_code = (item_code or "").strip()
    known = {i["code"] for p in inspection.scheme.data["parts"] for i in p["items"]} | {
        h["code"] for h in selectors.hazard_items(inspection.scheme)}
    if item_code and item_code not in known:
        raise ValidationError({"item_code": _("“%(code)s”不是本次检查的项目") % {"code": item_code}})
    try:
        verified = uploads.verify(upload, kind=uploads.PHOTO, region=inspection.facility.community)
    except ValidationError as error:
        raise ValidationError({"image": error.messages})
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        INSPECTION_FLOW.check(locked, actor, "add_photo", message=_("检查结果已提交，不能再添加照片"))
        photo = InspectionPhoto(inspection=locked, item_code=item_code, caption=(caption or "")[:100],
                                sha256=verified.sha256, content_type=verified.content_type, uploaded_by=actor)
        photo.image.save(verified.generated_name(), verified.as_file(), save=False)
        photo.save()
        audit.record(actor=actor, action=AuditAction.PHOTO_ADD, subject=locked,
                     changes={"photo": photo.pk, "item": item_code, "sha256": photo.sha256,
                              "size": verified.size})
    return photo


# --- rectification -------------------------------------------------------------------------------------

def _clean_problems(inspection, problems) -> list[dict]:
    if not isinstance(problems, list) or not problems:
        raise ValidationError({"problems": _("整改意见书至少要列出一个问题")})
    if len(problems) > MAX_PROBLEMS:
        raise ValidationError({"problems": _("一份整改意见书最多列出 %(n)d 个问题") % {"n": MAX_PROBLEMS}})
    items = {i["code"] for p in inspection.scheme.data["parts"] for i in p["items"]}
    hazards = set(inspection.hard_stops)
    cleaned = []
    for number, raw in enumerate(problems, start=1):
        if not isinstance(raw, dict):
            raise ValidationError({"problems": _("第 %(n)d 个问题的格式不对") % {"n": number}})
        code = str(raw.get("item_code") or "").strip()
        description = str(raw.get("description") or "").strip()
        if not description:
            raise ValidationError({"problems": _("第 %(n)d 个问题没有写明问题内容") % {"n": number}})
        if code and code not in items | hazards:
            raise ValidationError({"problems": _("第 %(n)d 个问题所属的项目“%(code)s”不在本次检查中")
                                   % {"n": number, "code": code}})
        days = raw.get("working_days")
        try:
            days = int(str(days))
        except (TypeError, ValueError):
            raise ValidationError({"problems": _("第 %(n)d 个问题的整改期限须为工作日天数") % {"n": number}})
        if not 1 <= days <= MAX_WORKING_DAYS:
            raise ValidationError({"problems": _("第 %(n)d 个问题的整改期限须在 1 至 %(max)d 个工作日之间")
                                   % {"n": number, "max": MAX_WORKING_DAYS}})
        cleaned.append({"item_code": code, "description": description[:2000], "working_days": days,
                        "hard_stop": code in hazards})
    missing = sorted(hazards - {p["item_code"] for p in cleaned})
    if missing:
        raise ValidationError({"problems": _("重大事故隐患 %(codes)s 必须列入整改意见书") % {"codes": "、".join(missing)}})
    return cleaned


def notice_issue(*, actor, inspection: Inspection, problems: list) -> RectificationNotice:
    """整改意见书 for a submitted inspection: each problem with its deadline in working days, set by the
    inspector; every hard stop recorded must be among them."""
    _require_assigned(actor, inspection)
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().select_related("scheme", "facility").get(
            pk=inspection.pk)
        INSPECTION_FLOW.check(inspection, actor, "issue_notice")
        if RectificationNotice.objects.filter(inspection=inspection).exists():
            raise ValidationError(_("这次检查已经下达过整改意见书"))
        cleaned = _clean_problems(inspection, problems)
        issued = timezone.localdate()
        deadlines = [add_working_days(issued, p["working_days"]) for p in cleaned]
        notice = RectificationNotice.objects.create(
            inspection=inspection, facility=inspection.facility, number=f"tmp-{inspection.pk}",
            due_on=max(deadlines), issued_by=actor)
        notice.number = f"ZG{issued:%Y%m%d}-{notice.pk:05d}"
        notice.save(update_fields=["number"])
        for problem, due_on in zip(cleaned, deadlines):
            Problem.objects.create(notice=notice, due_on=due_on, **problem)
        audit.record(actor=actor, action=AuditAction.NOTICE_ISSUE, subject=notice,
                     changes={"number": notice.number, "problems": [
                         {**p, "due_on": d.isoformat()} for p, d in zip(cleaned, deadlines)]})
    return notice


def _refresh_notice(notice: RectificationNotice):
    statuses = set(notice.problems.values_list("status", flat=True))
    if statuses & {ProblemStatus.OPEN, ProblemStatus.RESPONDED}:
        status = NoticeStatus.OPEN
    elif ProblemStatus.ESCALATED in statuses:
        status = NoticeStatus.ESCALATED
    else:
        status = NoticeStatus.CLOSED
    if status != notice.status:
        notice.status = status
        notice.closed_at = timezone.now() if status != NoticeStatus.OPEN else None
        notice.save(update_fields=["status", "closed_at"])


def problem_respond(*, actor, problem: Problem, response: str, upload) -> Problem:
    """The provider's answer to one problem, with its evidence (a photo or a PDF): required."""
    if not acts_for(actor, problem):
        raise PermissionDenied(_("只有该设施的运营机构可以提交整改材料"))
    if not (response or "").strip():
        raise ValidationError({"response": _("请说明整改情况")})
    if upload is None:
        raise ValidationError({"evidence": _("请上传整改材料（照片或PDF）")})
    try:
        verified = uploads.verify(upload, kind=uploads.DOCUMENT, region=problem.notice.facility.community)
    except ValidationError as error:
        raise ValidationError({"evidence": error.messages})
    with transaction.atomic():
        problem = Problem.objects.select_for_update().select_related("notice").get(pk=problem.pk)
        step = PROBLEM_FLOW.check(problem, actor, "respond")
        problem.response = response.strip()[:4000]
        problem.evidence.save(verified.generated_name(), verified.as_file(), save=False)
        problem.evidence_type, problem.evidence_sha256 = verified.content_type, verified.sha256
        problem.responded_at, problem.responded_by = timezone.now(), actor
        problem.status = step.target
        problem.save()
        audit.record(actor=actor, action=AuditAction.PROBLEM_RESPOND, subject=problem,
                     changes={"status": [ProblemStatus.OPEN, step.target], "response": problem.response,
                              "sha256": verified.sha256, "size": verified.size})
    return problem


def _require_checker(actor, problem):
    inspection = problem.notice.inspection
    if not is_assigned(actor, inspection):
        raise PermissionDenied(_("这份整改意见书的复查没有分派给您"))


def problem_close(*, actor, problem: Problem, note: str = "") -> Problem:
    """The re-check found the problem put right; closed only on evidence the provider sent."""
    _require_checker(actor, problem)
    with transaction.atomic():
        problem = Problem.objects.select_for_update().select_related("notice").get(pk=problem.pk)
        step = PROBLEM_FLOW.check(problem, actor, "close")
        if not problem.evidence:
            raise ValidationError({"evidence": _("没有整改材料，不能销号")})
        problem.status = step.target
        problem.check_note = (note or "").strip()[:2000]
        problem.checked_at, problem.checked_by = timezone.now(), actor
        problem.save(update_fields=["status", "check_note", "checked_at", "checked_by"])
        _refresh_notice(problem.notice)
        audit.record(actor=actor, action=AuditAction.PROBLEM_CLOSE, subject=problem,
                     changes={"status": [ProblemStatus.RESPONDED, step.target], "note": problem.check_note})
    return problem


def problem_return(*, actor, problem: Problem, reason: str) -> Problem:
    _require_checker(actor, problem)
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        step = PROBLEM_FLOW.check(problem, actor, "return", reason=reason)
        problem.status = step.target
        problem.check_note = reason.strip()[:2000]
        problem.checked_at, problem.checked_by = timezone.now(), actor
        problem.save(update_fields=["status", "check_note", "checked_at", "checked_by"])
        audit.record(actor=actor, action=AuditAction.PROBLEM_CLOSE, subject=problem, reason=reason,
                     changes={"status": [ProblemStatus.RESPONDED, step.target]})
    return problem


def problem_escalate(*, actor, problem: Problem, escalation: str, reason: str) -> Problem:
    """Not put right: interview, public notice, downgrade (the rating in force is revoked) or loss of the
    operating subsidy (recorded for the settlement run)."""
    if has_capability(actor, "inspections.rate"):
        if not is_visible(actor, problem, action="change"):
            raise PermissionDenied
    else:
        _require_checker(actor, problem)
    if escalation not in Escalation.values:
        raise ValidationError({"escalation": _("请选择升级处理方式")})
    with transaction.atomic():
        problem = Problem.objects.select_for_update().select_related("notice", "notice__facility").get(pk=problem.pk)
        old = problem.status
        step = PROBLEM_FLOW.check(problem, actor, "escalate", reason=reason)
        problem.status, problem.escalation = step.target, escalation
        problem.check_note = reason.strip()[:2000]
        problem.checked_at, problem.checked_by = timezone.now(), actor
        problem.save(update_fields=["status", "escalation", "check_note", "checked_at", "checked_by"])
        _refresh_notice(problem.notice)
        audit.record(actor=actor, action=AuditAction.PROBLEM_ESCALATE, subject=problem, reason=reason,
                     changes={"status": [old, step.target], "escalation": escalation})
        if escalation == Escalation.DOWNGRADE:
            rating = StarRating.objects.select_for_update().filter(
                facility=problem.notice.facility, status=RatingStatus.IN_FORCE).first()
            if rating is not None:
                _rating_end(actor, rating, RatingStatus.REVOKED, reason)
    return problem


# --- star ratings --------------------------------------------------------------------------------------

def _rating_end(actor, rating, status, reason):
    old_until = rating.valid_until
    rating.status = status
    rating.valid_until = min(rating.valid_until, timezone.localdate())
    rating.save(update_fields=["status", "valid_until"])
    audit.record(actor=actor, action=AuditAction.RATING_REVOKE, subject=rating, reason=reason,
                 changes={"status": [RatingStatus.IN_FORCE, status], "valid_until": [old_until, rating.valid_until]})


def rating_decide(*, actor, inspection: Inspection, stars: int, reason: str = "") -> StarRating:
    """The district rates the facility from a submitted inspection. By a scheme with bands the stars must be
    the ones the score reached (no star where a part is under its minimum or a hard stop applies); by a scheme
    without published bands (institutions) a grade of the scheme's grades on an inspection that passed with
    every part at its minimum. Valid for the policy's number of years; it replaces the rating in force."""
    if not has_capability(actor, "inspections.rate"):
        raise PermissionDenied
    if not is_visible(actor, inspection, action="change"):
        raise PermissionDenied
    try:
        stars = int(str(stars))
    except (TypeError, ValueError):
        raise ValidationError({"stars": _("星级须为整数")})
    with transaction.atomic():
        inspection = Inspection.objects.select_for_update().select_related("scheme", "facility").get(
            pk=inspection.pk)
        INSPECTION_FLOW.check(inspection, actor, "rate")
        data = inspection.scheme.data
        if data.get("bands"):
            allowed = [band["stars"] for band in data["bands"]]
            if stars not in allowed:
                raise ValidationError({"stars": _("%(stars)d 星不在“%(scheme)s”的星级分数段中")
                                       % {"stars": stars, "scheme": inspection.scheme.name}})
            if stars != inspection.stars:
                raise ValidationError({"stars": _("检查得分对应 %(reached)d 星，不能评定为 %(stars)d 星")
                                       % {"reached": inspection.stars or 0, "stars": stars}})
        else:
            if stars not in data.get("grades", []):
                raise ValidationError({"stars": _("%(stars)d 星不在“%(scheme)s”的等级中")
                                       % {"stars": stars, "scheme": inspection.scheme.name}})
            below = any(part["below_minimum"] for part in inspection.trace.get("parts", []))
            if not inspection.passed or below:
                raise ValidationError({"stars": _("检查存在重大事故隐患或有部分低于该部分满分的最低比例，不能评定等级")})
        facility = inspection.facility
        locks.hold("inspections.rating", facility.pk)
        today = timezone.localdate()
        years = policy_value("inspections.rating.validity_years", region=facility.community, on=today)
        for current in StarRating.objects.select_for_update().filter(facility=facility,
                                                                     status=RatingStatus.IN_FORCE):
            _rating_end(actor, current, RatingStatus.SUPERSEDED, reason or _("重新评定"))
        try:
            until = today.replace(year=today.year + years) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            until = today.replace(year=today.year + years, day=28)
        try:
            rating = StarRating.objects.create(facility=facility, scheme=inspection.scheme, inspection=inspection,
                                               stars=stars, valid_from=today, valid_until=until, decided_by=actor,
                                               reason=(reason or "").strip()[:2000])
        except IntegrityError:
            raise ValidationError(_("该设施刚刚已被评定，请刷新后再试"))
        audit.record(actor=actor, action=AuditAction.RATING_DECIDE, subject=rating, reason=reason,
                     changes={"stars": stars, "valid_from": today.isoformat(), "valid_until": until.isoformat(),
                              "inspection": inspection.pk})
    return rating


# --- published scorecards ------------------------------------------------------------------------------

def scorecards_publish(*, actor, month) -> ScorecardPublication:
    """The district publishes a finished month's scorecards: per provider, per facility and per consortium, the
    rating, inspections, open problems and the month's service figures, frozen as published. A month is
    published once for a region; the second publication of the same month is refused (409)."""
    if not has_capability(actor, "inspections.rate"):
        raise PermissionDenied
    region = getattr(actor, "scope_region", None)
    if region is None:
        raise PermissionDenied(_("只有管辖一个行政区的工作人员可以发布服务评价"))
    month = parse_month(month)
    if month >= timezone.localdate().replace(day=1):
        raise ValidationError({"month": _("只能发布已经结束的月份（%(month)s 尚未结束）") % {"month": f"{month:%Y-%m}"}})
    rows = selectors.scorecard_rows(actor, month=month)
    try:
        with transaction.atomic():
            publication = ScorecardPublication.objects.create(region=region, month=month, published_by=actor)
            PublishedScore.objects.bulk_create([
                PublishedScore(publication=publication, **{key: row[key] for key in selectors.PUBLISHED_FIELDS})
                for row in rows])
            audit.record(actor=actor, action=AuditAction.SCORECARD_PUBLISH, subject=publication,
                         changes={"month": f"{month:%Y-%m}", "rows": len(rows)})
    except IntegrityError:
        raise IllegalStep(_("%(region)s %(month)s 的服务评价已经发布过") % {"region": region, "month": f"{month:%Y-%m}"}) \
            from None
    return publication


# --- provider lists: entry and exit ---------------------------------------------------------------------

def _reason(reason: str, field: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("请填写理由")})
    return reason[:2000]


def provider_list_enter(*, actor, organisation, list_code: str, reason: str,
                        on: dt.date | None = None) -> ProviderListEntry:
    """Puts a provider on one of the lists, with the reason on record. A provider stays on a list until it
    exits; the negative list and the others exclude each other (exit first, with its reason)."""
    if not has_capability(actor, "inspections.lists"):
        raise PermissionDenied
    lists = selectors.provider_lists()
    if list_code not in lists:
        raise ValidationError({"list_code": _("没有这个清单")})
    if not isinstance(organisation, Organisation) or not is_visible(actor, organisation):
        raise ValidationError({"organisation": _("该服务机构不在您的管辖范围内")})
    region = actor.scope_region
    if region is None:
        raise PermissionDenied
    reason = _reason(reason, "reason")
    on = on or timezone.localdate()
    with transaction.atomic():
        locks.hold("inspections.lists", organisation.pk, region.pk)
        current = ProviderListEntry.objects.filter(organisation=organisation, region=region, exited_on__isnull=True)
        if current.filter(list_code=list_code).exists():
            raise IllegalStep(_("“%(organisation)s”已在%(list)s中") % {
                "organisation": organisation, "list": lists[list_code]["name"]})
        negative = lists[list_code]["negative"]
        clash = [entry for entry in current if lists.get(entry.list_code, {}).get("negative", False) != negative]
        if clash:
            raise ValidationError({"list_code": _("“%(organisation)s”目前在%(list)s中，请先移出并说明理由") % {
                "organisation": organisation, "list": lists[clash[0].list_code]["name"]}})
        entry = ProviderListEntry.objects.create(organisation=organisation, region=region, list_code=list_code,
                                                 entered_on=on, entry_reason=reason, entered_by=actor)
        audit.record(actor=actor, action=AuditAction.LIST_ENTER, subject=entry, reason=reason,
                     changes={"organisation": str(organisation), "list": list_code, "entered_on": on.isoformat()})
    return entry


def provider_list_exit(*, actor, entry: ProviderListEntry, reason: str,
                       on: dt.date | None = None) -> ProviderListEntry:
    if not has_capability(actor, "inspections.lists") or not is_visible(actor, entry, action="change"):
        raise PermissionDenied
    reason = _reason(reason, "reason")
    on = on or timezone.localdate()
    with transaction.atomic():
        entry = ProviderListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.exited_on is not None:
            raise IllegalStep(_("该机构已于 %(date)s 移出此清单") % {"date": entry.exited_on.isoformat()})
        if on < entry.entered_on:
            raise ValidationError({"on": _("移出日期不能早于列入日期 %(date)s") % {"date": entry.entered_on.isoformat()}})
        entry.exited_on, entry.exit_reason, entry.exited_by = on, reason, actor
        entry.save(update_fields=["exited_on", "exit_reason", "exited_by"])
        audit.record(actor=actor, action=AuditAction.LIST_EXIT, subject=entry, reason=reason,
                     changes={"organisation": str(entry.organisation), "list": entry.list_code,
                              "exited_on": on.isoformat()})
    return entry


# --- consortia ------------------------------------------------------------------------------------------

UNIFICATIONS = ("brand", "building", "service", "operations", "supervision")


def _unifications(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"unifications": _("请逐项填写“五统一”的内容")})
    cleaned = {}
    for key in UNIFICATIONS:
        text = data.get(key, "")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError({"unifications": _("“五统一”每一项都须写明做法：%(missing)s 未填") % {
                "missing": selectors.unification_label(key)}})
        cleaned[key] = text.strip()[:500]
    return cleaned


def consortium_create(*, actor, name: str, institution, unifications: dict) -> Consortium:
    """A consortium led by one institution (the facility of kind institution that heads it); its operator is
    the lead organisation."""
    if not has_capability(actor, "inspections.lists"):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写联合体名称")})
    if not isinstance(institution, Facility) or not is_visible(actor, institution):
        raise ValidationError({"institution": _("该养老机构不在您的管辖范围内")})
    if institution.kind not in INSTITUTION_KINDS:
        raise ValidationError({"institution": _("联合体须由一家养老机构牵头，“%(facility)s”不是养老机构")
                                              % {"facility": institution}})
    cleaned = _unifications(unifications)
    try:
        with transaction.atomic():
            consortium = Consortium.objects.create(name=name[:200], lead=institution.organisation,
                                                   institution=institution, region=actor.scope_region,
                                                   unifications=cleaned, created_by=actor)
            ConsortiumMember.objects.create(consortium=consortium, facility=institution,
                                            joined_on=timezone.localdate())
            audit.record(actor=actor, action=AuditAction.CONSORTIUM_CREATE, subject=consortium,
                         changes={"name": name, "institution": str(institution)})
    except IntegrityError:
        raise ValidationError({"institution": _("“%(facility)s”已属于另一个联合体") % {"facility": institution}}) \
            from None
    return consortium


def consortium_member_add(*, actor, consortium: Consortium, facility, joined_on: dt.date | None = None):
    """Adds a street centre or community station the lead institution runs (one consortium per facility)."""
    if not has_capability(actor, "inspections.lists") or not is_visible(actor, consortium, action="change"):
        raise PermissionDenied
    if not isinstance(facility, Facility) or not is_visible(actor, facility):
        raise ValidationError({"facility": _("该设施不在您的管辖范围内")})
    if facility.kind in INSTITUTION_KINDS:
        raise ValidationError({"facility": _("联合体成员是街道中心和社区站点，“%(facility)s”是养老机构")
                                           % {"facility": facility}})
    if facility.organisation_id != consortium.lead_id:
        raise ValidationError({"facility": _("“%(facility)s”不由牵头机构%(lead)s运营")
                                           % {"facility": facility, "lead": consortium.lead}})
    try:
        with transaction.atomic():
            member = ConsortiumMember.objects.create(consortium=consortium, facility=facility,
                                                     joined_on=joined_on or timezone.localdate())
            audit.record(actor=actor, action=AuditAction.CONSORTIUM_MEMBER_ADD, subject=consortium,
                         changes={"facility": str(facility)})
    except IntegrityError:
        raise ValidationError({"facility": _("“%(facility)s”已属于一个联合体") % {"facility": facility}}) from None
    return member
