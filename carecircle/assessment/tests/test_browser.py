"""Done when: an assessor on a phone completes a GB/T 42195 assessment for an elder with a dementia
diagnosis; the level shown is the standard's, the explanation names the rule that raised it, and the
result goes back to the application (the assessment.finalised event intake handles)."""
import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

from carecircle.assessment import services
from carecircle.assessment.models import Assessment
from carecircle.engines.scoring import load_instrument
from carecircle.intake.tests.conftest import intake  # noqa: F401  (the intake fixture: application types, policy)
from carecircle.intake.tests.helpers import submit, to_state

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "Test-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def audit_rows_cleared(transactional_db):
    """SQLite's flush after a live-server test deletes rows, which the append-only audit trigger refuses;
    this test wrote audit events, so clear them the one way the trigger allows (PostgreSQL truncates)."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
                           "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")


@pytest.fixture
def phone(live_server, tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Console errors (a script failing, the security policy refusing something) for tests that check them.
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.errors = errors
        yield page
        context.close()
        connections.close_all()


def test_assessor_on_a_phone_completes_gbt42195_for_an_elder_with_dementia(audit_rows_cleared, intake, district,
                                                                          users, live_server, phone):
    from carecircle.core.models import OutboxEvent

    # An LTCI application reaches "assessment ordered" through intake; the order lands at an agency.
    application = to_state(intake, submit(intake, elder=district.elders.a1, type_code="ltci-home"),
                           "assessment_ordered")
    order = application.assessment_order
    first, second = intake.assessors
    services.assessment_order_schedule(order=order, actor=first, assessors=[first, second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", first.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/assessment/orders/{order.pk}/")
    page.click("#start-button")
    page.wait_for_url("**/step/0/")
    page.fill("input[name=diagnoses]", "F03, I10")
    page.click("#next")
    page.wait_for_url("**/step/1/")
    items = load_instrument("gbt42195_2022").items
    # Mostly independent, with the memory and orientation losses dementia brings: 80 of 90 points.
    chosen = {"B.3.1": "2", "B.3.2": "2", "B.3.3": "3", "B.3.4": "1", "B.4.3": "2"}
    for n, item in enumerate(items, start=1):
        assert item.options[0].text in page.content()  # the standard's full option text
        code = chosen.get(item.code, item.options[0].code)
        page.check(f"input[name=option][value='{code}']")
        page.click("#next")
        page.wait_for_url(f"**/step/{n + 1}/")
    text = page.inner_text("#preview")
    assert "总分 80 分" in text
    assert "2 级" in page.inner_text("#final-level")  # 66–89 → level 1, raised one level by dementia
    explanation = page.inner_text("#explanation")
    assert "初步等级 1 级" in explanation and "痴呆" in explanation and "由 1 级提高到 2 级" in explanation
    page.click("#submit")
    page.wait_for_url(f"**/assessment/orders/{order.pk}/")
    assert "待双人确认" in page.inner_text("#order-status")
    # The second assessor signs on their own phone.
    if page.locator("text=退出").count():
        page.click("[data-menu-toggle]")  # on a phone the header's menu folds behind its button
        page.click("text=退出")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", second.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/assessment/orders/{order.pk}/")
    page.click("#confirm-button")
    page.wait_for_url(f"**/assessment/orders/{order.pk}/")
    assert "已出结果" in page.inner_text("#order-status")
    assert "能力中度受损" in page.inner_text("#final-level")
    assert "痴呆" in page.inner_text("#explanation")
    result = Assessment.objects.get(order=order)
    assert result.is_final and result.initial_level == 1 and result.final_level == 2 and result.total == 80
    final = OutboxEvent.objects.get(name="assessment.finalised")
    assert final.payload["application"] == application.pk and final.payload["assessment"] == result.pk
    assert final.delivered_at is not None
    application.refresh_from_db()
    assert application.state == "assessed"  # the application moved on with the result
