"""The demo district's hotline: call devices in the homes of elders aged 80+ living alone (some with smoke
detectors and fall radars), their heartbeats (two have gone quiet), two months of calls in the proportions of
Wuhan's published breakdown, closed emergency cases with their actions and call backs, welfare visits of this
month and the last (each street at its own rate), and today's care-call list with two elders unreachable.

A few devices and their secrets are written to `var/demo_devices.json` (`{"device_id", "secret", "elder"}`),
as the demo logins are, so a signed SOS can be sent from the command line."""
from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.core.roles import Role
from carecircle.core.sensitive import lookup_hash
from carecircle.elders.models import Elder, ElderStatus, HouseholdType
from carecircle.hotline import selectors as hotline_selectors
from carecircle.hotline import services as hotline_services
from carecircle.hotline.models import (Alarm, AlarmAction, AlarmStatus, Call, CallCategory, CareCall, Device,
                                       WelfareVisit)

# Wuhan 2016: meals/emergency 13.4 %, housekeeping 37.6 %, rehabilitation/nursing 3.9 %, comfort 36.2 %, other 8.9 %.
CATEGORY_WEIGHTS = ((CallCategory.MEALS_EMERGENCY, 13.4), (CallCategory.HOUSEKEEPING, 37.6),
                    (CallCategory.NURSING, 3.9), (CallCategory.COMFORT, 36.2), (CallCategory.OTHER, 8.9))
VENDORS = ("安康通", "颐家", "银康智能")
DEVICES_FILE_COUNT = 5
QUIET_DEVICES = 2


def _now(as_of: dt.date) -> dt.datetime:
    if as_of >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(as_of, dt.time(18, 0)))


def demo_hotline_seed(*, rng: random.Random, as_of: dt.date, devices_file: Path | None = None) -> dict[str, int]:
    now = _now(as_of)
    operator = User.objects.filter(role=Role.OPERATOR, is_active=True).order_by("pk").first()
    born_by = as_of.replace(year=as_of.year - 80) if not (as_of.month == 2 and as_of.day == 29) \
        else as_of.replace(year=as_of.year - 80, day=28)
    alone_old = list(Elder.objects.filter(status=ElderStatus.ACTIVE, household_type=HouseholdType.ALONE,
                                          birth_date__lte=born_by).select_related("community").order_by("pk"))
    devices, shown = _devices(rng, alone_old, as_of, now, born_by)
    calls = _calls(rng, alone_old, operator, now)
    alarms = _cases(rng, devices, operator, now)
    visits = _visits(rng, as_of, now)
    care_calls = 0
    if operator is not None:
        care_calls = hotline_services.care_calls_generate(actor=operator, date=as_of)
        # Two elders do not answer today: the first ones of a community that has a community worker, whose
        # welfare-visit list then has them (no answer → a visit within the policy's hours).
        served = set(User.objects.filter(role=Role.COMMUNITY_WORKER, is_active=True)
                     .values_list("scope_region_id", flat=True))
        todays = sorted(CareCall.objects.filter(due_on=as_of).select_related("elder").order_by("pk"),
                        key=lambda c: c.elder.community_id not in served)
        for call in todays[:2]:
            for _attempt in range(3):
                call = hotline_services.care_call_attempt(actor=operator, care_call=call, answered=False, now=now)
    path = devices_file or Path(settings.VAR_DIR) / "demo_devices.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(shown, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"devices": len(devices), "calls": calls, "alarms": alarms, "welfare_visits": visits,
            "care_calls": care_calls}


def _devices(rng, elders, as_of, now, born_by):
    rows, shown = [], []
    funding_cache: dict[tuple, tuple] = {}
    for index, elder in enumerate(elders):
        key = (elder.community_id, elder.economic_category, elder.has_disability_certificate,
               elder.birth_date <= born_by)
        if key not in funding_cache:
            funding_cache[key] = hotline_services.device_funding(elder, as_of)
        funding, share = funding_cache[key]
        kinds = ["call_terminal"] + (["smoke"] if index % 3 == 0 else []) + (["fall_radar"] if index % 5 == 0 else [])
        for kind in kinds:
            secret = secrets.token_urlsafe(32)
            quiet = index < QUIET_DEVICES and kind == "call_terminal"
            beat = now - (dt.timedelta(hours=40 + index) if quiet else dt.timedelta(minutes=rng.randint(1, 50)))
            device = Device(device_id=f"DEMO-{elder.pk:06d}-{kind.upper().replace('_', '')}", elder=elder, kind=kind,
                            vendor=rng.choice(VENDORS), number=f"{rng.randint(10**9, 10**10 - 1)}",
                            installed_on=as_of - dt.timedelta(days=rng.randint(30, 700)),
                            location={"call_terminal": "客厅", "smoke": "厨房", "fall_radar": "卫生间"}[kind],
                            funding=funding, subsidy_share=share, secret=secret, last_heartbeat_at=beat,
                            battery=rng.randint(15, 100))
            rows.append(device)
            if kind == "call_terminal" and index >= QUIET_DEVICES and len(shown) < DEVICES_FILE_COUNT:
                shown.append({"device_id": device.device_id, "secret": secret, "elder": elder.name})
    Device.objects.bulk_create(rows, batch_size=500)
    return list(Device.objects.filter(kind="call_terminal").select_related("elder__community")), shown


def _calls(rng, elders, operator, now) -> int:
    if not elders:
        return 0
    categories = [c for c, _w in CATEGORY_WEIGHTS]
    weights = [w for _c, w in CATEGORY_WEIGHTS]
    rows = []
    for _i in range(min(400, 4 * len(elders))):
        elder = rng.choice(elders)
        category = rng.choices(categories, weights)[0]
        rows.append(Call(direction="in", number=elder.phone or "", agent=operator, elder=elder,
                         region=elder.community, category=category, started_at=now - dt.timedelta(
                             days=rng.randint(1, 60), minutes=rng.randint(0, 600)),
                         answered=True, summary=""))
    for row in rows:  # the keyed hash of the number, as Call.save does
        row.number_hash = lookup_hash(row.number) if row.number else ""
    Call.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _cases(rng, devices, operator, now) -> int:
    count = 0
    if operator is None:
        return 0
    for device in rng.sample(devices, min(15, len(devices))):
        raised = now - dt.timedelta(days=rng.randint(2, 60), hours=rng.randint(0, 12))
        code = rng.choice(("sos", "sos", "fall", "low_battery", "sos"))
        acknowledged = raised + dt.timedelta(seconds=rng.randint(8, 60))
        first = acknowledged + dt.timedelta(seconds=rng.randint(20, 150))
        serious = code in ("sos", "fall") and rng.random() < 0.5
        alarm = Alarm.objects.create(
            elder=device.elder, device=device, source="device", code=code, priority=1 if code != "low_battery" else 3,
            is_emergency=code != "low_battery",
            category=CallCategory.MEALS_EMERGENCY if code != "low_battery" else CallCategory.OTHER,
            status=AlarmStatus.CLOSED, raised_at=raised, acknowledged_at=acknowledged, acknowledged_by=operator,
            first_action_at=first, needs_arrival=serious,
            arrived_at=first + dt.timedelta(minutes=rng.randint(8, 35)) if serious else None,
            outcome="hospital" if serious else ("device_fault" if code == "low_battery" else "resolved_remotely"),
            closed_at=first + dt.timedelta(minutes=rng.randint(20, 90)), closed_by=operator,
            callback_at=first + dt.timedelta(days=1), callback_note="情况稳定")
        kinds = ["call_elder", "called_120", "call_contact", "arrived"] if serious else ["call_elder", "advice"]
        for offset, kind in enumerate(kinds):
            at = alarm.arrived_at if kind == "arrived" else first + dt.timedelta(seconds=30 * offset)
            AlarmAction.objects.create(alarm=alarm, kind=kind, actor=operator, at=at)
        count += 1
    return count


def _visits(rng, as_of, now) -> int:
    """This month's and last month's welfare visits to elders in special difficulty, each street at its own rate
    (between 70 % and 100 %); elders living alone are visited weekly, so most were seen in the last six days."""
    visitors = {u.scope_region_id: u for u in User.objects.filter(role__in=[Role.COMMUNITY_WORKER, Role.STREET_STAFF])
                .exclude(scope_region=None)}
    fallback = User.objects.filter(role=Role.DISTRICT_ADMIN).order_by("pk").first()
    if fallback is None:
        return 0
    eligible = (Elder.objects.filter(status=ElderStatus.ACTIVE)
                .filter(hotline_selectors.special_difficulty_condition(as_of, 80)).select_related("community")
                .order_by("pk"))
    month_start = as_of.replace(day=1)
    days_in = max(1, (as_of - month_start).days + 1)
    street_rates: dict[int, float] = {}
    rows = []
    for elder in eligible.iterator(chunk_size=1000):
        street = elder.community.parent_id
        rate = street_rates.setdefault(street, rng.choice((0.7, 0.8, 0.9, 1.0)))
        visitor = visitors.get(elder.community_id) or visitors.get(street) or fallback
        if rng.random() < rate:
            if elder.household_type == HouseholdType.ALONE and rng.random() < 0.85:
                back = rng.randint(0, min(5, days_in - 1))
            else:
                back = rng.randint(0, days_in - 1)
            at = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=back), dt.time(rng.randint(9, 16))))
            rows.append(WelfareVisit(elder=elder, visited_at=min(at, now), visitor=visitor, seen_in_person=True,
                                     health=rng.choice(("good", "good", "fair", "poor")), home_safe=rng.random() > 0.1))
        if rng.random() < 0.9:
            day = month_start - dt.timedelta(days=rng.randint(1, 28))
            rows.append(WelfareVisit(elder=elder, visited_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                                     visitor=visitor, seen_in_person=True, health="good", home_safe=True))
    WelfareVisit.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
