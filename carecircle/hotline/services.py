"""Writes of the hotline: each one transaction with its audit event (`<entity>_<verb>(*, actor, ...)`).

Device messages come from devices, not people: `device_event_receive` checks the device's signature itself and
records what it refuses for the device's vendor; the alarms it raises are audited with no actor (the system)."""
from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import is_visible, require_change
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import lookup_hash
from carecircle.elders.identity import age_on
from carecircle.elders.models import EconomicCategory, Elder, ElderStatus, HouseholdType
from carecircle.engines import hotline as engine

from .models import (SENDING, ActionKind, Alarm, AlarmAction, AlarmSource, AlarmStatus, Call, CallCategory,
                     CallDirection, CareCall, CareCallStatus, Device, DeviceEvent, DeviceKind, DeviceRejection,
                     Funding, Outcome, RejectReason, TaskSource, WelfareTask, WelfareVisit)
from .plugin import AuditAction
from .workflow import ALARM_FLOW

SIGNATURE_WINDOW = 300  # seconds either way: the device API's contract
HARDSHIP = {EconomicCategory.EXTREME_POVERTY, EconomicCategory.MIN_LIVING, EconomicCategory.NEAR_POVERTY,
            EconomicCategory.LOW_INCOME}


def _require(actor, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj) -> None:
    if not is_visible(actor, obj):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


# --- who an elder is to the hotline -------------------------------------------------------------------

def care_facts(elder: Elder, today: dt.date) -> engine.CareFacts:
    return engine.CareFacts(age=age_on(elder.birth_date, today),
                            lives_alone=elder.household_type == HouseholdType.ALONE,
                            elderly_only=elder.household_type == HouseholdType.ELDERLY_ONLY,
                            hardship=elder.economic_category in HARDSHIP,
                            disabled=elder.has_disability_certificate)


def old_age(elder: Elder, today: dt.date) -> int:
    return policy_value("hotline.care_call.target_min_age", region=elder.community, on=today)


def risk_tier(elder: Elder, today: dt.date) -> str:
    return engine.risk_tier(care_facts(elder, today), old_age=old_age(elder, today))


def device_funding(elder: Elder, today: dt.date) -> tuple[str, Decimal]:
    """Who pays for the device's service by policy: in full for elders aged 80+ living alone in hardship,
    at least half for the other basic-service targets (hardship, disability), nothing for the others."""
    shares = policy_value("hotline.device_fee.district_share", region=elder.community, on=today)
    facts = care_facts(elder, today)
    if facts.lives_alone and facts.hardship and facts.age >= old_age(elder, today):
        group = "alone_80_plus_hardship"
    elif facts.hardship or facts.disabled:
        group = "basic_service_targets"
    else:
        group = "others"
    share = Decimal(shares.get(group, Decimal(0))).quantize(Decimal("0.01"))
    funding = Funding.FULL if share >= 1 else Funding.PART if share > 0 else Funding.SELF
    return funding, share


# --- devices --------------------------------------------------------------------------------------

def device_register(*, actor, elder: Elder, kind: str, vendor: str, installed_on: dt.date, number: str = "",
                    location: str = "", device_id: str = "") -> tuple[Device, str]:
    """A device bound to an elder, with a new secret returned once (it is stored encrypted)."""
    _require(actor, "hotline.devices")
    require_change(actor, elder)
    errors = {}
    if kind not in DeviceKind.values:
        errors["kind"] = _("请选择设备类型。")
    if not (vendor or "").strip():
        errors["vendor"] = _("请填写厂商。")
    device_id = (device_id or "").strip() or "CC" + secrets.token_hex(6).upper()
    if len(device_id) > 64 or not device_id.replace("-", "").replace("_", "").isalnum():
        errors["device_id"] = _("设备编号只能包含字母、数字、连字符和下划线，最长 64 位。")
    elif Device.objects.filter(device_id=device_id).exists():
        errors["device_id"] = _("设备编号 %(id)s 已被登记。") % {"id": device_id}
    if elder.status != ElderStatus.ACTIVE:
        errors["elder"] = _("该老人不在册，不能绑定设备。")
    if errors:
        raise ValidationError(errors)
    funding, share = device_funding(elder, installed_on)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = Device.objects.create(device_id=device_id, elder=elder, kind=kind, vendor=vendor.strip(),
                                       number=(number or "").strip(), installed_on=installed_on,
                                       location=(location or "").strip(), funding=funding, subsidy_share=share,
                                       secret=secret)
        audit.record(actor=actor, action=AuditAction.DEVICE_REGISTER, subject=device,
                     changes={"elder": [None, elder.pk], "kind": [None, device.kind], "funding": [None, device.funding]})
    device_key_forget(device.device_id)
    return device, secret


def device_unbind(*, actor, device: Device, reason: str) -> Device:
    _require(actor, "hotline.devices")
    require_change(actor, device)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写解绑原因。")})
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        elder = device.elder
        device.elder, device.active = None, False
        device.save(update_fields=["elder", "active"])
        transaction.on_commit(lambda: device_key_forget(device.device_id))
        audit.record(actor=actor, action=AuditAction.DEVICE_UNBIND, subject=device, reason=reason.strip(),
                     changes={"elder": [elder.pk if elder else None, None]}, region=elder.community if elder else None)
    return device


# --- numbers shown during a case ---------------------------------------------------------------------------

def numbers_reveal(*, actor, elder: Elder, contacts, reason) -> dict:
    """The clear phone numbers of the elder and their contacts, for an operator handling a live case (a role
    that may reveal numbers): each showing is recorded in the trail. Others get the masked numbers."""
    from carecircle.core.sensitive import mask_phone

    contacts = list(contacts)
    if not has_capability(actor, "elders.reveal") or not is_visible(actor, elder):
        return {"elder": mask_phone(elder.phone or ""), "contacts": {c.pk: mask_phone(c.phone) for c in contacts},
                "revealed": False}
    audit.record(actor=actor, action=AuditAction.NUMBERS_REVEAL, subject=elder, reason=str(reason),
                 changes={"fields": ["phone", *[f"contact:{c.pk}" for c in contacts]]})
    return {"elder": elder.phone or "", "contacts": {c.pk: c.phone for c in contacts}, "revealed": True}


# --- device messages --------------------------------------------------------------------------------

class DeviceAnswer:
    """What the device API answers: a status and a body."""

    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body


def _reject(device_pk: int | None, sent_id: str, reason: str, status: int, detail) -> DeviceAnswer:
    DeviceRejection.objects.create(device_id=device_pk, sent_device_id=(sent_id or "")[:64], reason=reason,
                                   status_code=status, detail=str(detail)[:300])
    return DeviceAnswer(status, {"detail": str(detail), "reason": reason})


def _decimal(value, low, high):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    number = Decimal(str(value))
    if not low <= number <= high:
        raise ValueError
    return number.quantize(Decimal("0.000001"))


def _parse_body(body: bytes, now: dt.datetime) -> tuple[dict | None, str, str]:
    """(the event, "", "") or (None, reject reason, message)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, RejectReason.BAD_BODY, _("消息不是有效的 JSON。")
    if not isinstance(data, dict):
        return None, RejectReason.BAD_BODY, _("消息应为 JSON 对象。")
    event_id = data.get("event_id")
    if not isinstance(event_id, (str, int)) or isinstance(event_id, bool) or not str(event_id).strip() \
            or len(str(event_id)) > 64:
        return None, RejectReason.BAD_BODY, _("缺少事件编号 event_id（1–64 个字符）。")
    code = engine.resolve_code(data.get("code"))
    if code is None:
        return None, RejectReason.UNKNOWN_CODE, _("未知的事件代码：%(code)s。") % {"code": str(data.get("code"))[:30]}
    at = data.get("at")
    moment = None
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        try:
            moment = dt.datetime.fromtimestamp(at, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            moment = None
    elif isinstance(at, str):
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError:
            moment = None
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    if moment is None:
        return None, RejectReason.BAD_BODY, _("发生时间 at 应为 Unix 秒或 ISO 8601 时间。")
    if moment > now + dt.timedelta(seconds=SIGNATURE_WINDOW):
        return None, RejectReason.FUTURE, _("发生时间在未来，请检查设备时钟。")
    try:
        lat = _decimal(data.get("lat"), -90, 90)
        lng = _decimal(data.get("lng"), -180, 180)
    except (ValueError, ArithmeticError):
        return None, RejectReason.BAD_BODY, _("经纬度 lat/lng 应为有效的数字。")
    battery = data.get("battery")
    if battery is not None and (isinstance(battery, bool) or not isinstance(battery, int) or not 0 <= battery <= 100):
        return None, RejectReason.BAD_BODY, _("电量 battery 应为 0–100 的整数。")
    return {"event_id": str(event_id).strip(), "code": code, "at": moment, "lat": lat, "lng": lng,
            "battery": battery}, "", ""


def _alarm_body(alarm: Alarm) -> dict:
    return {"id": alarm.pk, "code": alarm.code, "priority": alarm.priority, "emergency": alarm.is_emergency,
            "status": alarm.status, "raised_at": alarm.raised_at.isoformat()}


# The device's credentials as the ingest path needs them, kept per process for a short time: during an alarm
# storm each device sends several messages, and reading its row and decrypting its secret each time is most of
# the work. Nothing here is trusted blindly: a signature that does not match the cached secret is checked again
# against the stored one; the binding (device active, bound to this elder) is re-checked by the write itself
# (the health UPDATE matches no row when it changed), and the cache is then read again. Registering or unbinding
# a device in this process drops its entry at once; other processes see the change within DEVICE_CACHE_SECONDS.
DEVICE_CACHE_SECONDS = 30.0
DEVICE_CACHE_SIZE = 20000


@dataclass(frozen=True)
class DeviceKey:
    pk: int
    device_id: str
    secret: str
    elder_id: int | None
    active: bool
    elder_name: str
    region: object  # the elder's community (a Region), for the audit trail
    loaded_at: float

    @property
    def bound(self) -> bool:
        return self.active and self.elder_id is not None


_device_keys: dict[str, DeviceKey] = {}


def device_key_forget(device_id: str) -> None:
    _device_keys.pop(device_id, None)


def _device_key(device_id: str, *, fresh: bool = False) -> DeviceKey | None:
    clock = time.monotonic()
    key = None if fresh else _device_keys.get(device_id)
    if key is not None and clock - key.loaded_at < DEVICE_CACHE_SECONDS:
        return key
    device = (Device.objects.filter(device_id=device_id).order_by()
              .select_related("elder__community").only("pk", "device_id", "secret", "elder_id", "active",
                                                       "elder__name", "elder__community").first())
    if device is None:
        device_key_forget(device_id)
        return None
    elder = device.elder
    key = DeviceKey(pk=device.pk, device_id=device.device_id, secret=device.secret, elder_id=device.elder_id,
                    active=device.active, elder_name=elder.name if elder else "",
                    region=elder.community if elder else None, loaded_at=clock)
    if len(_device_keys) >= DEVICE_CACHE_SIZE:
        _device_keys.clear()
    _device_keys[device_id] = key
    return key


def device_event_receive(*, device_id: str | None, timestamp: str | None, signature: str | None, body: bytes,
                         now: float | None = None) -> DeviceAnswer:
    """One signed message from a device: 401 when it cannot be trusted, 403 when the device is bound to nobody,
    400 when it cannot be read, 200 with the first answer when the event was received before, 200 for a
    heartbeat (health only), 201 with the alarm it raised.

    A new alarm costs one short transaction of four statements (the device's health, the alarm, its audit event,
    the event) and, for a device seen in the last DEVICE_CACHE_SECONDS, no read at all. A repeat is folded by the
    unique (device, event id) constraint: its transaction is rolled back and the first answer read."""
    now = time.time() if now is None else now
    moment = dt.datetime.fromtimestamp(now, tz=dt.timezone.utc)
    sent_id = (device_id or "").strip()
    key = _device_key(sent_id) if sent_id and len(sent_id) <= 64 else None
    if key is None:
        return _reject(None, device_id or "", RejectReason.UNKNOWN_DEVICE, 401,
                       _("未登记的设备，或缺少 X-Device-Id。"))
    problem = engine.verify(secret=key.secret, timestamp=timestamp, body=body, signature=signature, now=now,
                            window=SIGNATURE_WINDOW)
    if problem == engine.SignatureProblem.MISMATCH:
        # The secret may have changed since it was cached: the stored one decides.
        key = _device_key(sent_id, fresh=True)
        if key is None:
            return _reject(None, device_id or "", RejectReason.UNKNOWN_DEVICE, 401,
                           _("未登记的设备，或缺少 X-Device-Id。"))
        problem = engine.verify(secret=key.secret, timestamp=timestamp, body=body, signature=signature, now=now,
                                window=SIGNATURE_WINDOW)
    if problem is not None:
        reason, message = {
            engine.SignatureProblem.EXPIRED: (RejectReason.EXPIRED, _("时间戳已超过 5 分钟，消息不予受理。")),
            engine.SignatureProblem.FUTURE: (RejectReason.FUTURE, _("时间戳在未来超过 5 分钟，请检查设备时钟。")),
        }.get(problem, (RejectReason.SIGNATURE, _("签名错误或缺少签名头（X-Timestamp、X-Signature）。")))
        return _reject(key.pk, device_id, reason, 401, message)
    event, reason, message = _parse_body(body, moment)
    for attempt in range(2):
        if not key.bound:
            if attempt == 0:
                key = _device_key(sent_id, fresh=True) or key
                if not key.bound:
                    return _reject(key.pk, device_id, RejectReason.UNBOUND, 403,
                                   _("该设备未绑定老人，消息不予受理。"))
            else:
                return _reject(key.pk, device_id, RejectReason.UNBOUND, 403, _("该设备未绑定老人，消息不予受理。"))
        if event is None:
            return _reject(key.pk, device_id, reason, 400, message)
        try:
            with transaction.atomic():
                answer = _store_event(key, event, moment)
        except IntegrityError:
            # The same event again (also at the same moment, from two workers): the first one's answer.
            first = (DeviceEvent.objects.filter(device_id=key.pk, event_id=event["event_id"]).order_by()
                     .values_list("response", flat=True).first())
            if first is None:
                raise
            return DeviceAnswer(200, first)
        if answer is not None:
            return answer
        # The device was unbound or bound to someone else since it was cached: read it again, once.
        key = _device_key(sent_id, fresh=True)
        if key is None:
            return _reject(None, device_id or "", RejectReason.UNKNOWN_DEVICE, 401,
                           _("未登记的设备，或缺少 X-Device-Id。"))
    return _reject(key.pk, device_id, RejectReason.UNBOUND, 403, _("该设备未绑定老人，消息不予受理。"))


def _store_event(key: DeviceKey, event: dict, moment: dt.datetime) -> DeviceAnswer | None:
    """Inside the caller's transaction. None when the device is no longer bound as the key says (nothing
    written); raises IntegrityError when the event was stored before."""
    code: engine.AlarmCode = event["code"]
    # Any message says the device is alive (the latest moment wins); the battery it reports is its health. The
    # same statement checks the binding and takes the device's row lock, so one device's messages queue here.
    health = {"last_heartbeat_at": Case(When(Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=moment),
                                             then=Value(moment)), default=F("last_heartbeat_at"))}
    if event["battery"] is not None:
        health["battery"] = event["battery"]
    if not Device.objects.filter(pk=key.pk, elder_id=key.elder_id, active=True).update(**health):
        return None
    alarm = None
    if code.heartbeat:
        battery = event["battery"]
        if battery is None:
            battery = Device.objects.filter(pk=key.pk).values_list("battery", flat=True).first()
        status, response = 200, {"event_id": event["event_id"], "heartbeat": True, "battery": battery}
    else:
        alarm = Alarm.objects.create(
            elder_id=key.elder_id, device_id=key.pk, source=AlarmSource.DEVICE, code=code.code,
            priority=code.priority, is_emergency=code.emergency,
            category=CallCategory.MEALS_EMERGENCY if code.emergency else CallCategory.OTHER,
            raised_at=moment, lat=event["lat"], lng=event["lng"], needs_arrival=False)
        from .labels import code_label

        audit.record(actor=None, action=AuditAction.ALARM_RAISE, subject=alarm, region=key.region,
                     subject_repr=(_("%(elder)s：%(code)s") % {"elder": key.elder_name,
                                                             "code": code_label(code.code)})[:200],
                     changes={"code": [None, code.code], "device": [None, key.device_id]})
        status, response = 201, {"event_id": event["event_id"], "alarm": _alarm_body(alarm)}
    DeviceEvent.objects.create(device_id=key.pk, event_id=event["event_id"], code=code.code, at=event["at"],
                               lat=event["lat"], lng=event["lng"], battery=event["battery"], alarm=alarm,
                               status_code=status, response=response)
    return DeviceAnswer(status, response)


# --- emergency cases ----------------------------------------------------------------------------------

def _locked_alarm(actor, alarm: Alarm, action: str, reason: str = "") -> Alarm:
    _require(actor, "hotline.operate")
    require_change(actor, alarm)
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    ALARM_FLOW.check(alarm, actor, action, reason=reason)
    return alarm


def alarm_acknowledge(*, actor, alarm: Alarm, now: dt.datetime | None = None) -> Alarm:
    now = now or timezone.now()
    with transaction.atomic():
        alarm = _locked_alarm(actor, alarm, "acknowledge")
        alarm.status, alarm.acknowledged_at, alarm.acknowledged_by = AlarmStatus.ACKNOWLEDGED, now, actor
        alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit.record(actor=actor, action=AuditAction.ALARM_ACKNOWLEDGE, subject=alarm,
                     changes={"status": [AlarmStatus.OPEN.value, alarm.status]})
    return alarm


def alarm_act(*, actor, alarm: Alarm, kind: str, note: str = "", now: dt.datetime | None = None) -> AlarmAction:
    """One thing the operator did (or learnt: someone arrived). Acting answers an alarm not yet answered."""
    now = now or timezone.now()
    if kind not in ActionKind.values:
        raise ValidationError({"kind": _("请选择处置方式。")})
    if kind == ActionKind.NOTE and not (note or "").strip():
        raise ValidationError({"note": _("备注须填写内容。")})
    with transaction.atomic():
        alarm = _locked_alarm(actor, alarm, "act")
        fields = []
        if alarm.status == AlarmStatus.OPEN:
            alarm.status, alarm.acknowledged_at, alarm.acknowledged_by = AlarmStatus.ACKNOWLEDGED, now, actor
            fields += ["status", "acknowledged_at", "acknowledged_by"]
        if kind not in (ActionKind.NOTE, ActionKind.ARRIVED) and alarm.first_action_at is None:
            alarm.first_action_at = now
            fields.append("first_action_at")
        if kind in SENDING and not alarm.needs_arrival:
            alarm.needs_arrival = True
            fields.append("needs_arrival")
        if kind == ActionKind.ARRIVED:
            if alarm.arrived_at is not None:
                raise ValidationError({"kind": _("已记录过到场时间。")})
            alarm.arrived_at = now
            fields.append("arrived_at")
        if fields:
            alarm.save(update_fields=fields)
        action = AlarmAction.objects.create(alarm=alarm, kind=kind, note=(note or "").strip()[:500], actor=actor,
                                            at=now)
        audit.record(actor=actor, action=AuditAction.ALARM_ACT, subject=alarm,
                     changes={"kind": [None, action.kind], "note": [None, action.note]})
    return action


def alarm_close(*, actor, alarm: Alarm, outcome: str, note: str = "", category: str = "",
                now: dt.datetime | None = None) -> Alarm:
    now = now or timezone.now()
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择处置结果。")
    if category and category not in CallCategory.values:
        errors["category"] = _("请选择类别。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        alarm = _locked_alarm(actor, alarm, "close")
        if alarm.first_action_at is None and outcome != Outcome.FALSE_ALARM:
            raise ValidationError({"outcome": _("尚未记录任何处置，只能以“误报”结案。")})
        alarm.status, alarm.outcome, alarm.closing_note = AlarmStatus.CLOSED, outcome, (note or "").strip()[:500]
        alarm.closed_at, alarm.closed_by = now, actor
        if category:
            alarm.category = category
        alarm.save(update_fields=["status", "outcome", "closing_note", "closed_at", "closed_by", "category"])
        audit.record(actor=actor, action=AuditAction.ALARM_CLOSE, subject=alarm,
                     changes={"status": [AlarmStatus.ACKNOWLEDGED.value, alarm.status],
                              "outcome": [None, alarm.outcome]})
    return alarm


def alarm_callback(*, actor, alarm: Alarm, note: str, now: dt.datetime | None = None) -> Alarm:
    now = now or timezone.now()
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写回访情况。")})
    with transaction.atomic():
        alarm = _locked_alarm(actor, alarm, "callback")
        alarm.callback_at, alarm.callback_note = now, note.strip()[:500]
        alarm.save(update_fields=["callback_at", "callback_note"])
        audit.record(actor=actor, action=AuditAction.ALARM_CALLBACK, subject=alarm,
                     changes={"callback_note": [None, alarm.callback_note]})
    return alarm


def alarms_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate each alarm nobody has answered within the target, once per target period that passed."""
    now = now or timezone.now()
    escalated = 0
    for alarm in Alarm.objects.filter(status=AlarmStatus.OPEN).select_related("elder__community"):
        target = policy_value("hotline.target.answer_seconds", region=alarm.elder.community, on=timezone.localdate(now))
        level = int((now - alarm.raised_at).total_seconds() // max(1, target))
        if level <= alarm.escalation_level:
            continue
        with transaction.atomic():
            locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
            if locked.status != AlarmStatus.OPEN or level <= locked.escalation_level:
                continue
            old = locked.escalation_level
            locked.escalation_level, locked.escalated_at = level, now
            locked.save(update_fields=["escalation_level", "escalated_at"])
            audit.record(actor=None, action=AuditAction.ALARM_ESCALATE, subject=locked,
                         changes={"escalation_level": [old, level]})
            escalated += 1
    return escalated


# --- calls ---------------------------------------------------------------------------------------------

def elder_by_number(number: str) -> Elder | None:
    """The elder whose own phone is this number (by its keyed hash); None when none or several."""
    number = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
    if not number:
        return None
    digest = lookup_hash(number)
    own = list(Elder.objects.filter(phone_hash=digest, status=ElderStatus.ACTIVE)[:2])
    return own[0] if len(own) == 1 else None


def call_record(*, actor, direction: str, number: str = "", elder: Elder | None = None, category: str = "",
                is_emergency: bool = False, summary: str = "", call_ref: str | None = None, answered: bool = True,
                started_at: dt.datetime | None = None) -> Call:
    """A call in or out. An emergency call about an elder opens an emergency case. The telephony system
    reporting the same call id again gets the call it reported first."""
    _require(actor, "hotline.operate")
    errors = {}
    if direction not in CallDirection.values:
        errors["direction"] = _("请选择呼入或呼出。")
    if category and category not in CallCategory.values:
        errors["category"] = _("请选择类别。")
    number = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")[:20]
    if errors:
        raise ValidationError(errors)
    if elder is not None:
        _require_visible(actor, elder)
    call_ref = (call_ref or "").strip()[:64] or None
    if call_ref:
        existing = Call.objects.filter(call_ref=call_ref).first()
        if existing is not None:
            _require_visible(actor, existing)
            return existing
    if elder is None and number and direction == CallDirection.IN:
        elder = elder_by_number(number)
        if elder is not None and not is_visible(actor, elder):
            elder = None
    region = elder.community if elder is not None else actor.scope_region
    if region is None:
        raise PermissionDenied(_("您的账号没有管辖区域，不能记录通话。"))
    started_at = started_at or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                call = Call.objects.create(direction=direction, call_ref=call_ref, number=number, agent=actor,
                                           elder=elder, region=region, category=category,
                                           is_emergency=is_emergency, started_at=started_at, answered=answered,
                                           summary=(summary or "").strip()[:500])
        except IntegrityError:
            return Call.objects.get(call_ref=call_ref)
        if is_emergency and elder is not None:
            call.alarm = _open_case_for_call(actor=actor, call=call, category=category, at=started_at)
            call.save(update_fields=["alarm"])
        audit.record(actor=actor, action=AuditAction.CALL_RECORD, subject=call,
                     changes={"direction": [None, call.direction], "category": [None, call.category]})
    return call


def _open_case_for_call(*, actor, call: Call, category: str, at: dt.datetime) -> Alarm:
    alarm = Alarm.objects.create(elder=call.elder, source=AlarmSource.CALL, code="call", priority=1,
                                 is_emergency=True, category=category or CallCategory.MEALS_EMERGENCY,
                                 raised_at=at, status=AlarmStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(),
                                 acknowledged_by=actor)
    audit.record(actor=actor, action=AuditAction.ALARM_RAISE, subject=alarm, changes={"code": [None, "call"]})
    return alarm


def call_classify(*, actor, call: Call, category: str, is_emergency: bool, summary: str = "") -> Call:
    """The operator classifies a call the telephony system reported; an emergency about an elder opens a case."""
    _require(actor, "hotline.operate")
    require_change(actor, call)
    if category not in CallCategory.values:
        raise ValidationError({"category": _("请选择类别。")})
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("elder__community").get(pk=call.pk)
        old = call.category
        call.category, call.is_emergency = category, is_emergency or call.is_emergency
        call.summary = (summary or "").strip()[:500] or call.summary
        if call.is_emergency and call.elder_id and call.alarm_id is None:
            call.alarm = _open_case_for_call(actor=actor, call=call, category=category, at=call.started_at)
        call.save(update_fields=["category", "is_emergency", "summary", "alarm"])
        audit.record(actor=actor, action=AuditAction.CALL_CLASSIFY, subject=call,
                     changes={"category": [old, call.category]})
    return call


# --- proactive care calls -------------------------------------------------------------------------------

def care_calls_generate(*, actor, date: dt.date) -> int:
    """Today's care-call list for the actor's scope: every active elder whose tier's frequency makes a call due
    (counted from their last answered care call). A second run adds nothing twice."""
    from carecircle.core.isolation import visible_to
    from django.db.models import Max

    _require(actor, "hotline.operate")
    elders = (visible_to(actor, Elder).filter(status=ElderStatus.ACTIVE)
              .annotate(last_answered=Max("hotline_care_calls__answered_at")).select_related("community"))
    existing = set(CareCall.objects.filter(due_on=date).values_list("elder_id", flat=True))
    open_calls = set(CareCall.objects.filter(status__in=[CareCallStatus.DUE, CareCallStatus.RETRY])
                     .values_list("elder_id", flat=True))
    per_week_cache: dict[int, dict] = {}
    old_ages: dict[int, int] = {}
    created = []
    for elder in elders.iterator(chunk_size=500):
        if elder.pk in existing or elder.pk in open_calls:
            continue
        table = per_week_cache.get(elder.community_id)
        if table is None:
            table = per_week_cache[elder.community_id] = policy_value("hotline.care_call.per_week_by_tier",
                                                                      region=elder.community, on=date)
        tier = engine.risk_tier(care_facts(elder, date), old_age=old_ages.setdefault(
            elder.community_id, old_age(elder, date)))
        last = timezone.localtime(elder.last_answered).date() if elder.last_answered else None
        if engine.care_call_due(per_week=int(table.get(tier, 0)), last_call=last, today=date):
            created.append(CareCall(elder=elder, due_on=date, tier=tier))
    with transaction.atomic():
        CareCall.objects.bulk_create(created, ignore_conflicts=True)
        audit.record(actor=actor, action=AuditAction.CARE_CALLS_GENERATE, subject=None,
                     subject_type="hotline.carecall", subject_id=date.isoformat(),
                     subject_repr=_("%(date)s 的关爱电话") % {"date": date.isoformat()},
                     changes={"created": [None, len(created)]})
    return len(created)


def care_call_attempt(*, actor, care_call: CareCall, answered: bool, note: str = "",
                      now: dt.datetime | None = None) -> CareCall:
    """One attempt at a care call. No answer `hotline.care_call.max_attempts` times → a welfare visit by the
    community worker within `welfare_visit.after_event_hours`."""
    now = now or timezone.now()
    _require(actor, "hotline.operate")
    require_change(actor, care_call)
    with transaction.atomic():
        call = CareCall.objects.select_for_update(of=("self",)).select_related("elder__community").get(pk=care_call.pk)
        if call.status not in (CareCallStatus.DUE, CareCallStatus.RETRY):
            from carecircle.core.workflow import IllegalStep

            raise IllegalStep(_("这通关爱电话已是“%(state)s”，不能再记录拨打。") % {"state": call.get_status_display()})
        old = call.status
        call.attempts += 1
        call.last_attempt_at = now
        call.note = (note or "").strip()[:500] or call.note
        region = call.elder.community
        if answered:
            call.status, call.answered_at = CareCallStatus.ANSWERED, now
        elif call.attempts >= policy_value("hotline.care_call.max_attempts", region=region, on=timezone.localdate(now)):
            call.status = CareCallStatus.UNREACHED
        else:
            call.status = CareCallStatus.RETRY
        call.save()
        Call.objects.create(direction=CallDirection.OUT, number=call.elder.phone or "", agent=actor, elder=call.elder,
                            region=region, category=CallCategory.COMFORT, started_at=now, answered=answered,
                            summary=call.note)
        audit.record(actor=actor, action=AuditAction.CARE_CALL_ATTEMPT, subject=call,
                     changes={"status": [old, call.status], "attempts": [call.attempts - 1, call.attempts]})
        if call.status == CareCallStatus.UNREACHED:
            welfare_task_raise(elder=call.elder, source=TaskSource.UNANSWERED,
                               reason=_("关爱电话连续 %(n)d 次未接通") % {"n": call.attempts}, now=now, actor=actor)
    return call


# --- welfare visits ---------------------------------------------------------------------------------------

def welfare_task_raise(*, elder: Elder, source: str, reason: str, now: dt.datetime, actor=None) -> WelfareTask:
    """The elder's open welfare-visit task (one at a time): a new one due within the policy's hours, or the
    one already open (whose reason is extended)."""
    hours = policy_value("welfare_visit.after_event_hours", region=elder.community, on=timezone.localdate(now))
    with transaction.atomic():
        task = WelfareTask.objects.select_for_update().filter(elder=elder, done_at__isnull=True).first()
        if task is not None:
            if reason not in task.reason:
                task.reason = (task.reason + "；" + reason)[:300]
                task.save(update_fields=["reason"])
            return task
        try:
            with transaction.atomic():
                task = WelfareTask.objects.create(elder=elder, source=source, reason=reason[:300], created_at=now,
                                                  due_at=now + dt.timedelta(hours=hours))
        except IntegrityError:
            return WelfareTask.objects.get(elder=elder, done_at__isnull=True)
        audit.record(actor=actor, action=AuditAction.TASK_RAISE, subject=task,
                     changes={"reason": [None, task.reason]})
    return task


def welfare_visit_record(*, actor, elder: Elder, seen_in_person: bool, health: str, home_safe: bool,
                         needs: str = "", follow_up: str = "none", visited_at: dt.datetime | None = None) -> WelfareVisit:
    from .models import FollowUp, Health

    _require(actor, "hotline.visit")
    require_change(actor, elder)
    visited_at = visited_at or timezone.now()
    errors = {}
    if health not in Health.values:
        errors["health"] = _("请选择健康状况。")
    if follow_up not in FollowUp.values:
        errors["follow_up"] = _("请选择后续安排。")
    if follow_up != FollowUp.NONE and not (needs or "").strip():
        errors["needs"] = _("有后续安排时请写明发现的需求。")
    if visited_at > timezone.now() + dt.timedelta(minutes=5):
        errors["visited_at"] = _("探访时间不能在未来。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        task = WelfareTask.objects.select_for_update().filter(elder=elder, done_at__isnull=True).first()
        visit = WelfareVisit.objects.create(elder=elder, visited_at=visited_at, visitor=actor,
                                            seen_in_person=seen_in_person, health=health, home_safe=home_safe,
                                            needs=(needs or "").strip()[:500], follow_up=follow_up, task=task)
        if task is not None and seen_in_person:
            task.done_at = visited_at
            task.save(update_fields=["done_at"])
        audit.record(actor=actor, action=AuditAction.VISIT_RECORD, subject=visit,
                     changes={"seen_in_person": [None, seen_in_person], "health": [None, visit.health],
                              "follow_up": [None, visit.follow_up]})
        if follow_up == FollowUp.HOTLINE:
            alarm = Alarm.objects.create(elder=elder, source=AlarmSource.CALL, code="call", priority=1,
                                         is_emergency=True, raised_at=visited_at)
            audit.record(actor=actor, action=AuditAction.ALARM_RAISE, subject=alarm,
                         changes={"code": [None, "call"]}, reason=visit.needs)
    return visit


def silence_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise a welfare-visit task for every silent elder who has none open (the beat runs this hourly)."""
    from .selectors import silent_elders_all

    now = now or timezone.now()
    raised = 0
    for elder, reasons in silent_elders_all(now=now):
        if WelfareTask.objects.filter(elder=elder, done_at__isnull=True).exists():
            continue
        from .labels import SILENCE_LABELS

        welfare_task_raise(elder=elder, source=TaskSource.SILENT,
                           reason="、".join(str(SILENCE_LABELS[r]) for r in reasons), now=now)
        raised += 1
    return raised
