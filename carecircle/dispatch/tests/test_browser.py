"""A provider optimises, adjusts and publishes a day in a real browser; the caregiver then sees their day.

Debian's chromium driven by Playwright against the live test server; skipped without /usr/bin/chromium
(except in CI, where that is a failure).
"""
import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

from carecircle.dispatch.models import DispatchPlan
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .conftest import DAY

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
        context = browser.new_context(locale="zh-CN")
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        tab.on("dialog", lambda dialog: dialog.accept())  # the confirmation before publishing
        yield tab
        context.close()
        browser.close()
        connections.close_all()


@pytest.fixture
def audit_trail_cleared(transactional_db):
    """After a live-server test SQLite flushes the tables by deleting rows, which the audit table's
    append-only trigger refuses; lift the trigger for the flush only (PostgreSQL truncates instead)."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
                           "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")


@pytest.fixture
def quick_budget(board, district):
    """The district gives the optimiser two seconds a day (a dated policy value), so the page answers fast."""
    from carecircle.core.services import policy_parameter_set

    policy_parameter_set(actor=None, key="dispatch.optimise.seconds", region=district.district, value=2,
                         effective_from=DAY.replace(day=1), source="测试：本地决定", confidence="local")


def log_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_provider_optimises_adjusts_and_publishes_a_day(audit_trail_cleared, board, quick_budget, users, live_server,
                                                         page):
    log_in(page, live_server, users.provider_admin.username)
    page.goto(f"{live_server.url}/dispatch/?date={DAY.isoformat()}")
    assert page.locator("[data-plan-status=none]").count() == 1
    page.click("button[data-action=optimise]")
    page.wait_for_selector("[data-plan-status=ready]")

    # The result: one coloured route per caregiver on the map and bars placed on the timeline.
    page.wait_for_selector(".dispatch-map.leaflet-container path.leaflet-interactive")
    bar = page.locator(".timeline-visit").first
    assert "%" in (bar.get_attribute("style") or "")
    assert page.locator("[data-figure=violations]").inner_text() == "0"

    # A move that breaks a rule is refused, naming it: 李强 holds no nurse's licence.
    nurse_order = board.orders[1]
    row = page.locator(f"tr[data-stop='{nurse_order.pk}'], tr[data-unscheduled='{nurse_order.pk}']")
    row.locator("select[name=shift]").select_option(str(board.shifts.li.pk))
    row.locator("button[data-action=move]").click()
    page.wait_for_selector(".msg-error")
    assert "李强 不具备" in page.locator(".messages").inner_text()

    # An allowed adjustment: take the first visit off the plan; it is listed as unscheduled with why.
    moved = board.orders[0]
    row = page.locator(f"tr[data-stop='{moved.pk}']")
    row.locator("select[name=shift]").select_option("")
    row.locator("button[data-action=move]").click()
    page.wait_for_selector(f"tr[data-unscheduled='{moved.pk}']")
    assert "调度员手工移出" in page.locator(f"tr[data-unscheduled='{moved.pk}']").inner_text()

    # Publish, after the confirmation.
    page.click("button[data-action=publish]")
    page.wait_for_selector("[data-plan-status=published]")
    plan = DispatchPlan.objects.get(organisation=board.org, date=DAY)
    assert plan.status == "published"
    mine = WorkOrder.objects.filter(caregiver=board.staff.wang, status=WorkOrderStatus.PUBLISHED).order_by("planned_start")
    assert mine.exists()
    assert WorkOrder.objects.get(pk=moved.pk).status == WorkOrderStatus.PENDING

    # The caregiver sees their own day, in order.
    log_in(page, live_server, users.caregiver.username)
    page.goto(f"{live_server.url}/dispatch/my-day/?date={DAY.isoformat()}")
    shown = [int(v) for v in page.locator("[data-visit]").evaluate_all("els => els.map(e => e.dataset.visit)")]
    assert shown == [o.pk for o in mine]
    assert "138****8000" in page.content()


def test_new_visits_are_placed_and_assigned_on_a_phone(audit_trail_cleared, board, users, live_server, page,
                                                       settings):
    """On a 390 px phone: a visit that arrived after publishing is placed into a gap (published visits keep their
    times), one only a nurse may do is refused for 李强 in words; the map draws the community boundaries."""
    from carecircle.conftest import make_elder
    from carecircle.dispatch import services

    from .conftest import make_order

    settings.CARECIRCLE_TILE_URL, settings.CARECIRCLE_MBTILES_PATH = "", ""
    plan = services.plan_optimise(actor=board.actor, date=DAY, iterations=400)
    plan.refresh_from_db()
    services.plan_publish(actor=board.actor, plan=plan)
    before = {o.pk: (o.caregiver_id, o.planned_start)
              for o in WorkOrder.objects.filter(status=WorkOrderStatus.PUBLISHED)}
    elder = make_elder(board.elders[0].community, name="新来的", lat="31.2031", lng="121.4431",
                       birth=dt.date(1938, 3, 3))
    nurse_elder = make_elder(board.elders[0].community, name="要护士", lat="31.2041", lng="121.4441",
                             birth=dt.date(1937, 4, 4))
    new = make_order(board.org, elder, "08:00", "17:00", 30)
    nurse_only = make_order(board.org, nurse_elder, "08:00", "17:00", 30, required_qualification="registered_nurse")

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, users.provider_admin.username)
    page.goto(f"{live_server.url}/dispatch/?date={DAY.isoformat()}")
    page.wait_for_selector("[data-plan-status=published]")
    assert page.locator(f"tr[data-unscheduled='{new.pk}'][data-new]").count() == 1
    # The base map: with no tiles configured, the streets and communities with their names.
    page.wait_for_selector(".dispatch-map[data-basemap-source=boundaries] .region-label")
    # Each visit's travel is explained in words.
    page.locator("details.travel-why summary").first.click()
    assert "绕行系数" in page.locator("details.travel-why[open] p").first.inner_text()

    # A hard rule broken: refused in words, nothing written.
    row = page.locator(f"tr[data-unscheduled='{nurse_only.pk}']")
    row.locator("select[name=shift]").select_option(str(board.shifts.li.pk))
    row.locator("button[data-action=assign]").click()
    page.wait_for_selector(".msg-error")
    assert "李强 不具备" in page.locator(".messages").inner_text()
    assert WorkOrder.objects.get(pk=nurse_only.pk).status == WorkOrderStatus.PENDING

    # Place the new visits without moving published ones.
    assert not page.locator("[data-allow-moving]").is_checked()
    page.click("button[data-action=place]")
    page.wait_for_selector(".msg-success")
    new.refresh_from_db()
    assert new.status == WorkOrderStatus.PUBLISHED and new.caregiver_id
    assert page.locator(f"tr[data-stop='{new.pk}']").count() == 1
    after = {o.pk: (o.caregiver_id, o.planned_start) for o in WorkOrder.objects.filter(pk__in=list(before))}
    assert after == before
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
