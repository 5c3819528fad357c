"""In the browser: the community worker's welfare visits on a 390 px phone (the due list and the visit form fit,
measured as the field pages are, and a visit is recorded), and an SOS worked through on the console."""
import pytest
from django.utils import timezone

from carecircle.assessment.tests.test_browser import audit_rows_cleared, phone  # noqa: F401 - the shared phone
from tests.test_field_phone import check_page, log_in

from ..models import WelfareTask, WelfareVisit

pytestmark = pytest.mark.browser


def test_welfare_visit_on_a_phone(audit_rows_cleared, hotline, users, live_server, phone):  # noqa: F811
    from .. import services

    services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="长时间无音讯", now=timezone.now())
    page = phone
    log_in(page, live_server, users.community_worker.username)
    check_page(page, f"{live_server.url}/hotline/welfare/")
    page.get_by_role("link", name="记录探访").first.click()
    check_page(page, page.url)
    page.locator("input[name=seen_in_person][value='1']").check()
    page.locator("input[name=health][value=good]").check()
    page.locator("input[name=home_safe][value='1']").check()
    page.get_by_role("button", name="提交探访记录").click()
    page.wait_for_url(f"{live_server.url}/hotline/welfare/")
    assert WelfareVisit.objects.filter(elder=hotline.elders.a1, seen_in_person=True).exists()
    assert not WelfareTask.objects.filter(done_at__isnull=True).exists()
    log_in(page, live_server, users.operator.username)
    check_page(page, f"{live_server.url}/hotline/")


def test_an_sos_pops_on_the_console_and_the_case_is_worked(audit_rows_cleared, hotline, users, live_server,  # noqa: F811
                                                           phone):
    """Done in the browser: the console shows the new SOS without a reload, the operator opens the elder's card,
    records calling 120 and the family, sees the timers, closes the case and calls back."""
    import json
    import time
    import urllib.request

    from playwright.sync_api import expect

    from carecircle.engines.hotline import sign

    page = phone
    log_in(page, live_server, users.operator.username)
    page.goto(f"{live_server.url}/hotline/")
    expect(page.locator("#alarm-queue")).to_be_visible()
    body = json.dumps({"event_id": "browser-sos", "code": "sos", "at": int(time.time())}).encode()
    ts = str(int(time.time()))
    request = urllib.request.Request(f"{live_server.url}/api/v1/device-events/", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Device-Id": "DEV-A1", "X-Timestamp": ts,
        "X-Signature": sign(hotline.secret, ts, body)})
    assert urllib.request.urlopen(request).status == 201
    link = page.locator("#alarm-queue").get_by_role("link", name="张三明")
    expect(link).to_be_visible()  # the two-second poll brought it, no reload
    link.click()
    expect(page.get_by_test_id("elder-card")).to_contain_text("张小明")
    for kind in ("called_120", "call_contact"):
        page.locator("select[name=kind]").select_option(kind)
        page.get_by_role("button", name="记录", exact=True).click()
    expect(page.get_by_test_id("actions")).to_contain_text("已呼叫120")
    expect(page.get_by_test_id("timers")).to_contain_text("首次处置")
    page.locator("select[name=outcome]").select_option("hospital")
    page.get_by_role("button", name="结案", exact=True).click()
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已结案")
    page.locator("input[name=note]").fill("已出院")
    page.get_by_role("button", name="记录回访").click()
    expect(page.locator("body")).to_contain_text("已出院")
