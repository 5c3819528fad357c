"""At the tablet till in a real browser: a diner of each class is served and pays the right amount with the rule
shown; the same card again within the meal gets no second subsidy; a deceased elder's card gets none, with the
reason. Debian's chromium driven by Playwright against the live test server; skipped without /usr/bin/chromium
(except in CI, where that is a failure)."""
import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "Test-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def page(live_server, tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 768})
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        yield tab
        context.close()
        browser.close()
        connections.close_all()


@pytest.fixture
def audit_trail_cleared(transactional_db):
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
                           "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")


def _serve(page, card, meal="lunch"):
    page.fill("#till-card", card)
    page.click("form[role=search] button[type=submit]")
    page.select_option("select[name=meal]", meal)
    page.locator("input[name^=qty_]").first.fill("1")  # the set meal, 15.00
    page.click("button[value=quote]")
    split = page.locator("[data-testid=till-split]").inner_text()
    page.click("button[value=pay]")
    return split, page.locator("[data-testid=receipt]").inner_text()


def test_the_till_serves_each_class_and_refuses_a_second_subsidy(audit_trail_cleared, meals, live_server, page):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", meals.users.provider_admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    till = f"{live_server.url}/meals/canteens/{meals.canteen.pk}/till/"
    expected = {"A0001": ("A 类", "应付 9.00 元"), "B0001": ("B 类", "应付 13.00 元"), "C0001": ("C 类", "应付 12.00 元")}
    for card, (cls, pay) in expected.items():
        page.goto(till)
        split, receipt = _serve(page, card)
        assert cls in split and pay in split and "每人每天补贴" in split
        assert pay.replace("应付", "个人支付") in receipt
    page.goto(till)
    split, _receipt = _serve(page, "C0001")
    assert "应付 15.00 元" in split and "本餐次今天已享受过一次补贴" in split
    page.goto(till)
    split, _receipt = _serve(page, "D0001")
    assert "应付 15.00 元" in split and "死亡" in split
