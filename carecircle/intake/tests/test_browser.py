"""Done when: a family applies on the portal, the window accepts, the district reviews, the assessment is
made, the street publishes the notice and the elder is placed on the waiting list — followed step by step in
the browser by each role, with the right people seeing it, and the notices print.

Debian's chromium driven by Playwright against the live test server (skipped without /usr/bin/chromium,
except in CI, where that fails)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
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
            user_data_dir=str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            locale="zh-CN")
        browser_page = context.new_page()
        browser_page.set_default_timeout(15_000)
        browser_page.on("dialog", lambda dialog: dialog.accept())
        yield browser_page
        context.close()
        connections.close_all()


@pytest.fixture
def audit_trail_removed(transactional_db):
    """After a live-server test Django empties the tables; on SQLite that is a DELETE, which the append-only
    audit trigger refuses. Lift the trigger for this one cleanup (PostgreSQL truncates and needs nothing)."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
                           "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")


def log_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def take(page, action):
    page.click(f"form[data-action-form={action}] button[type=submit]")
    page.wait_for_load_state()


def test_family_to_waiting_list_in_the_browser(audit_trail_removed, district, users, live_server, page):
    from playwright.sync_api import expect

    from carecircle.accounts.models import User
    from carecircle.core.roles import Role
    from carecircle.intake.defaults import application_types_seed
    from carecircle.intake.models import Application, PublicNotice

    from .conftest import seed_intake_policy
    from .helpers import finalise_assessment

    seed_intake_policy()
    application_types_seed(region=district.district)
    second = User.objects.create_user(username="assessor_two", password=PASSWORD, role=Role.ASSESSOR,
                                      display_name="评估员乙", organisation=district.agency)
    elder = district.elders.a2  # 李秀英, the family's mother, street A

    # 1. The family applies on the portal (big type, one task per page).
    log_in(page, live_server, users.family.username)
    page.click("nav.mainnav >> text=我的申请")
    page.click("text=我要申请")
    assert "age-friendly" in page.locator("body").get_attribute("class")
    page.check(f"input[name=elder][value='{elder.pk}']")
    page.check("input[name=type][value='gov-purchase']")
    page.click("button:has-text('提交申请')")
    page.wait_for_url("**/intake/*/")
    expect(page.locator("[data-state]")).to_contain_text("已登记")
    application = Application.objects.get()
    assert application.channel == "portal"
    detail = f"{live_server.url}/intake/{application.pk}/"

    # 2. The street window sees it in its queue and accepts it; the acceptance notice prints.
    log_in(page, live_server, users.street_staff.username)
    page.click("nav.mainnav >> text=申请受理")
    expect(page.locator("table.list")).to_contain_text(application.number)
    page.click(f"text={application.number}")
    take(page, "accept")
    expect(page.locator("h1 [data-state]")).to_contain_text("已受理")
    page.click("[data-notice=acceptance]")
    expect(page.locator("[data-notice-document=acceptance]")).to_contain_text("受理通知书")
    # The notice is handed to the applicant: the elder in full; the missing documents named, not "complete".
    expect(page.locator("[data-notice-document=acceptance]")).to_contain_text(elder.name)
    expect(page.locator("[data-notice-document=acceptance]")).to_contain_text("尚缺以下材料")
    expect(page.locator("[data-notice-document=acceptance]")).to_contain_text(district.street_a.name)
    assert elder.id_number not in page.content()
    pdf = page.request.get(f"{detail}notices/acceptance/?format=pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    page.goto(detail)
    take(page, "pass_first_review")
    expect(page.locator("h1 [data-state]")).to_contain_text("初审通过")

    # Street B does not see street A's application at all.
    log_in(page, live_server, users.street_staff_b.username)
    assert page.goto(detail).status == 404
    page.goto(f"{live_server.url}/intake/?view=all")
    assert application.number not in page.content()

    # 3. The district reviews it from its queue and orders the assessment.
    log_in(page, live_server, users.district_admin.username)
    page.click("nav.mainnav >> text=申请受理")
    expect(page.locator("table.list")).to_contain_text(application.number)
    page.goto(detail)
    take(page, "pass_district_review")
    take(page, "order_assessment")
    expect(page.locator("h1 [data-state]")).to_contain_text("已派评估")
    page.click("[data-notice=assessment_task]")
    expect(page.locator("[data-notice-document=assessment_task]")).to_contain_text(district.agency.name)

    # 4. The agency's two assessors complete the assessment; the result arrives on the application.
    application.refresh_from_db()
    finalise_assessment(type("I", (), {"assessors": (users.assessor, second)})(), application)
    application.refresh_from_db()
    assert application.state == "assessed"

    # 5. The street publishes the notice; anyone sees it, masked, on the public board.
    log_in(page, live_server, users.street_staff.username)
    page.goto(detail)
    expect(page.locator("[data-timeline]")).to_contain_text("评估结果")
    take(page, "publish_notice")
    expect(page.locator("h1 [data-state]")).to_contain_text("公示中")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/intake/public/{district.street_a.code}/")
    expect(page.locator("table.list")).to_contain_text("李*英")
    assert elder.name not in page.content()

    # The notice period ends without objections; the street closes it and the elder joins the waiting list.
    notice = PublicNotice.objects.get()
    PublicNotice.objects.filter(pk=notice.pk).update(starts_on=notice.starts_on - dt.timedelta(days=14),
                                                     ends_on=notice.starts_on - dt.timedelta(days=1))
    log_in(page, live_server, users.street_staff.username)
    page.goto(detail)
    take(page, "close_notice")
    expect(page.locator("h1 [data-state]")).to_contain_text("轮候中")
    page.click("text=返回队列")
    page.click("text=轮候名单")
    expect(page.locator("table.list")).to_contain_text(elder.name)

    # 6. The family follows every step and sees the position and why.
    log_in(page, live_server, users.family.username)
    page.click("nav.mainnav >> text=我的申请")
    page.click(f"[data-application='{application.number}']")
    expect(page.locator("[data-waitlist-position]")).to_contain_text("第 1 位")
    expect(page.locator("[data-waitlist-position]")).to_contain_text("排序规则")
    timeline = page.locator("[data-timeline]")
    for step in ("登记申请", "受理", "初审通过", "区审核通过", "派发评估任务", "评估结果", "发布公示", "公示期满"):
        expect(timeline).to_contain_text(step)

    # The elder of another family sees nothing of it.
    log_in(page, live_server, users.elder.username)
    assert page.goto(detail).status == 404
