"""POST /api/v1/device-events/: signed per device, replay-safe, heartbeats update health only."""
import time

import pytest
from django.db import connection

from carecircle.core.models import AuditEvent

from ..models import Alarm, Device, DeviceEvent, DeviceRejection, RejectReason
from .conftest import event, signed

pytestmark = pytest.mark.django_db


def test_a_signed_sos_raises_an_alarm(hotline, client):
    response = signed(client, "DEV-A1", hotline.secret, event(lat=31.2051, lng=121.4452, battery=80))
    assert response.status_code == 201, response.content
    body = response.json()
    alarm = Alarm.objects.get()
    assert body["alarm"]["id"] == alarm.pk and body["alarm"]["code"] == "sos" and body["alarm"]["priority"] == 1
    assert alarm.elder == hotline.elders.a1 and alarm.device == hotline.device and alarm.status == "open"
    assert str(alarm.lat) == "31.205100"
    device = Device.objects.get()
    assert device.battery == 80 and device.last_heartbeat_at is not None
    assert AuditEvent.objects.filter(action="hotline.alarm_raise", subject_id=str(alarm.pk)).exists()


def test_the_same_event_again_answers_the_first_answer_and_adds_nothing(hotline, client):
    first = signed(client, "DEV-A1", hotline.secret, event("e-7"))
    # a retry signs again with a new timestamp: still the same event
    again = signed(client, "DEV-A1", hotline.secret, event("e-7", code="fall"), ts=int(time.time()) + 1)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert Alarm.objects.count() == 1 and DeviceEvent.objects.count() == 1


def test_the_same_event_id_on_another_device_is_another_event(hotline, client, users):
    from .. import services

    other, secret = services.device_register(actor=users.operator, elder=hotline.elders.a2, kind="pendant",
                                             vendor="X", installed_on=hotline.device.installed_on)
    assert signed(client, "DEV-A1", hotline.secret, event("same")).status_code == 201
    assert signed(client, other.device_id, secret, event("same")).status_code == 201
    assert Alarm.objects.count() == 2


def test_a_heartbeat_updates_health_only(hotline, client):
    response = signed(client, "DEV-A1", hotline.secret, event("hb-1", code="heartbeat", battery=15))
    assert response.status_code == 200, response.content
    assert response.json()["heartbeat"] is True
    assert not Alarm.objects.exists()
    device = Device.objects.get()
    assert device.battery == 15 and device.last_heartbeat_at is not None
    assert DeviceEvent.objects.get().alarm is None


def test_vendor_codes_are_understood(hotline, client):
    assert signed(client, "DEV-A1", hotline.secret, event("v1", code="06")).json()["alarm"]["code"] == "fall"
    assert signed(client, "DEV-A1", hotline.secret, event("v2", code="3001")).json()["alarm"]["code"] == "left_bed"


@pytest.mark.parametrize("how", ["wrong", "other_secret", "old", "future", "no_signature", "no_timestamp",
                                 "no_device", "unknown_device", "bad_timestamp"])
def test_untrusted_messages_are_refused_with_401_and_recorded(hotline, client, how):
    now = int(time.time())
    kwargs = {"wrong": {"signature": "0" * 64}, "other_secret": {"signature": None},
              "old": {"ts": now - 310}, "future": {"ts": now + 310},
              "no_signature": {"HTTP_X_SIGNATURE": ""}, "no_timestamp": {"HTTP_X_TIMESTAMP": ""},
              "no_device": {"HTTP_X_DEVICE_ID": ""}, "unknown_device": {"HTTP_X_DEVICE_ID": "NOPE"},
              "bad_timestamp": {"HTTP_X_TIMESTAMP": "soon"}}[how]
    secret = "not-the-secret" if how == "other_secret" else hotline.secret
    kwargs.pop("signature", None) if how == "other_secret" else None
    response = signed(client, "DEV-A1", secret, event(), **kwargs)
    assert response.status_code == 401, response.content
    assert response.json()["detail"]
    assert not Alarm.objects.exists() and not DeviceEvent.objects.exists()
    rejection = DeviceRejection.objects.get()
    assert rejection.status_code == 401
    expected = {"old": RejectReason.EXPIRED, "future": RejectReason.FUTURE, "no_device": RejectReason.UNKNOWN_DEVICE,
                "unknown_device": RejectReason.UNKNOWN_DEVICE}.get(how, RejectReason.SIGNATURE)
    assert rejection.reason == expected
    assert (rejection.device is None) == (how in ("no_device", "unknown_device"))


def test_a_window_edge_is_still_accepted(hotline, client):
    assert signed(client, "DEV-A1", hotline.secret, event(), ts=int(time.time()) - 290).status_code == 201


def test_a_replay_after_five_minutes_is_refused_even_with_its_own_signature(hotline, client):
    ts = int(time.time()) - 400
    response = signed(client, "DEV-A1", hotline.secret, event("captured"), ts=ts)
    assert response.status_code == 401
    assert not DeviceEvent.objects.exists()


@pytest.mark.parametrize("body, reason", [
    (b"not json", RejectReason.BAD_BODY),
    (b"[1, 2]", RejectReason.BAD_BODY),
    ({"code": "sos", "at": 1}, RejectReason.BAD_BODY),
    ({"event_id": "x", "code": "teleport", "at": 1}, RejectReason.UNKNOWN_CODE),
    ({"event_id": "x", "code": "sos", "at": "yesterday"}, RejectReason.BAD_BODY),
    ({"event_id": "x", "code": "sos", "at": 1, "battery": 180}, RejectReason.BAD_BODY),
    ({"event_id": "x", "code": "sos", "at": 1, "lat": "north"}, RejectReason.BAD_BODY),
    ({"event_id": "x", "code": "sos", "at": 4102444800}, RejectReason.FUTURE),
])
def test_unreadable_bodies_are_400_and_recorded(hotline, client, body, reason):
    response = signed(client, "DEV-A1", hotline.secret, body)
    assert response.status_code == 400, response.content
    assert DeviceRejection.objects.get().reason == reason
    assert not Alarm.objects.exists() and not DeviceEvent.objects.exists()


def test_the_refusal_speaks_the_readers_language(hotline, client):
    chinese = signed(client, "DEV-A1", hotline.secret, b"{").json()["detail"]
    english = signed(client, "DEV-A1", hotline.secret, b"{", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert chinese == "消息不是有效的 JSON。"
    assert english == "The message is not valid JSON."


def test_an_unbound_device_is_refused(hotline, client, users):
    from .. import services

    services.device_unbind(actor=users.operator, device=hotline.device, reason="老人搬走")
    response = signed(client, "DEV-A1", hotline.secret, event())
    assert response.status_code == 403
    assert DeviceRejection.objects.get().reason == RejectReason.UNBOUND


def test_the_secret_is_stored_encrypted(hotline):
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM hotline_device WHERE id = %s", [hotline.device.pk])
        stored = cursor.fetchone()[0]
    assert hotline.secret not in stored and stored.startswith("gAAAA")
    assert Device.objects.get().secret == hotline.secret
    # never written to the trail
    for event_ in AuditEvent.objects.filter(action="hotline.device_register"):
        assert hotline.secret not in str(event_.changes)


def test_no_signed_in_session_is_needed_nor_accepted_instead(hotline, client, users):
    client.force_login(users.district_admin)
    response = client.post("/api/v1/device-events/", event(), content_type="application/json")
    assert response.status_code == 401


def test_a_device_changed_by_another_process_is_not_trusted_from_the_cache(hotline, client, users, monkeypatch):
    """The ingest path keeps a device's credentials for a short time. A binding changed by another process is
    found out at once by the stored row (the health update matches nothing); a new secret is read when the
    cached one does not match, and the old one stops working when the cache period is over."""
    from .. import services

    assert signed(client, "DEV-A1", hotline.secret, event("c-1")).status_code == 201  # now cached
    device = Device.objects.get(pk=hotline.device.pk)
    device.secret = "rotated-secret"
    device.save(update_fields=["secret"])
    # the new secret works at once (the stored one decides when the cached one does not match)
    assert signed(client, "DEV-A1", "rotated-secret", event("c-2")).status_code == 201
    assert signed(client, "DEV-A1", hotline.secret, event("c-3")).status_code == 401
    device.secret = "second-secret"
    device.save(update_fields=["secret"])
    monkeypatch.setattr(services, "DEVICE_CACHE_SECONDS", 0.0)  # the cache period is over
    assert signed(client, "DEV-A1", "rotated-secret", event("c-3b")).status_code == 401
    monkeypatch.undo()
    # another process binds it to another elder: the alarm is the new elder's
    Device.objects.filter(pk=device.pk).update(elder=hotline.elders.a2)
    assert signed(client, "DEV-A1", "second-secret", event("c-4")).status_code == 201
    assert Alarm.objects.get(events__event_id="c-4").elder == hotline.elders.a2
    # another process unbinds it: refused at once, nothing stored
    Device.objects.filter(pk=device.pk).update(elder=None, active=False)
    assert signed(client, "DEV-A1", "second-secret", event("c-5")).status_code == 403
    assert not DeviceEvent.objects.filter(event_id__in=["c-3", "c-3b", "c-5"]).exists()
    assert services.DEVICE_CACHE_SECONDS <= 60


def test_a_repeat_costs_no_second_alarm_nor_audit_event(hotline, client):
    signed(client, "DEV-A1", hotline.secret, event("r-1"))
    raised = AuditEvent.objects.filter(action="hotline.alarm_raise").count()
    again = signed(client, "DEV-A1", hotline.secret, event("r-1"))
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="hotline.alarm_raise").count() == raised == 1
    assert Alarm.objects.count() == 1


def test_a_heartbeat_without_battery_answers_the_known_battery(hotline, client):
    signed(client, "DEV-A1", hotline.secret, event("h-1", code="heartbeat", battery=55))
    response = signed(client, "DEV-A1", hotline.secret, event("h-2", code="heartbeat"))
    assert response.status_code == 200 and response.json()["battery"] == 55
    assert Device.objects.get().battery == 55
