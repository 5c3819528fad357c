"""A person at a browser: Debian's chromium driven by Playwright against the live test server.

Playwright's own browser download is impossible on these machines, so the tests launch
/usr/bin/chromium (installed by `make test`). Without it they skip, except in CI, where they fail.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

from carecircle.conftest import make_elder

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "Test-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(live_server, tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are
    # ordinary synchronous calls and safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, headless=True, locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        # Code inside Playwright's sync API runs in a greenlet with its own context, so Django opened a
        # separate database connection for it; close it, or PostgreSQL refuses to drop the test database.
        connections.close_all()


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_street_worker_searches_elders_and_opens_one(transactional_db, district, users, live_server, browser_page):
    page = browser_page
    ours = make_elder(district.a2, name="钱秀兰", birth=dt.date(1942, 4, 4), gender="F")
    theirs = make_elder(district.b1, name="钱秀梅", birth=dt.date(1942, 5, 5), gender="F")

    _log_in(page, live_server, users.street_staff.username)
    page.goto(f"{live_server.url}/elders/")
    listing = page.content()
    assert district.elders.a1.name in listing and district.elders.a2.name in listing
    assert district.elders.b1.name not in listing  # street B's elder is not in street A's list

    page.fill("input[name=q]", "钱秀")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/elders/?*q=*")
    results = page.content()
    assert ours.name in results
    assert theirs.name not in results
    assert district.elders.a1.name not in results  # the search narrowed the list

    page.click(f"text={ours.name}")
    page.wait_for_url(f"**/elders/{ours.pk}/")
    assert page.locator("h1").inner_text().startswith(ours.name)
    # The ID number is shown masked (first 6 + last 4), never in clear.
    assert ours.id_number not in page.content()
    assert ours.id_number_masked in page.content()

    # Typing street B's elder's address into the bar gets a 404, not the record.
    response = page.goto(f"{live_server.url}/elders/{theirs.pk}/")
    assert response.status == 404
    assert theirs.name not in page.content()


def test_language_switch_changes_the_page_language_and_labels(transactional_db, users, live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _log_in(page, live_server, users.street_staff.username)
    html = page.locator("html")
    assert html.get_attribute("lang") == "zh-hans"
    # app.js submits the language form on change (the CSP forbids inline handlers, and page-side eval).
    nav = page.locator("nav.mainnav")
    expect(nav).to_contain_text("老人档案")
    page.select_option("select[name=language]", "en")
    expect(html).to_have_attribute("lang", "en")
    expect(nav).to_contain_text("Elders")
    expect(nav).not_to_contain_text("老人档案")
    page.reload()
    expect(html).to_have_attribute("lang", "en")  # the choice sticks for the session
    page.select_option("select[name=language]", "zh-hans")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(nav).to_contain_text("老人档案")
