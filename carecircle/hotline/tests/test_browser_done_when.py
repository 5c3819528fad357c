"""Done when, in Debian's chromium (Playwright) against the live test server on the demo district: an SOS sent
by the demo device (var/demo_devices.json) pops the elder's card on the operator's console within 2 seconds,
with a sound; the operator records calling 120 and the family, the timers show, the case closes with a call
back; today's care-call list and the community worker's welfare-visit list are worked through on a 390 px
phone; the monthly visit rate and the silent-elder list on the pages are those of the demo data."""
from __future__ import annotations

import json
import time
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from carecircle.assessment.tests.test_browser import audit_rows_cleared, phone  # noqa: F401 - the shared phone
from tests.test_field_phone import check_page

pytestmark = pytest.mark.browser

# Counts the console's beeps: every tone it plays starts with an oscillator.
COUNT_BEEPS = """
window.__beeps = 0;
(function () {
  var Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) { return; }
  var create = Ctx.prototype.createOscillator;
  Ctx.prototype.createOscillator = function () { window.__beeps += 1; return create.apply(this, arguments); };
})();
"""


@pytest.fixture
def demo(audit_rows_cleared, tmp_path, settings):  # noqa: F811
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--no-progress",
                 "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    accounts = {a["username"]: a["password"]
                for a in json.loads((tmp_path / "accounts.json").read_text(encoding="utf-8"))}
    devices = json.loads((tmp_path / "demo_devices.json").read_text(encoding="utf-8"))
    return accounts, devices


def _log_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _send(live_server, device, event_id, code="sos"):
    from carecircle.engines.hotline import sign

    body = json.dumps({"event_id": event_id, "code": code, "at": int(time.time())}).encode()
    ts = str(int(time.time()))
    request = urllib.request.Request(f"{live_server.url}/api/v1/device-events/", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Device-Id": device["device_id"], "X-Timestamp": ts,
        "X-Signature": sign(device["secret"], ts, body)})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())


def test_done_when_on_the_demo_district(demo, live_server, phone):  # noqa: F811
    from playwright.sync_api import expect

    from carecircle.accounts.models import User
    from carecircle.hotline import selectors
    from carecircle.hotline.models import Alarm, CareCall, Device, WelfareVisit

    accounts, devices = demo
    device = devices[0]
    elder = Device.objects.select_related("elder").get(device_id=device["device_id"]).elder
    assert elder.name == device["elder"]
    page = phone
    page.add_init_script(COUNT_BEEPS)

    # The operator's console, on a desk: sound switched on, then the demo device's SOS.
    page.set_viewport_size({"width": 1280, "height": 800})
    _log_in(page, live_server, "operator", accounts["operator"])
    page.goto(f"{live_server.url}/hotline/")
    expect(page.locator("#alarm-queue")).to_be_visible()
    page.locator("[data-sound-toggle]").click()
    beeps = page.evaluate("window.__beeps")
    status, answer = _send(live_server, device, "done-when-sos")
    sent = time.monotonic()
    assert status == 201 and answer["alarm"]["code"] == "sos"
    popped = page.locator(f"[data-testid=popped][data-elder='{elder.pk}']")
    expect(popped).to_be_visible(timeout=10_000)
    waited = time.monotonic() - sent
    assert waited < 2.0, f"the card popped after {waited:.1f} s"
    card = popped.get_by_test_id("elder-card")
    expect(card).to_contain_text(elder.name)
    for words in ("住址", "慢性病", "紧急联系人", "社区工作人员", "服务机构"):
        expect(card).to_contain_text(words)
    page.wait_for_function(f"window.__beeps > {beeps}", timeout=5_000)  # the new alarm sounded

    # The case: answer it from the popped card, call 120 and the family, see the timers, close, call back.
    popped.get_by_role("link", name="接警处置").click()
    page.wait_for_url(f"{live_server.url}/hotline/alarms/{answer['alarm']['id']}/")
    expect(page.get_by_test_id("elder-card")).to_contain_text(elder.name)
    for kind in ("called_120", "call_contact"):
        page.locator("select[name=kind]").select_option(kind)
        page.get_by_role("button", name="记录", exact=True).click()
        expect(page.locator("body")).to_contain_text("已记录。")
    expect(page.get_by_test_id("actions")).to_contain_text("已呼叫120")
    expect(page.get_by_test_id("actions")).to_contain_text("联系紧急联系人/家属")
    timers = page.get_by_test_id("timers")
    for name in ("接警响应", "首次处置", "人员到场"):
        expect(timers).to_contain_text(name)
    page.locator("select[name=outcome]").select_option("hospital")
    page.get_by_role("button", name="结案", exact=True).click()
    expect(page.get_by_test_id("alarm-status")).to_contain_text("已结案")
    page.locator("form:has(input[name=step][value=callback]) input[name=note]").fill("已送医，家属陪同，情况平稳")
    page.get_by_role("button", name="记录回访").click()
    expect(page.locator("body")).to_contain_text("情况平稳")
    alarm = Alarm.objects.get(pk=answer["alarm"]["id"])
    assert alarm.status == "closed" and alarm.callback_at is not None and alarm.elder == elder
    assert set(alarm.actions.values_list("kind", flat=True)) >= {"called_120", "call_contact"}
    assert alarm.acknowledged_at is not None and alarm.first_action_at is not None

    # Today's care-call list, on a phone: every call still open is made (the first one does not answer).
    page.set_viewport_size({"width": 390, "height": 844})
    check_page(page, f"{live_server.url}/hotline/care-calls/")
    today = timezone.localdate()
    operator = User.objects.get(username="operator")
    to_make = selectors.care_calls_for(operator, today).filter(status__in=["due", "retry"]).count()
    assert to_make, "the demo has care calls to make today"
    first_missed = True
    for _round in range(to_make + 5):
        forms = page.locator("form[action*='/care-calls/']:has(button[name=answered])")
        if forms.count() == 0:
            break
        form = forms.first
        form.locator("input[name=note]").fill("" if first_missed else "身体还好，按时吃药")
        with page.expect_navigation():
            form.locator(f"button[name=answered][value='{'0' if first_missed else '1'}']").click()
        first_missed = False
    assert page.locator("form[action*='/care-calls/']:has(button[name=answered])").count() == 0
    assert not selectors.care_calls_for(operator, today).filter(status="due").exists()
    assert selectors.care_calls_for(operator, today).filter(status="answered").count() >= to_make - 1

    # The community worker's welfare visits, on the phone: every elder on the list is visited.
    worker = User.objects.get(username="community_worker")
    _log_in(page, live_server, "community_worker", accounts["community_worker"])
    check_page(page, f"{live_server.url}/hotline/welfare/")
    expect(page.locator("main")).to_contain_text("次未接通")  # the elders who did not answer, to visit first
    due = len(selectors.welfare_due(worker, today=today))
    visited = 0
    for _round in range(due + 2):
        links = page.get_by_role("link", name="记录探访")
        if links.count() == 0:
            break
        with page.expect_navigation():
            links.first.click()
        page.wait_for_url("**/visit/")
        page.locator("input[name=seen_in_person][value='1']").check()
        page.locator("input[name=health][value=good]").check()
        page.locator("input[name=home_safe][value='1']").check()
        page.get_by_role("button", name="提交探访记录").click()
        page.wait_for_url(f"{live_server.url}/hotline/welfare/")
        visited += 1
    assert visited == due >= 1
    expect(page.locator("main")).to_contain_text("近期没有需要探访的老人。")
    assert WelfareVisit.objects.filter(visitor=worker, visited_at__date__gte=today).count() == visited

    # The monthly visit rate and the silent elders, as the pages show them, are those of the data.
    district = User.objects.get(username="district_admin")
    _log_in(page, live_server, "district_admin", accounts["district_admin"])
    page.goto(f"{live_server.url}/hotline/rates/")
    _communities, streets = selectors.visit_rates(district, today.replace(day=1))
    assert streets
    shown = [row.locator("td").all_inner_texts()[:3]
             for row in page.locator("[data-testid=street-rates] tbody tr").all()]
    assert shown == [[s.region["name"], str(s.eligible), str(s.visited)] for s in streets]
    assert sum(s.visited for s in streets) >= visited  # this month's visits, the worker's among them
    silent = selectors.silent_elders(operator)
    _log_in(page, live_server, "operator", accounts["operator"])
    page.goto(f"{live_server.url}/hotline/silent/")
    listing = page.locator("main").inner_text()
    assert silent, "the demo has silent elders"
    for quiet, reasons in silent:
        assert quiet.name in listing and reasons
    assert elder.name not in {e.name for e, _r in silent}  # the elder whose device just called is not silent
