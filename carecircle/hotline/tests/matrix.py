"""Rows for the access matrix: devices, alarms (with actions and device events), calls, care calls, welfare
tasks and visits about elders in street A, street B and the neighbouring district."""
import datetime as dt

from django.utils import timezone


def _policy(world):
    from carecircle.conftest import seed_policy
    from carecircle.core.models import PolicyParameter

    from .conftest import POLICY_KEYS

    missing = [key for key in POLICY_KEYS if not PolicyParameter.objects.filter(key=key).exists()]
    if missing:
        seed_policy(*missing)


def _elders(world):
    return (*world.district_elders, world.outside.elder)


def make_devices(world):
    from ..models import Device

    _policy(world)
    for i, elder in enumerate(_elders(world)):
        if not Device.objects.filter(elder=elder).exists():
            Device.objects.create(device_id=f"MATRIX-{elder.pk}", elder=elder, kind="call_terminal", vendor="V",
                                  installed_on=dt.date(2026, 1, 1), funding="self", subsidy_share=0,
                                  secret=f"matrix-secret-{i}")


def make_alarms(world):
    from ..models import Alarm, AlarmAction

    make_devices(world)
    for elder in _elders(world):
        alarm = Alarm.objects.create(elder=elder, device=elder.hotline_devices.first(), source="device", code="sos",
                                     priority=1, raised_at=timezone.now())
        AlarmAction.objects.create(alarm=alarm, kind="call_elder", at=timezone.now())


def make_events(world):
    from ..models import Alarm, DeviceEvent, DeviceRejection

    make_alarms(world)
    for alarm in Alarm.objects.all():
        DeviceEvent.objects.get_or_create(device=alarm.device, event_id=f"m-{alarm.pk}", defaults=dict(
            code="sos", at=alarm.raised_at, alarm=alarm, status_code=201, response={}))
        DeviceRejection.objects.create(device=alarm.device, sent_device_id=alarm.device.device_id,
                                       reason="signature", status_code=401)


def make_calls(world):
    from ..models import Call

    _policy(world)
    for elder in _elders(world):
        Call.objects.create(direction="in", elder=elder, region=elder.community, started_at=timezone.now(),
                            number="13800138000")


def make_care_calls(world):
    from ..models import CareCall

    _policy(world)
    for elder in _elders(world):
        CareCall.objects.get_or_create(elder=elder, due_on=timezone.localdate(), defaults={"tier": "high_risk"})


def make_tasks(world):
    from ..models import WelfareTask

    _policy(world)
    for elder in _elders(world):
        if not WelfareTask.objects.filter(elder=elder, done_at__isnull=True).exists():
            WelfareTask.objects.create(elder=elder, source="silent", reason="matrix", created_at=timezone.now(),
                                       due_at=timezone.now() + dt.timedelta(hours=24))


def make_visits(world):
    from ..models import WelfareVisit

    _policy(world)
    for elder in _elders(world):
        WelfareVisit.objects.create(elder=elder, visited_at=timezone.now(), visitor=world.superuser,
                                    seen_in_person=True, health="good", home_safe=True)


MAKERS = {
    "hotline.device": make_devices,
    "hotline.alarm": make_alarms,
    "hotline.alarmaction": make_alarms,
    "hotline.deviceevent": make_events,
    "hotline.devicerejection": make_events,
    "hotline.call": make_calls,
    "hotline.carecall": make_care_calls,
    "hotline.welfaretask": make_tasks,
    "hotline.welfarevisit": make_visits,
}

URL_OBJECTS = {
    "hotline:alarm-step": {"pk": "hotline.alarm"},
    "hotline:call-classify": {"pk": "hotline.call"},
    "hotline:device-unbind": {"pk": "hotline.device"},
    "hotline:device-new": {"elder_pk": "elders.elder"},
    "hotline:visit": {"elder_pk": "elders.elder"},
    "hotline:care-call-attempt": {"pk": "hotline.carecall"},
}


def _call_body(world, user):
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder

    elder = visible_to(user, Elder).order_by("pk").first()
    return {"elder": elder.pk if elder else None, "direction": "in", "call_ref": "", "number": "",
            "call_category": "comfort", "summary": "matrix"}


WRITE_BODIES = {"hotline-call-list": _call_body}
