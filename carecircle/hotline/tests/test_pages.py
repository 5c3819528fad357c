"""Pages and the telephony webhook: the console's queue, the case card, devices, care calls, welfare visits on a
phone, silent elders, visit rates and statistics; words only, never codes."""
import time

import pytest
from django.urls import reverse

from carecircle.core.testing import assert_no_internals

from ..models import Alarm, Call, CareCall, Device, WelfareTask, WelfareVisit
from .conftest import event, signed

pytestmark = pytest.mark.django_db


def _page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    html = response.content.decode()
    if status == 200:
        # the test accounts are named by their usernames (the header, the card's community worker)
        assert_no_internals(html, allow=["community_a1", user.username], where=url)
    return html


def test_a_device_alarm_appears_in_the_polled_queue_and_opens_the_card(hotline, client, users):
    assert "张三明" not in _page(client, users.operator, reverse("hotline:console-queue"))
    signed(client, "DEV-A1", hotline.secret, event("q-1"))
    html = _page(client, users.operator, reverse("hotline:console-queue"))
    alarm = Alarm.objects.get()
    assert "张三明" in html and "SOS 一键呼叫" in html and f'data-alarm="{alarm.pk}"' in html
    assert 'hx-trigger="every 500ms"' in html
    # the elder's card pops in the queue itself, numbers masked until the case is opened
    assert 'data-testid="popped"' in html and '持有钥匙' in html and '13900139000' not in html
    card = _page(client, users.operator, reverse("hotline:alarm", args=[alarm.pk]))
    assert "张小明" in card and "持有钥匙" in card and "13900139000" in card  # the key holder, dialable
    assert "福寿居家养老服务社" in card and "接警响应" in card
    # street B's staff cannot open it
    client.force_login(users.street_staff_b)
    assert client.get(reverse("hotline:alarm", args=[alarm.pk])).status_code in (403, 404)


def test_the_poll_answers_204_while_the_queue_is_unchanged(hotline, client, users):
    import re

    client.force_login(users.operator)
    html = client.get(reverse("hotline:console-queue")).content.decode()
    version = re.search(r"\?v=([0-9a-f]+)", html).group(1)
    quiet = client.get(reverse("hotline:console-queue"), {"v": version})
    assert quiet.status_code == 204 and quiet.content == b""
    signed(client, "DEV-A1", hotline.secret, event("v-1"))
    changed = client.get(reverse("hotline:console-queue"), {"v": version})
    assert changed.status_code == 200 and 'data-testid="popped"' in changed.content.decode()
    newer = re.search(r"\?v=([0-9a-f]+)", changed.content.decode()).group(1)
    assert newer != version
    # answering the alarm changes the queue again (its status), and the card no longer pops
    from .. import services

    services.alarm_acknowledge(actor=users.operator, alarm=Alarm.objects.get())
    answered = client.get(reverse("hotline:console-queue"), {"v": newer})
    assert answered.status_code == 200 and 'data-testid="popped"' not in answered.content.decode()
    # a stranger's version is just another version
    assert client.get(reverse("hotline:console-queue"), {"v": "<script>"}).status_code == 200


def test_the_operator_works_a_case_through_the_page(hotline, client, users):
    signed(client, "DEV-A1", hotline.secret, event("p-1"))
    alarm = Alarm.objects.get()
    client.force_login(users.operator)
    step = reverse("hotline:alarm-step", args=[alarm.pk])
    for data in ({"step": "acknowledge"}, {"step": "act", "kind": "called_120", "note": ""},
                 {"step": "act", "kind": "call_contact", "note": "儿子"},
                 {"step": "close", "outcome": "hospital", "category": "meals_emergency", "note": ""},
                 {"step": "callback", "note": "平安"}):
        assert client.post(step, data).status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == "closed" and alarm.callback_at is not None
    html = _page(client, users.operator, reverse("hotline:alarm", args=[alarm.pk]))
    assert "已呼叫120" in html and "送医" in html and "13900139000" not in html  # closed: numbers masked
    # a step the state does not allow is a message, not an error
    response = client.post(step, {"step": "acknowledge"}, follow=True)
    assert response.status_code == 200 and "不能执行" in response.content.decode()
    response = client.post(step, {"step": "close", "outcome": "nonsense"}, follow=True)
    assert response.status_code == 200


def test_registering_a_device_shows_its_secret_once(hotline, client, users):
    client.force_login(users.operator)
    url = reverse("hotline:device-new", args=[hotline.elders.a2.pk])
    response = client.post(url, {"kind": "fall_radar", "vendor": "雷达厂", "installed_on": "2026-03-01",
                                 "location": "卫生间", "device_id": "RADAR-1", "number": ""})
    assert response.status_code == 200
    device = Device.objects.get(device_id="RADAR-1")
    assert device.secret in response.content.decode()
    assert device.secret not in _page(client, users.operator, reverse("hotline:device", args=[device.pk]))
    assert device.secret not in _page(client, users.operator, reverse("hotline:devices"))
    bad = client.post(url, {"kind": "toaster", "vendor": "", "installed_on": "soon"})
    assert bad.status_code == 400


def test_an_incoming_call_reported_by_telephony_pops_the_card(hotline, api_as, client, users):
    hotline.elders.a2.phone = "13700000002"
    hotline.elders.a2.save()
    api = api_as(users.operator)
    response = api.post("/api/v1/hotline-calls/", {"call_ref": "T-1", "number": "13700000002"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["elder_name"] == "李秀英"
    assert api.post("/api/v1/hotline-calls/", {"call_ref": "T-1", "number": "13700000002"},
                    format="json").status_code == 201
    assert Call.objects.count() == 1
    call = Call.objects.get()
    queue = _page(client, users.operator, reverse("hotline:console-queue"))
    # the card pops by the caller's number, with the way to answer the call
    assert "李秀英" in queue and 'data-testid="popped"' in queue and f'data-call="{call.pk}"' in queue
    assert reverse("hotline:call", args=[call.pk]) in queue
    html = _page(client, users.operator, reverse("hotline:call", args=[call.pk]))
    assert "李秀英" in html
    client.post(reverse("hotline:call-classify", args=[call.pk]),
                {"direction": "in", "category": "meals_emergency", "is_emergency": "on", "summary": "摔倒"})
    call.refresh_from_db()
    assert call.alarm is not None
    bad = api.post("/api/v1/hotline-calls/", {"direction": "sideways"}, format="json")
    assert bad.status_code == 400
    assert api_as(users.street_staff).post("/api/v1/hotline-calls/", {}, format="json").status_code == 403


def test_care_calls_page(hotline, client, users):
    client.force_login(users.operator)
    assert client.post(reverse("hotline:care-calls")).status_code == 302
    html = _page(client, users.operator, reverse("hotline:care-calls"))
    assert "张三明" in html and "高风险" in html
    call = CareCall.objects.get(elder=hotline.elders.a1)
    for _ in range(3):
        client.post(reverse("hotline:care-call-attempt", args=[call.pk]), {"answered": "0", "note": ""})
    call.refresh_from_db()
    assert call.status == "unreached" and WelfareTask.objects.filter(elder=hotline.elders.a1).exists()


def test_the_community_worker_visits_on_a_phone(hotline, client, users):
    from .. import services
    from django.utils import timezone

    services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="设备长时间未上报心跳",
                                now=timezone.now())
    html = _page(client, users.community_worker, reverse("hotline:welfare"))
    assert "张三明" in html and "设备长时间未上报心跳" in html
    url = reverse("hotline:visit", args=[hotline.elders.a1.pk])
    _page(client, users.community_worker, url)
    response = client.post(url, {"seen_in_person": "1", "health": "good", "home_safe": "1", "needs": "",
                                 "follow_up": "none"})
    assert response.status_code == 302
    assert WelfareVisit.objects.get().visitor == users.community_worker
    assert not WelfareTask.objects.filter(done_at__isnull=True).exists()
    bad = client.post(url, {"seen_in_person": "1", "health": "good", "home_safe": "1", "needs": "",
                            "follow_up": "order"})
    assert bad.status_code == 400 and "需求" in bad.content.decode()
    client.force_login(users.community_worker)
    assert client.get(reverse("hotline:visit", args=[hotline.elders.b1.pk])).status_code == 404


@pytest.mark.parametrize("name", ["silent", "rates", "stats", "devices", "calls", "console", "welfare",
                                  "rejections"])
def test_overview_pages_render_in_words(hotline, client, users, name):
    if name != "silent":  # a device that reports is a sign of life
        signed(client, "DEV-A1", hotline.secret, event("o-1"))
    user = users.community_worker if name == "welfare" else users.district_admin
    html = _page(client, user, reverse(f"hotline:{name}"))
    if name == "silent":
        assert "张三明" in html
    if name == "stats":
        assert "助餐/紧急救助" in html and "100.0%" in html


def test_a_missing_policy_value_is_named_not_a_failure(district, users, client):
    from ..models import Alarm

    alarm = Alarm.objects.create(elder=district.elders.a1, source="device", code="sos", priority=1,
                                 raised_at=__import__("django.utils.timezone").utils.timezone.now())
    html = _page(client, users.operator, reverse("hotline:alarm", args=[alarm.pk]))
    assert "缺少政策参数" in html


def test_the_elder_record_tells_the_hotline_story(hotline, client, users):
    signed(client, "DEV-A1", hotline.secret, event("t-1", code="fall", at=int(time.time())))
    html = _page(client, users.operator, reverse("elders:detail", args=[hotline.elders.a1.pk]))
    assert "跌倒报警" in html


def test_the_device_page_finds_elders_to_register_a_device_for(hotline, client, users):
    html = _page(client, users.operator, reverse("hotline:devices") + "?q=李秀英")
    assert reverse("hotline:device-new", args=[hotline.elders.a2.pk]) in html
    html = _page(client, users.street_staff_b, reverse("hotline:devices") + "?q=李秀英")
    assert reverse("hotline:device-new", args=[hotline.elders.a2.pk]) not in html


def test_the_workbench_leads_with_the_hotline_queues(hotline, client, users):
    signed(client, "DEV-A1", hotline.secret, event("w-1"))
    html = _page(client, users.operator, reverse("workbench:home"))
    assert "待响应的紧急呼叫" in html and "张三明" in html
    from .. import services
    from django.utils import timezone

    services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="长时间无音讯", now=timezone.now())
    html = _page(client, users.community_worker, reverse("workbench:home"))
    assert "待上门探访" in html and "张三明" in html


def test_refused_device_messages_are_listed_for_their_vendor(hotline, client, users):
    signed(client, "DEV-A1", hotline.secret, b"not json")
    signed(client, "DEV-A1", hotline.secret, {"event_id": "x", "code": "teleport", "at": int(time.time())})
    signed(client, "DEV-A1", "wrong-secret", event("y"))
    signed(client, "GHOST-1", "whatever", event("z"))  # an unknown device: no vendor, no region
    html = _page(client, users.district_admin, reverse("hotline:rejections"))
    assert "安康通" in html and "消息格式错误 1" in html and "未知的事件代码 1" in html and "签名错误或缺失 1" in html
    assert "DEV-A1" in html
    only = _page(client, users.district_admin, reverse("hotline:rejections") + "?vendor=%E5%AE%89%E5%BA%B7%E9%80%9A")
    assert "安康通" in only and "DEV-A1" in only
    assert "DEV-A1" not in _page(client, users.district_admin, reverse("hotline:rejections") + "?vendor=Other")
    # street B's staff see nothing of street A's devices
    assert "DEV-A1" not in _page(client, users.street_staff_b, reverse("hotline:rejections"))
