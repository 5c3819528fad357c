"""Pages: the plan editor shows the self-pay before saving, the three-step order, the inbox."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from carecircle.careplans import services
from carecircle.careplans.models import CarePlan, OrderStatus, ServiceOrder, VisitFunding

from .conftest import MONDAY


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def edit_post(plan, rows, step, **extra):
    data = {"visit-TOTAL_FORMS": str(len(rows)), "visit-INITIAL_FORMS": "0", "visit-MIN_NUM_FORMS": "0",
            "visit-MAX_NUM_FORMS": "14", "step": step, **extra}
    for i, (weekday, start, end, minutes) in enumerate(rows):
        data.update({f"visit-{i}-weekday": weekday, f"visit-{i}-window_start": start,
                     f"visit-{i}-window_end": end, f"visit-{i}-duration_minutes": minutes})
    return data


def test_provider_generates_a_plan_on_the_page(level4, users):
    client = client_for(users.provider_admin)
    page = client.get(f"/careplans/elders/{level4.pk}/new/")
    assert page.status_code == 200 and "每周 5 次上门" in page.content.decode()
    response = client.post(f"/careplans/elders/{level4.pk}/new/", {
        "weekdays": ["0", "2", "4"], "window_start": "09:00", "window_end": "10:00", "items": ["ltci-b01"]})
    plan = CarePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/careplans/{plan.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "每周费用与支付" in detail and "202.50" in detail and "头面部清洁" in detail


def test_the_plan_editor_shows_the_self_pay_and_saves_only_once_it_is_confirmed(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=timezone.localdate())
    client = client_for(users.provider_admin)
    assert client.get(f"/careplans/{plan.pk}/edit/").status_code == 200
    rows = [(str(d), "09:00", "10:00", "60") for d in range(6)]
    preview = client.post(f"/careplans/{plan.pk}/edit/", edit_post(plan, rows, "preview")).content.decode()
    assert "超出待遇·自费" in preview and "每周自付 45.00 元" in preview
    refused = client.post(f"/careplans/{plan.pk}/edit/", edit_post(plan, rows, "save")).content.decode()
    assert "请先确认自费部分再保存" in refused
    assert plan.visits.count() == 5
    saved = client.post(f"/careplans/{plan.pk}/edit/", edit_post(plan, rows, "save", accept_self_pay="on"))
    assert saved.status_code == 302
    assert plan.visits.filter(funding=VisitFunding.SELF_PAY).count() == 1
    bad = client.post(f"/careplans/{plan.pk}/edit/", edit_post(plan, [("1", "10:00", "09:00", "60")], "preview"))
    assert "必须晚于开始时刻" in bad.content.decode()
    assert client.post(f"/careplans/{plan.pk}/edit/", {}).status_code == 200  # an empty post re-renders


def test_the_family_reads_the_plan_and_its_changes_in_big_type(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    page = client_for(users.elder).get(f"/careplans/{plan.pk}/").content.decode()
    assert 'class="age-friendly"' in page and "制定照护计划" in page
    portal = client_for(users.elder).get("/careplans/my/").content.decode()
    assert "一键下单" in portal and "每周上门 5 次" in portal
    assert client_for(users.family).get(f"/careplans/{plan.pk}/").status_code == 404


def test_ordering_in_three_steps_shows_the_self_pay_before_confirming(policy, users):
    elder = policy.elders.a1
    client = client_for(users.elder)
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    step1 = client.get(f"/careplans/elders/{elder.pk}/order/").content.decode()
    assert "第 1 步（共 3 步）" in step1 and "助浴服务" in step1
    choice = {"item": "gb-bathing", "service_date": day, "window": "afternoon"}
    step2 = client.post(f"/careplans/elders/{elder.pk}/order/", {**choice, "step": "price"}).content.decode()
    assert "第 2 步（共 3 步）" in step2 and "您需要自己付：80.00 元" in step2
    assert not ServiceOrder.objects.exists()
    done = client.post(f"/careplans/elders/{elder.pk}/order/", {**choice, "step": "confirm",
                                                                "expected_self_pay": "80.00"})
    order = ServiceOrder.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/careplans/orders/{order.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "待机构接单" in page and "age-friendly" in page
    changed = client.post(f"/careplans/elders/{elder.pk}/order/", {**choice, "step": "confirm",
                                                                   "expected_self_pay": "10.00"})
    assert "价格已变化" in changed.content.decode() and ServiceOrder.objects.count() == 1
    assert client.get(f"/careplans/elders/{policy.elders.b1.pk}/order/").status_code == 404


def test_the_inbox_accepts_and_declines(policy, users):
    elder = policy.elders.a1
    day = timezone.localdate() + dt.timedelta(days=2)
    order = services.service_order_place(actor=users.operator, elder=elder, lines=[{"item": "gb-cleaning",
                                                                                   "quantity": 2}],
                                         service_date=day, window_start=dt.time(9), window_end=dt.time(11),
                                         expected_self_pay="80.00")
    client = client_for(users.provider_admin)
    inbox = client.get("/careplans/orders/inbox/").content.decode()
    assert "助洁服务" in inbox and elder.name in inbox
    response = client.post(f"/careplans/orders/{order.pk}/accept/", {"next": "inbox"})
    assert response.status_code == 302 and response["Location"] == "/careplans/orders/inbox/"
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    again = client.post(f"/careplans/orders/{order.pk}/decline/", {"reason": "人手不足"}, follow=True)
    assert "不能再接单或拒单" in again.content.decode()
    listing = client_for(users.operator).get("/careplans/orders/?status=accepted").content.decode()
    assert elder.name in listing
    csv = client_for(users.operator).get("/careplans/orders/export.csv")
    assert b"".join(csv.streaming_content).decode("utf-8-sig").count("\n") == 2


def test_absence_page_and_stop_page(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    elder_client = client_for(users.elder)
    response = elder_client.post(f"/careplans/elders/{level4.pk}/absence/", {
        "kind": "hospital", "starts_on": "2026-12-01", "ends_on": "2026-11-30"})
    assert "早于开始日期" in response.content.decode()
    response = elder_client.post(f"/careplans/elders/{level4.pk}/absence/", {
        "kind": "hospital", "starts_on": "2026-12-01", "ends_on": "2026-12-03"}, follow=True)
    assert "已登记" in response.content.decode()
    provider = client_for(users.provider_admin)
    assert "停止计划" in provider.get(f"/careplans/{plan.pk}/stop/").content.decode()
    provider.post(f"/careplans/{plan.pk}/stop/", {"reason": "provider", "on": "2026-12-01",
                                                  "explanation": "机构停业"})
    plan.refresh_from_db()
    assert plan.status == "stopped"
    assert "机构停业" in elder_client.get(f"/careplans/{plan.pk}/").content.decode()


@pytest.mark.parametrize("url", ["/careplans/", "/careplans/orders/", "/careplans/work-orders/",
                                 "/careplans/orders/inbox/"])
def test_lists_have_search_empty_state_and_english(policy, users, url):
    user = users.provider_admin
    page = client_for(user).get(url).content.decode()
    assert 'role="search"' in page or "inbox" in url
    english = client_for(user, "en").get(url)
    assert english.status_code == 200
    text = english.content.decode()
    import re

    # The language switcher names each language in itself (简体中文); everything else must be English.
    text = re.sub(r"<(script|style|select)[^>]*>.*?</\1>", " ", text, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", text)
    assert not re.search(r"[\u4e00-\u9fff]", visible.replace("福寿居家养老服务社", "")), url


def test_providers_see_assessed_elders_without_a_plan_and_the_hotline_finds_an_elder_to_order_for(level4, users):
    listing = client_for(users.provider_admin).get("/careplans/").content.decode()
    assert "已评估、尚无照护计划" in listing and f"/careplans/elders/{level4.pk}/new/" in listing
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    assert "已评估、尚无照护计划" not in client_for(users.provider_admin).get("/careplans/").content.decode()
    found = client_for(users.operator).get("/careplans/orders/new/?q=" + level4.name).content.decode()
    assert f"/careplans/elders/{level4.pk}/order/" in found
    theirs = client_for(users.street_staff_b).get("/careplans/orders/new/?q=" + level4.name).content.decode()
    assert f"/careplans/elders/{level4.pk}/order/" not in theirs and "没有找到这位老人" in theirs
