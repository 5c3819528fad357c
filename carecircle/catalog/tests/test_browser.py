"""The district at a browser (Debian's chromium through Playwright): a quote, and an item switched off only
after the confirmation is accepted."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection, connections

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
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, locale="zh-CN",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        browser_page = context.new_page()
        browser_page.set_default_timeout(15_000)
        yield browser_page
        context.close()
        # The ORM calls made under Playwright's sync API run in its greenlet with a connection of their own;
        # close it here, or PostgreSQL cannot drop the test database.
        connections.close_all()


@pytest.fixture
def audit_rows_removed_after(transactional_db):
    """SQLite empties tables after a live-server test by deleting rows, which the audit table's append-only
    trigger refuses: the trigger is lifted for that clean-up only (PostgreSQL truncates and needs nothing)."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
                           "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")


def test_district_prices_an_order_and_switches_an_item_off_after_confirming(audit_rows_removed_after, district, users,
                                                                            live_server, page):
    from carecircle.catalog.models import ServiceItem
    from carecircle.catalog.services import catalogue_seed
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    catalogue_seed()
    policy_parameters_seed(raw_values=[row for row in seed_values()
                                       if row["key"].startswith(("ltci.", "catalog.", "gov_purchase."))])
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", users.district_admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/catalog/quote/")
    page.fill("input[name=elder]", str(district.elders.a1.pk))
    page.fill("input[name=on]", "2026-11-20")
    page.select_option("select[name=item_1]", "gb-bathing")
    page.select_option("select[name=item_2]", "gb-meal")
    page.fill("input[name=quantity_2]", "2")
    page.click("form.form button[type=submit]")
    assert "110.00" in page.locator("table.list tfoot").inner_text()  # 80.00 bathing + 2 × 15.00 meals

    item = ServiceItem.objects.get(code="gb-adapt-special")
    page.goto(f"{live_server.url}/catalog/items/{item.pk}/edit/")
    page.uncheck("input[name=is_active]")
    page.fill("input[name=reason]", "本区暂停专项改造")
    page.once("dialog", lambda dialog: dialog.dismiss())  # a change of mind: nothing is saved
    page.click("form.form button[type=submit]")
    assert ServiceItem.objects.get(pk=item.pk).is_active
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**/catalog/items/{item.pk}/")
    assert not ServiceItem.objects.get(pk=item.pk).is_active
