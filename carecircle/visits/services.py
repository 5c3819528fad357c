"""Writes of visits: the caregiver's check-in, items, confirmation, check-out and "not at home"; the
exceptions' resolution and second-person approval; the periodic missing check-out sweep.

Every function is keyword-only and runs in one transaction. The recording steps lock the work order, then
read: the idempotency key (a key already used answers with what it stored, `Outcome.replayed`), the visit's
state (an illegal step raises `IllegalStep`, 409 with what is allowed), then judge the step with the
supervision engine. A rule that refuses (block, or warn without a reason) raises `RuleRefusal` before
anything is written; everything else is written at once — the visit, the event, its flags, the exceptions
they open, the work order's step (through the work-orders services) and the audit events — or not at all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, events
from carecircle.core.isolation import is_visible
from carecircle.core.policy import policy_value
from carecircle.engines.supervision import rules as engine
from carecircle.workorders.models import WorkOrder
from carecircle.workorders.services import work_order_complete, work_order_not_home, work_order_start

from .models import (
    ConfirmMethod,
    ElderConfirmationPin,
    EventKind,
    ExceptionStatus,
    ReasonCode,
    ResolutionCode,
    Visit,
    VisitEvent,
    VisitException,
    VisitFlag,
    VisitItemResult,
    VisitStatus,
)
from .workflow import EXCEPTION_FLOW, VISIT_FLOW

VISIT_VERIFIED = "visits.visit_verified"
EXCEPTION_OPENED = "visits.exception_opened"

# Vital signs an item may call for, with the range a reading must fall in to be believable.
VITALS = {
    "systolic": (50, 260), "diastolic": (30, 160), "pulse": (25, 220), "temperature": (33.0, 43.0),
    "glucose": (1.0, 35.0), "spo2": (50, 100), "weight": (20.0, 200.0),
}
PHOTO_COMPARISON_LIMIT = 500


class RuleRefusal(Exception):
    """A supervision rule refuses the step: blocked, or a warning that needs a reason. Nothing was written."""

    def __init__(self, findings, *, blocked: bool):
        super().__init__("refused by supervision rules")
        self.findings = list(findings)
        self.blocked = blocked


@dataclass
class Proof:
    """What the phone sent with a step: the fix, the phone's clock, the photo or the QR code in the home."""

    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    datum: str = ""  # "" when the app did not say (read as WGS84, checked for an undeclared GCJ-02 fix)
    device_time: dt.datetime | None = None
    mock_location: bool = False
    photo: bytes | None = None
    photo_extension: str = ".jpg"
    qr_code: str = ""

    @property
    def fix(self) -> engine.Fix | None:
        if self.lat is None or self.lng is None:
            return None
        return engine.Fix(lat=float(self.lat), lng=float(self.lng), accuracy_m=self.accuracy_m,
                          datum=self.datum or "wgs84", declared=bool(self.datum), mock=self.mock_location)


@dataclass
class Outcome:
    visit: Visit
    event: VisitEvent
    flags: list = field(default_factory=list)
    replayed: bool = False


# --- helpers --------------------------------------------------------------------------------------------------

def _staff_of(actor):
    from carecircle.providers.models import StaffMember

    return StaffMember.objects.filter(user=actor).first() if actor is not None else None


def _locked_own_visit(actor, work_order: WorkOrder) -> tuple:
    """The order locked, read within the actor's scope (outside it: 404); only the caregiver it is published
    to records it (anyone else: 403). Checked on the locked row, not on the caller's copy."""
    from carecircle.core.isolation import visible_to

    locked = (visible_to(actor, WorkOrder).select_for_update(of=("self",))
              .select_related("elder__community", "caregiver", "plan_visit__plan").filter(pk=work_order.pk).first())
    if locked is None:
        raise WorkOrder.DoesNotExist
    staff = _staff_of(actor)
    if staff is None or locked.caregiver_id != staff.pk:
        raise PermissionDenied(_("只能记录安排给自己的上门服务。"))
    return staff, locked


def _visit_of(work_order: WorkOrder) -> Visit:
    # With its date: on PostgreSQL only that month's partition is read.
    visit = Visit.objects.filter(work_order=work_order, date=work_order.date).first()
    if visit is None:
        visit = Visit(work_order=work_order, organisation_id=work_order.organisation_id, elder_id=work_order.elder_id,
                      caregiver_id=work_order.caregiver_id, date=work_order.date, status=VisitStatus.PLANNED)
    else:
        visit.work_order = work_order
    if visit.elder_id == work_order.elder_id:
        visit.elder = work_order.elder  # read with the lock, with its community: the audit's region
    return visit


def _replay(actor, key: str, fingerprint: str) -> VisitEvent | None:
    if not key:
        return None
    # Every month is looked at (on PostgreSQL one index probe per partition), so that a key reused for another
    # visit is recognised and refused, not only a replay of the same request.
    event = VisitEvent.objects.filter(user=actor, idempotency_key=key).select_related("visit").first()
    if event is not None and event.fingerprint != fingerprint:
        raise ValidationError(_("这个幂等键已用于另一项不同的提交；请为新的提交生成新的键。"), code="key_reused")
    return event


def programme_of(work_order: WorkOrder) -> str:
    if work_order.plan_visit_id and work_order.plan_visit.plan_id:
        return work_order.plan_visit.plan.programme
    return "order"


def policy_for(work_order: WorkOrder, on: dt.date) -> engine.Policy:
    region = work_order.elder.community
    thresholds = policy_value("visits.rules.threshold", region=region, on=on)
    actions = policy_value("visits.rules.action", region=region, on=on)
    items = tuple(code for code, _qualification in _lines(work_order))
    try:
        return engine.resolve_policy(thresholds, actions, programme=programme_of(work_order), items=items)
    except engine.PolicyError as error:
        raise ValidationError(_("上门监管规则的政策参数设置有误：%(error)s") % {"error": error}) from error


def _moment(work_order: WorkOrder, proof: Proof) -> tuple[dt.datetime, int]:
    """When the step happened (the phone's time, so an event queued offline keeps its moment) and the clock
    skew in seconds; a time from the future or older than the offline limit is refused."""
    now = timezone.now()
    region = work_order.elder.community
    device = proof.device_time or now
    if timezone.is_naive(device):
        device = timezone.make_aware(device)
    skew = dt.timedelta(minutes=policy_value("visits.clock.max_skew_minutes", region=region, on=timezone.localdate(now)))
    max_age = dt.timedelta(hours=policy_value("visits.offline.max_age_hours", region=region, on=timezone.localdate(now)))
    if device > now + skew:
        raise ValidationError({"device_time": [_("手机时间比服务器时间晚 %(minutes)s 分钟以上，像是来自未来；请校准手机时间后重试。")
                                               % {"minutes": int(skew.total_seconds() // 60)}]})
    if now - device > max_age:
        raise ValidationError({"device_time": [_("这条记录是 %(hours)s 小时以前的，超过了补传期限；请联系机构按异常处理。")
                                               % {"hours": int((now - device).total_seconds() // 3600)}]})
    # Local time: the day of a visit (policy in force, a certificate's expiry) is the district's calendar day.
    return timezone.localtime(device), round((now - device).total_seconds())


def _planned_start(work_order: WorkOrder) -> dt.datetime:
    if work_order.planned_start is not None:
        return work_order.planned_start
    return timezone.make_aware(dt.datetime.combine(work_order.date, work_order.window_start))


def _window_end(work_order: WorkOrder) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(work_order.date, work_order.window_end))


def _home(work_order: WorkOrder):
    elder = work_order.elder
    if elder.lat is None or elder.lng is None:
        return None
    return float(elder.lat), float(elder.lng)


def _photo_hash(content: bytes) -> str:
    import io

    import imagehash
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        return str(imagehash.phash(image))


def _known_hashes(work_order: WorkOrder, visit: Visit, photo_hash: str) -> tuple[tuple[int, str], ...]:
    if not photo_hash:
        return ()  # no photo with this step: nothing to compare
    rows = (VisitEvent.objects.filter(visit__organisation_id=work_order.organisation_id).exclude(photo_hash="")
            .order_by("-id").values_list("visit_id", "photo_hash")[:PHOTO_COMPARISON_LIMIT])
    return tuple(row for row in rows if visit.pk is None or row[0] != visit.pk)


def _round6(value):
    from decimal import Decimal

    return None if value is None else Decimal(f"{value:.6f}")


def _event(*, visit, kind, actor, proof: Proof | None, at, skew, point=None, reason="", reason_code="", key="",
           fingerprint="", photo_hash="", payload=None) -> VisitEvent:
    from django.core.files.base import ContentFile

    from carecircle.core.uploads import stored_name

    event = VisitEvent(visit=visit, kind=kind, user=actor, idempotency_key=key or "", fingerprint=fingerprint or "",
                       device_time=at, clock_skew_seconds=skew, reason=reason[:500], reason_code=reason_code or "",
                       photo_hash=photo_hash, payload=payload or {})
    if proof is not None:
        event.raw_lat, event.raw_lng = _round6(proof.lat), _round6(proof.lng)
        event.accuracy_m = proof.accuracy_m
        event.datum = proof.datum or ""
        event.mock_location = proof.mock_location
        event.qr_code = proof.qr_code[:100]
        if point is not None:
            event.lat, event.lng = _round6(point[0]), _round6(point[1])
        if proof.photo:
            event.photo.save(stored_name(f"visit{proof.photo_extension}"), ContentFile(proof.photo), save=False)
    event.save()
    return event


def _refuse_or_pass(findings, reason: str):
    blocked = [f for f in findings if f.action == engine.BLOCK]
    if blocked:
        raise RuleRefusal(blocked, blocked=True)
    warned = [f for f in findings if f.action == engine.WARN]
    if warned and not reason.strip():
        raise RuleRefusal(warned, blocked=False)


def _measure(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flags(*, visit, event, findings, actor, reason: str, reason_code: str) -> list[VisitFlag]:
    flags = []
    for finding in findings:
        flag = VisitFlag.objects.create(visit=visit, event=event, rule=finding.rule, action=finding.action,
                                        measured=_measure(finding.measured), threshold=_measure(finding.threshold),
                                        facts=finding.facts, reason=reason[:500] if finding.action == engine.WARN else "")
        flags.append(flag)
        if finding.action in (engine.WARN, engine.REVIEW):
            _open_exception(visit=visit, flag=flag, actor=actor, reason_code=reason_code or ReasonCode.OTHER,
                            reason_text=reason)
    return flags


def _emit(name: str, *, visit: Visit, actor, exception: VisitException | None = None):
    events.emit(name=name, actor=actor, region=visit.elder.community,
                payload={"visit": visit.pk, "work_order": visit.work_order_id, "organisation": visit.organisation_id,
                         "elder": visit.elder_id, "exception": exception.pk if exception is not None else None})


def _open_exception(*, visit, flag, actor, reason_code="", reason_text="") -> VisitException:
    exception = VisitException.objects.create(visit=visit, flag=flag, reason_code=reason_code,
                                              reason_text=reason_text[:500],
                                              opened_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit.record(actor=actor, action="visits.exception_open", subject=exception, reason=reason_text,
                 changes={"rule": [None, flag.rule if flag else ""], "visit": [None, visit.pk]})
    _emit(EXCEPTION_OPENED, visit=visit, actor=actor, exception=exception)
    return exception


def _has_open_exceptions(visit: Visit) -> bool:
    return visit.exceptions.exclude(status=ExceptionStatus.APPROVED).exists()


def _settle(visit: Visit, *, actor) -> Visit:
    """After a check-out or an approval: verified when no exception is open, otherwise held."""
    old = audit.snapshot(visit, fields=["status"])
    if _has_open_exceptions(visit):
        if visit.status != VisitStatus.HELD:
            VISIT_FLOW.check(visit, None, "hold")
            visit.status = VisitStatus.HELD
            visit.save(update_fields=["status", "updated_at"])
            audit.record(actor=actor, action="visits.visit_hold", subject=visit,
                         changes=audit.diff(old, audit.snapshot(visit, fields=["status"])))
        return visit
    if visit.status in (VisitStatus.CHECKED_OUT, VisitStatus.HELD) and visit.checked_out_at is not None:
        if visit.exceptions.filter(resolution_code=ResolutionCode.NOT_DELIVERED).exists():
            return visit  # held for good: nothing was delivered, nothing will be paid
        VISIT_FLOW.check(visit, None, "verify")
        visit.status = VisitStatus.VERIFIED
        visit.verified_at = timezone.now()
        visit.save(update_fields=["status", "verified_at", "updated_at"])
        audit.record(actor=actor, action="visits.visit_verify", subject=visit,
                     changes=audit.diff(old, audit.snapshot(visit, fields=["status"])))
        _emit(VISIT_VERIFIED, visit=visit, actor=actor)
    return visit


def _begin(*, actor, work_order, action, key, fingerprint):
    """The lock, with scope and ownership checked on the locked row; then a replay, or the step's legality."""
    staff, work_order = _locked_own_visit(actor, work_order)
    replayed = _replay(actor, key, fingerprint)
    visit = _visit_of(work_order)
    if replayed is None:
        VISIT_FLOW.check(visit, actor, action)
    return staff, work_order, visit, replayed


# --- the caregiver's steps -----------------------------------------------------------------------------------

@transaction.atomic
def visit_check_in(*, actor, work_order: WorkOrder, proof: Proof, reason: str = "", reason_code: str = "",
                   key: str = "", fingerprint: str = "") -> Outcome:
    staff, work_order, visit, replayed = _begin(actor=actor, work_order=work_order, action="check_in", key=key,
                                                fingerprint=fingerprint)
    if replayed is not None:
        return Outcome(visit=replayed.visit, event=replayed, flags=list(replayed.flags.all()), replayed=True)
    if proof.fix is None and not proof.qr_code:
        raise ValidationError({"lat": [_("签到须提供定位，或扫描老人家中的二维码。")]})
    at, skew = _moment(work_order, proof)
    policy = policy_for(work_order, at.date())
    photo_hash = _photo_hash(proof.photo) if proof.photo else ""
    facts = engine.CheckInFacts(
        at=at, planned_start=_planned_start(work_order), fix=proof.fix, home=_home(work_order),
        caregiver_open_visits=_spans(Visit.objects.filter(caregiver=staff, status=VisitStatus.CHECKED_IN)),
        elder_open_ltci_visits=_spans(Visit.objects.filter(elder_id=work_order.elder_id, status=VisitStatus.CHECKED_IN,
                                                           work_order__plan_visit__plan__programme="ltci")),
        is_ltci=programme_of(work_order) == "ltci",
        elder_status=work_order.elder.status, elder_absence=_absence(work_order, at.date()),
        required_qualification=_required_qualification(work_order),
        certificates=tuple(engine.Certificate(c.qualification, c.issued_on, c.expires_on)
                           for c in staff.certificates.all()),
        previous=_previous_stop(staff, at), photo_hash=photo_hash,
        known_photo_hashes=_known_hashes(work_order, visit, photo_hash))
    point, findings = engine.check_in(facts, policy)
    _refuse_or_pass(findings, reason)
    work_order_start(actor=actor, work_order=work_order, locked=True)
    late = next((f for f in findings if f.rule == engine.LATE_START), None)
    visit.status = VisitStatus.CHECKED_IN
    visit.checked_in_at = at
    if point is not None:
        visit.checked_in_lat, visit.checked_in_lng = _round6(point[0]), _round6(point[1])
    visit.on_time = late is None
    visit.save()
    event = _event(visit=visit, kind=EventKind.CHECK_IN, actor=actor, proof=proof, at=at, skew=skew, point=point,
                   reason=reason, reason_code=reason_code, key=key, fingerprint=fingerprint, photo_hash=photo_hash)
    flags = _flags(visit=visit, event=event, findings=findings, actor=actor, reason=reason, reason_code=reason_code)
    audit.record(actor=actor, action="visits.visit_check_in", subject=visit, reason=reason,
                 changes={"status": [VisitStatus.PLANNED, visit.status], "checked_in_at": [None, at.isoformat()],
                          "flags": [None, [f.rule for f in flags]]})
    return Outcome(visit=visit, event=event, flags=flags)


@transaction.atomic
def visit_not_home(*, actor, work_order: WorkOrder, proof: Proof, reason: str = "", reason_code: str = "",
                   key: str = "", fingerprint: str = "") -> Outcome:
    """The caregiver came and nobody opened: recorded with the same proof as a check-in, never billed."""
    staff, work_order, visit, replayed = _begin(actor=actor, work_order=work_order, action="not_home", key=key,
                                                fingerprint=fingerprint)
    if replayed is not None:
        return Outcome(visit=replayed.visit, event=replayed, flags=list(replayed.flags.all()), replayed=True)
    if proof.fix is None and not proof.qr_code:
        raise ValidationError({"lat": [_("登记老人不在家须提供定位，或扫描老人家门口的二维码。")]})
    at, skew = _moment(work_order, proof)
    policy = {rule: value for rule, value in policy_for(work_order, at.date()).items()
              if rule in (engine.DISTANCE, engine.UNDECLARED_GCJ02, engine.MOCK_LOCATION, engine.DUPLICATE_PHOTO)}
    photo_hash = _photo_hash(proof.photo) if proof.photo else ""
    facts = engine.CheckInFacts(at=at, planned_start=_planned_start(work_order), fix=proof.fix, home=_home(work_order),
                                photo_hash=photo_hash, known_photo_hashes=_known_hashes(work_order, visit, photo_hash))
    point, findings = engine.check_in(facts, policy)
    _refuse_or_pass(findings, reason)
    work_order_not_home(actor=actor, work_order=work_order, locked=True)
    visit.status = VisitStatus.NOT_HOME
    visit.checked_in_at = at
    if point is not None:
        visit.checked_in_lat, visit.checked_in_lng = _round6(point[0]), _round6(point[1])
    visit.save()
    event = _event(visit=visit, kind=EventKind.NOT_HOME, actor=actor, proof=proof, at=at, skew=skew, point=point,
                   reason=reason, reason_code=reason_code, key=key, fingerprint=fingerprint, photo_hash=photo_hash)
    flags = _flags(visit=visit, event=event, findings=findings, actor=actor, reason=reason, reason_code=reason_code)
    audit.record(actor=actor, action="visits.visit_not_home", subject=visit, reason=reason,
                 changes={"status": [VisitStatus.PLANNED, visit.status], "at": [None, at.isoformat()]})
    return Outcome(visit=visit, event=event, flags=flags)


@transaction.atomic
def visit_items(*, actor, work_order: WorkOrder, items: list[dict], device_time=None, key: str = "",
                fingerprint: str = "") -> Outcome:
    """Items ticked with notes and vital signs; a change to an item already recorded is kept in the trail."""
    staff, work_order, visit, replayed = _begin(actor=actor, work_order=work_order, action="items", key=key,
                                                fingerprint=fingerprint)
    if replayed is not None:
        return Outcome(visit=replayed.visit, event=replayed, replayed=True)
    at, skew = _moment(work_order, Proof(device_time=device_time))
    lines = {line.item.code: line.item for line in work_order.lines.select_related("item")}
    errors = {}
    cleaned = []
    for index, row in enumerate(items or []):
        code = str(row.get("item", ""))
        if code not in lines:
            errors[f"items[{index}]"] = [_("“%(code)s”不是这次上门的服务项目") % {"code": code}]
            continue
        vitals = row.get("vitals") or {}
        if not isinstance(vitals, dict):
            errors[f"items[{index}]"] = [_("生命体征格式不正确")]
            continue
        for name, value in vitals.items():
            if name not in VITALS:
                errors[f"items[{index}].vitals.{name}"] = [_("不认识的生命体征")]
                continue
            low, high = VITALS[name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = None
            if number is None or not (low <= number <= high):
                errors[f"items[{index}].vitals.{name}"] = [_("数值应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high}]
        cleaned.append((lines[code], bool(row.get("done", True)), str(row.get("note", ""))[:500], vitals))
    if not items:
        errors["items"] = [_("请至少记录一个服务项目")]
    if errors:
        raise ValidationError(errors)
    changes = {}
    for item, done, note, vitals in cleaned:
        result = VisitItemResult.objects.filter(visit=visit, item=item).first()
        new = {"done": done, "note": note, "vitals": vitals}
        if result is None:
            VisitItemResult.objects.create(visit=visit, item=item, **new)
            changes[item.code] = [None, new]
        else:
            old = {"done": result.done, "note": result.note, "vitals": result.vitals}
            if old != new:
                for name, value in new.items():
                    setattr(result, name, value)
                result.save()
                changes[item.code] = [old, new]
    event = _event(visit=visit, kind=EventKind.ITEMS, actor=actor, proof=None, at=at, skew=skew, key=key,
                   fingerprint=fingerprint, payload={"items": [{"item": i.code, "done": d, "note": n, "vitals": v}
                                                               for i, d, n, v in cleaned]})
    audit.record(actor=actor, action="visits.visit_items", subject=visit, changes=changes)
    return Outcome(visit=visit, event=event)


def family_code(work_order: WorkOrder) -> str:
    """The six-digit code the family receives for one visit (derived, so nothing secret is stored)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"visits.confirm:{work_order.pk}:{work_order.date}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


@transaction.atomic
def visit_confirm(*, actor, work_order: WorkOrder, method: str, code: str, device_time=None, key: str = "",
                  fingerprint: str = "") -> Outcome:
    staff, work_order, visit, replayed = _begin(actor=actor, work_order=work_order, action="confirm", key=key,
                                                fingerprint=fingerprint)
    if replayed is not None:
        return Outcome(visit=replayed.visit, event=replayed, replayed=True)
    at, skew = _moment(work_order, Proof(device_time=device_time))
    code = (code or "").strip()
    if method == ConfirmMethod.PIN:
        pin = ElderConfirmationPin.objects.filter(elder_id=work_order.elder_id).first()
        if pin is None:
            raise ValidationError({"method": [_("老人还没有设置确认码，请改用家属确认码。")]})
        good = check_password(code, pin.pin_hash)
    elif method == ConfirmMethod.FAMILY_CODE:
        good = hmac.compare_digest(code, family_code(work_order))
    else:
        raise ValidationError({"method": [_("确认方式只能是老人确认码或家属确认码。")]})
    if not good:
        raise ValidationError({"code": [_("确认码不正确。")]})
    visit.confirmed_at, visit.confirm_method = at, method
    visit.save(update_fields=["confirmed_at", "confirm_method", "updated_at"])
    event = _event(visit=visit, kind=EventKind.CONFIRM, actor=actor, proof=None, at=at, skew=skew, key=key,
                   fingerprint=fingerprint, payload={"method": method})
    audit.record(actor=actor, action="visits.visit_confirm", subject=visit,
                 changes={"confirmed_at": [None, at.isoformat()], "confirm_method": [None, method]})
    return Outcome(visit=visit, event=event)


@transaction.atomic
def visit_check_out(*, actor, work_order: WorkOrder, proof: Proof, reason: str = "", reason_code: str = "",
                    key: str = "", fingerprint: str = "") -> Outcome:
    staff, work_order, visit, replayed = _begin(actor=actor, work_order=work_order, action="check_out", key=key,
                                                fingerprint=fingerprint)
    if replayed is not None:
        return Outcome(visit=replayed.visit, event=replayed, flags=list(replayed.flags.all()), replayed=True)
    if proof.fix is None and not proof.qr_code:
        raise ValidationError({"lat": [_("签退须提供定位，或扫描老人家中的二维码。")]})
    at, skew = _moment(work_order, proof)
    if at < visit.checked_in_at:
        raise ValidationError({"device_time": [_("签退时间 %(out)s 早于签到时间 %(in)s。") % {
            "out": timezone.localtime(at).strftime("%H:%M:%S"),
            "in": timezone.localtime(visit.checked_in_at).strftime("%H:%M:%S")}]})
    policy = policy_for(work_order, at.date())
    photo_hash = _photo_hash(proof.photo) if proof.photo else ""
    facts = engine.CheckOutFacts(at=at, checked_in_at=visit.checked_in_at, planned_start=_planned_start(work_order),
                                 planned_minutes=work_order.duration_minutes, fix=proof.fix, home=_home(work_order),
                                 photo_hash=photo_hash, known_photo_hashes=_known_hashes(work_order, visit, photo_hash))
    point, findings = engine.check_out(facts, policy)
    _refuse_or_pass(findings, reason)
    work_order_complete(actor=actor, work_order=work_order, locked=True)
    visit.status = VisitStatus.CHECKED_OUT
    visit.checked_out_at = at
    if point is not None:
        visit.checked_out_lat, visit.checked_out_lng = _round6(point[0]), _round6(point[1])
    visit.save()
    event = _event(visit=visit, kind=EventKind.CHECK_OUT, actor=actor, proof=proof, at=at, skew=skew, point=point,
                   reason=reason, reason_code=reason_code, key=key, fingerprint=fingerprint, photo_hash=photo_hash)
    flags = _flags(visit=visit, event=event, findings=findings, actor=actor, reason=reason, reason_code=reason_code)
    audit.record(actor=actor, action="visits.visit_check_out", subject=visit, reason=reason,
                 changes={"status": [VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT],
                          "checked_out_at": [None, at.isoformat()], "flags": [None, [f.rule for f in flags]]})
    _settle(visit, actor=actor)
    return Outcome(visit=visit, event=event, flags=flags)


def _spans(queryset) -> tuple[engine.Span, ...]:
    return tuple(engine.Span(v.pk, v.checked_in_at, v.checked_out_at) for v in queryset)


def _absence(work_order: WorkOrder, day: dt.date) -> str:
    from carecircle.careplans.models import ElderAbsence

    absence = ElderAbsence.objects.filter(elder_id=work_order.elder_id, starts_on__lte=day, ends_on__gte=day,
                                          cancelled=False).first()
    return absence.kind if absence is not None else ""


def _lines(work_order: WorkOrder) -> list[tuple[str, str]]:
    """The order's items as (code, required qualification), read once per step."""
    lines = getattr(work_order, "_visit_lines", None)
    if lines is None:
        lines = list(work_order.lines.values_list("item__code", "item__required_qualification"))
        work_order._visit_lines = lines
    return lines


def _required_qualification(work_order: WorkOrder) -> str:
    if work_order.required_qualification:
        return work_order.required_qualification
    codes = [qualification for _code, qualification in _lines(work_order) if qualification]
    return codes[0] if codes else ""


def _previous_stop(staff, at: dt.datetime) -> engine.PreviousStop | None:
    """The caregiver's last recorded place before this moment the same day (a check-out, else a check-in)."""
    event = (VisitEvent.objects.filter(visit__caregiver=staff, kind__in=[EventKind.CHECK_OUT, EventKind.CHECK_IN,
                                                                         EventKind.NOT_HOME],
                                       lat__isnull=False, device_time__lt=at,
                                       device_time__date=timezone.localtime(at).date())
             .order_by("-device_time", "-id").first())
    if event is None:
        return None
    return engine.PreviousStop(event.visit_id, float(event.lat), float(event.lng), event.device_time)


# --- partitions ---------------------------------------------------------------------------------------------------

PARTITIONED = (("visits_visit", "date"), ("visits_visitevent", "visit_date"))
PARTITION_MONTHS_AHEAD = 3


def visit_partitions_ensure(*, today: dt.date | None = None) -> list[str]:
    """On PostgreSQL, the coming months' partitions of the visit tables (daily; the migration made the first)."""
    from django.db import connection

    from carecircle.core.partitions import ensure_month_partitions, is_partitioned

    created = []
    if connection.vendor != "postgresql":
        return created
    for table, key in PARTITIONED:
        if is_partitioned(connection, table):
            with transaction.atomic():
                created += ensure_month_partitions(connection, table, key, months_ahead=PARTITION_MONTHS_AHEAD,
                                                   today=today or timezone.localdate())
    return created


# --- the elder's PIN ---------------------------------------------------------------------------------------------

def may_set_pin(actor, elder) -> bool:
    """The elder and their linked family (the PIN is theirs), and staff who may change the elder's record at the
    window. Never a caregiver or their provider: the PIN confirms that their visit happened."""
    from carecircle.core.isolation import CHANGE, PERSON, is_visible
    from carecircle.core.roles import PERSON_SCOPED, Role

    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.role in PERSON_SCOPED:
        return is_visible(actor, elder, via=PERSON)
    if actor.role in (Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_WORKER):
        return is_visible(actor, elder, CHANGE)
    return False


@transaction.atomic
def elder_pin_set(*, actor, elder, pin: str, pin_again: str | None = None) -> None:
    """The elder's confirmation PIN (four to six digits), typed on the caregiver's phone at the end of a visit."""
    if not may_set_pin(actor, elder):
        raise PermissionDenied(_("只有老人本人、家属或街镇、居委工作人员可以设置老人确认码。"))
    pin = (pin or "").strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 6):
        raise ValidationError({"pin": [_("确认码须为 4 到 6 位数字。")]})
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ValidationError({"pin": [_("确认码太容易猜到（相同或连续的数字），请换一个。")]})
    if pin_again is not None and pin_again.strip() != pin:
        raise ValidationError({"pin_again": [_("两次输入的确认码不一致。")]})
    ElderConfirmationPin.objects.update_or_create(elder=elder, defaults={"pin_hash": make_password(pin)})
    audit.record(actor=actor, action="visits.elder_pin_set", subject=elder, changes={"pin": ["", "******"]})


# --- exceptions --------------------------------------------------------------------------------------------------

def _locked_exception(actor, exception: VisitException, action: str) -> VisitException:
    if not is_visible(actor, exception, action="change"):
        raise PermissionDenied(_("该异常不在您的管辖范围内。"))
    exception = (VisitException.objects.select_for_update(of=("self",))
                 .select_related("visit__elder__community", "visit__work_order").get(pk=exception.pk))
    return exception


@transaction.atomic
def exception_resolve(*, actor, exception: VisitException, reason_code: str, resolution_code: str, note: str = "",
                      corrected_check_in: dt.datetime | None = None,
                      corrected_check_out: dt.datetime | None = None) -> VisitException:
    """The provider (or the district) says why it happened and what was done; a second person approves."""
    exception = _locked_exception(actor, exception, "resolve")
    EXCEPTION_FLOW.check(exception, actor, "resolve")
    errors = {}
    if reason_code not in ReasonCode.values:
        errors["reason_code"] = [_("请选择原因。")]
    if resolution_code not in ResolutionCode.values:
        errors["resolution_code"] = [_("请选择处理结果。")]
    if resolution_code == ResolutionCode.CORRECTED_TIME and not (corrected_check_in or corrected_check_out):
        errors["corrected_check_in"] = [_("更正时间须填写更正后的签到或签退时间。")]
    check_in = corrected_check_in or exception.visit.checked_in_at
    check_out = corrected_check_out or exception.visit.checked_out_at
    if check_in and check_out and check_out < check_in:
        errors["corrected_check_out"] = [_("签退时间不能早于签到时间。")]
    if errors:
        raise ValidationError(errors)
    fields = ["status", "reason_code", "resolution_code", "resolution_note", "corrected_check_in",
              "corrected_check_out", "resolved_by"]
    old = audit.snapshot(exception, fields=fields)
    exception.status = ExceptionStatus.RESOLVED
    exception.reason_code, exception.resolution_code = reason_code, resolution_code
    exception.resolution_note = (note or "")[:500]
    exception.corrected_check_in, exception.corrected_check_out = corrected_check_in, corrected_check_out
    exception.resolved_by, exception.resolved_at = actor, timezone.now()
    exception.save()
    audit.record(actor=actor, action="visits.exception_resolve", subject=exception, reason=note,
                 changes=audit.diff(old, audit.snapshot(exception, fields=fields)))
    return exception


@transaction.atomic
def exception_approve(*, actor, exception: VisitException) -> VisitException:
    """A second person approves the correction: the visit's times change as corrected, and a visit with no
    other open exception is verified."""
    exception = _locked_exception(actor, exception, "approve")
    EXCEPTION_FLOW.check(exception, actor, "approve")
    if exception.resolved_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("复核须由处理人以外的另一人进行。"))
    visit = Visit.objects.select_for_update(of=("self",)).select_related("elder__community").get(pk=exception.visit_id)
    visit_fields = ["checked_in_at", "checked_out_at"]
    old_visit = audit.snapshot(visit, fields=visit_fields)
    if exception.corrected_check_in:
        visit.checked_in_at = exception.corrected_check_in
    if exception.corrected_check_out:
        visit.checked_out_at = exception.corrected_check_out
    if audit.diff(old_visit, audit.snapshot(visit, fields=visit_fields)):
        visit.save(update_fields=[*visit_fields, "updated_at"])
        audit.record(actor=actor, action="visits.visit_correct", subject=visit,
                     reason=exception.get_resolution_code_display(),
                     changes={**audit.diff(old_visit, audit.snapshot(visit, fields=visit_fields)),
                              "exception": [None, exception.pk]})
    old = audit.snapshot(exception, fields=["status", "approved_by"])
    exception.status = ExceptionStatus.APPROVED
    exception.approved_by, exception.approved_at = actor, timezone.now()
    exception.save()
    audit.record(actor=actor, action="visits.exception_approve", subject=exception,
                 changes=audit.diff(old, audit.snapshot(exception, fields=["status", "approved_by"])))
    if visit.status in (VisitStatus.CHECKED_OUT, VisitStatus.HELD):
        _settle(visit, actor=actor)
    return exception


@transaction.atomic
def exception_return(*, actor, exception: VisitException, reason: str) -> VisitException:
    """The reviewer does not accept the correction: back to the queue with the reason."""
    exception = _locked_exception(actor, exception, "return")
    EXCEPTION_FLOW.check(exception, actor, "return", reason=(reason or "").strip())
    if exception.resolved_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("复核须由处理人以外的另一人进行。"))
    old = audit.snapshot(exception, fields=["status"])
    exception.status = ExceptionStatus.OPEN
    exception.save(update_fields=["status"])
    audit.record(actor=actor, action="visits.exception_return", subject=exception, reason=reason,
                 changes=audit.diff(old, audit.snapshot(exception, fields=["status"])))
    return exception


# --- the periodic sweep -------------------------------------------------------------------------------------------

def missing_check_outs_flag(*, now: dt.datetime | None = None) -> int:
    """Visits still checked in after their window (plus the rule's threshold) get a flag and an exception,
    once each; the visit waits for its exception. Returns how many were flagged."""
    from carecircle.engines.supervision.rules import MISSING_CHECK_OUT

    now = now or timezone.now()
    flagged = 0
    candidates = (Visit.objects.filter(status=VisitStatus.CHECKED_IN, date__lte=timezone.localtime(now).date())
                  .exclude(flags__rule=MISSING_CHECK_OUT).values_list("pk", flat=True))
    for pk in list(candidates):
        with transaction.atomic():
            visit = (Visit.objects.select_for_update(of=("self",)).select_related("work_order", "elder__community")
                     .filter(pk=pk, status=VisitStatus.CHECKED_IN).first())
            if visit is None or visit.flags.filter(rule=MISSING_CHECK_OUT).exists():
                continue
            work_order = visit.work_order
            policy = policy_for(work_order, visit.date)
            finding = engine.missing_check_out(now=now, window_end=_window_end(work_order), policy=policy)
            if finding is None:
                continue
            flag = VisitFlag.objects.create(visit=visit, rule=finding.rule, action=finding.action,
                                            measured=_measure(finding.measured), threshold=_measure(finding.threshold))
            if finding.action in (engine.WARN, engine.REVIEW, engine.BLOCK):
                _open_exception(visit=visit, flag=flag, actor=None, reason_code=ReasonCode.FORGOT)
                _settle(visit, actor=None)
            flagged += 1
    return flagged

