"""The family's preferential-card journey in a real browser, on a phone-sized screen: a daughter applies online
for her mother's card from the workbench, sees it being handled, the street worker approves it at the desk,
and the daughter opens the issued card and prints it. Debian's chromium driven by Playwright against the live
test server; skipped without /usr/bin/chromium (except in CI, where that is a failure)."""
import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "Test-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(live_server, monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield chromium
        chromium.close()
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


def _tab(browser, width, height):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return tab


def _login(tab, url, user):
    tab.goto(f"{url}/login/")
    tab.fill("input[name=username]", user.username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{url}/")


def _fits(tab):
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_family_applies_for_the_card_online_and_prints_it_once_issued(audit_trail_cleared, roll, users, live_server,
                                                                      browser):
    from carecircle.benefits.models import BenefitApplication, PreferentialCard

    url = live_server.url
    phone = _tab(browser, 390, 844)
    _login(phone, url, users.family)
    phone.get_by_role("link", name="网上申请津贴或优待证").click()
    assert _fits(phone)
    phone.get_by_label("李秀英").check()
    phone.get_by_label("老年优待证").check()
    phone.get_by_role("button", name="提交申请").click()
    phone.wait_for_url(f"{url}/benefits/mine/")
    body = phone.locator("main").inner_text()
    assert "无需到现场" in body and "老年优待证" in body and "已提交" in body
    assert _fits(phone)
    application = BenefitApplication.objects.get(elder=roll.elders.a2, programme="card")
    assert application.channel == "portal" and "身份证号核验通过" in application.check_result

    desk = _tab(browser, 1280, 800)
    _login(desk, url, users.street_staff)
    desk.goto(f"{url}/benefits/applications/?status=submitted")
    desk.get_by_role("link", name="李秀英").click()
    assert "身份证号核验通过" in desk.locator("main").inner_text()
    desk.get_by_role("button", name="批准", exact=True).click()
    desk.locator("dd", has_text="已通过").wait_for()
    card = PreferentialCard.objects.get(elder=roll.elders.a2, status="valid")

    phone.reload()
    link = phone.get_by_role("link", name=f"老年优待证 {card.number}（查看并打印）")
    link.click()
    phone.wait_for_url(f"{url}/benefits/cards/{card.pk}/")
    shown = phone.locator("[data-card]").inner_text()
    assert card.number in shown and "李秀英" in shown and "65 周岁老年证" in shown
    phone.get_by_role("button", name="打印").click()
    phone.get_by_text("请使用浏览器的打印功能打印本页").wait_for()
    assert _fits(phone)
    card.refresh_from_db()
    assert card.printed_times == 1
