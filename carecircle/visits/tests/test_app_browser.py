"""The caregiver's day in a real browser on a phone (390 x 844): offline at the elder's home, the visit is
checked in, its items ticked, confirmed by the elder's PIN and checked out; back online the phone sends it
once, and the district's live board shows it verified. A check-in 2 km from the next elder's home is
stopped with the distance named, and goes through with a reason into the exceptions queue."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from carecircle.assessment.tests.test_browser import PASSWORD, audit_rows_cleared, phone  # noqa: F401 - shared phone

from tests.test_field_phone import check_page

from carecircle.conftest import make_elder

from .conftest import make_staff, make_work_order, seed_visit_policy

pytestmark = pytest.mark.browser

HOME = (31.205, 121.445)  # the first elder's home
NEXT_HOME = (31.195, 121.435)  # the second elder's


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def pending(page) -> int:
    return int(page.get_attribute("[data-pending-summary]", "data-pending") or 0)


def test_offline_visit_then_the_board_and_a_check_in_far_from_home(audit_rows_cleared, district, users,  # noqa: F811
                                                                   live_server, phone):  # noqa: F811
    from playwright.sync_api import expect

    from carecircle.visits.models import (ElderConfirmationPin, EventKind, ExceptionStatus, Rule, Visit, VisitEvent,
                                          VisitException, VisitStatus)
    from carecircle.visits.services import family_code

    seed_visit_policy()
    first, second = district.elders.a1, district.elders.a2
    for elder, (lat, lng) in ((first, HOME), (second, NEXT_HOME)):
        elder.lat, elder.lng = f"{lat:.6f}", f"{lng:.6f}"
        elder.save(update_fields=["lat", "lng"])
    ElderConfirmationPin.objects.create(elder=first, pin_hash=make_password("2468"))
    me = make_staff(district.provider, name="王芳", user=users.caregiver)
    # The phone's clock is set back so that the visit takes its full hour: it starts as planned.
    start = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=70)
    if start.date() != timezone.localdate():
        pytest.skip("in the first 70 minutes after midnight the hour-long visit would start yesterday, and the "
                    "app lists today's visits")
    visit_one = make_work_order(district.provider, first, me, start=start)
    visit_two = make_work_order(district.provider, second, me, start=start + dt.timedelta(minutes=64))
    neighbour = make_elder(district.a1, name="赵桂英", lat="31.205900", lng="121.445000")
    visit_away = make_work_order(district.provider, neighbour, me, start=start + dt.timedelta(minutes=62), minutes=30)

    page = phone
    base = live_server.url
    context = page.context
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"latitude": HOME[0], "longitude": HOME[1], "accuracy": 8})
    page.clock.install(time=start + dt.timedelta(seconds=30))
    log_in(page, base, users.caregiver.username)
    check_page(page, f"{base}/visits/app/")  # fits a phone: no overflow, targets of 44 px
    expect(page.locator("html")).to_have_attribute("data-service-worker", "controlled")
    card = page.locator(f"[data-visit='{visit_one.pk}']")
    expect(card).to_have_attribute("data-stage", "planned")

    # At the door, no network: the app still opens, from the phone.
    context.set_offline(True)
    page.reload()
    card = page.locator(f"[data-visit='{visit_one.pk}']")
    expect(card.locator("form[data-step=check_in] button[type=submit]")).to_be_visible()
    card.locator("form[data-step=check_in] button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "checked_in")
    items = card.locator("form[data-step=items]")
    expect(items.locator("input[name=item]").first).to_be_visible(timeout=30_000)  # slow phones and slow CI
    items.locator("input[name=item]").first.check()
    items.locator("input[name^=note-]").first.fill("协助洗澡，皮肤完好")
    items.locator("button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "items_done")
    card.locator("form[data-step=confirm] input[name=pin]").fill("2468")
    card.locator("form[data-step=confirm] button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "confirmed")
    page.clock.set_system_time(start + dt.timedelta(minutes=61))
    card.locator("form[data-step=check_out] button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "done")
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "4")
    assert not VisitEvent.objects.exists()  # nothing reached the server while offline

    # Back online: the four steps are sent, once each.
    context.set_offline(False)
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "0", timeout=20_000)
    # Asked again to send (a lost answer, a second tab): nothing is left and nothing new is stored.
    page.click("[data-sync-now]")
    page.wait_for_timeout(500)
    kinds = list(VisitEvent.objects.filter(visit__work_order=visit_one).order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.CHECK_IN, EventKind.ITEMS, EventKind.CONFIRM, EventKind.CHECK_OUT]
    visit = Visit.objects.get(work_order=visit_one)
    assert visit.status == VisitStatus.VERIFIED, list(visit.flags.values_list("rule", flat=True))
    assert visit.items.get().note == "协助洗澡，皮肤完好"

    # Next door nobody opens: "not at home" is recorded with its place, not skipped.
    page.clock.set_system_time(start + dt.timedelta(minutes=62, seconds=10))
    context.set_geolocation({"latitude": 31.2059, "longitude": 121.445, "accuracy": 9})
    card = page.locator(f"[data-visit='{visit_away.pk}']")
    card.locator("form[data-step=not_home] summary").click()
    card.locator("form[data-step=not_home] textarea[name=note]").fill("敲门无人应答，电话联系家属未接")
    card.locator("form[data-step=not_home] button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "not_home")
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "0", timeout=20_000)
    away = Visit.objects.get(work_order=visit_away)
    assert away.status == VisitStatus.NOT_HOME and away.events.get().kind == EventKind.NOT_HOME
    assert "无人应答" in away.events.get().reason

    # The next visit: the phone is 2 km from the elder's home.
    page.clock.set_system_time(start + dt.timedelta(minutes=64, seconds=20))
    context.set_geolocation({"latitude": NEXT_HOME[0] + 0.018, "longitude": NEXT_HOME[1], "accuracy": 10})
    card = page.locator(f"[data-visit='{visit_two.pk}']")
    card.locator("form[data-step=check_in] button[type=submit]").click()
    refusal = page.locator("[data-pending-entry=needs_reason]")
    expect(refusal).to_contain_text("米")
    text = refusal.inner_text()
    assert re.search(r"20\d\d(\.\d+)? 米", text) and "300 米" in text, text
    assert not Visit.objects.filter(work_order=visit_two).exists()  # stopped: nothing stored
    refusal.locator("select[name=reason_code]").select_option("elder_elsewhere")
    refusal.locator("textarea[name=reason]").fill("老人今天在女儿家，按家属要求到女儿家服务")
    refusal.locator("button[type=submit]").click()
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "0", timeout=20_000)
    far = Visit.objects.get(work_order=visit_two)
    exception = VisitException.objects.get(visit=far)
    assert exception.flag.rule == Rule.DISTANCE and exception.status == ExceptionStatus.OPEN
    assert exception.reason_code == "elder_elsewhere" and "女儿家" in exception.reason_text

    # This elder has no code of her own: the refusal says so, is set aside, and the family's code confirms.
    items = card.locator("form[data-step=items]")
    expect(items.locator("input[name=item]").first).to_be_visible(timeout=30_000)  # slow phones and slow CI
    items.locator("input[name=item]").first.check()
    items.locator("button[type=submit]").click()
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "0", timeout=20_000)
    card.locator("form[data-step=confirm] input[name=pin]").fill("0000")
    card.locator("form[data-step=confirm] button[type=submit]").click()
    refused = page.locator("[data-pending-entry=refused]")
    expect(refused).to_contain_text("家属确认码")
    page.once("dialog", lambda dialog: dialog.accept())
    refused.locator("[data-discard]").click()
    expect(card).to_have_attribute("data-stage", "items_done")
    card.locator("form[data-step=confirm] input[value=family_code]").check()
    card.locator("form[data-step=confirm] input[name=pin]").fill(family_code(visit_two))
    card.locator("form[data-step=confirm] button[type=submit]").click()
    expect(card).to_have_attribute("data-stage", "confirmed", timeout=20_000)
    expect(page.locator("[data-pending-summary]")).to_have_attribute("data-pending", "0", timeout=20_000)
    for _attempt in range(40):  # the queue empties when the server answered; the row is read after that
        far.refresh_from_db()
        if far.confirmed_at is not None:
            break
        page.wait_for_timeout(250)
    assert far.confirm_method == "family_code" and far.confirmed_at is not None
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors

    # The district's live board: the first visit verified, the second under way with its exception.
    log_in(page, base, users.district_admin.username)
    check_page(page, f"{base}/visits/board/")
    expect(page.locator(f"[data-row='{visit_one.pk}'] [data-row-state]")).to_have_attribute("data-row-state", "verified")
    expect(page.locator(f"[data-row='{visit_one.pk}']")).to_contain_text("已核验")
    expect(page.locator("[data-figure=verified]")).to_have_text("1")
    # A visit nobody has checked in to 40 minutes after its start appears as an alert, without a reload.
    late = make_work_order(district.provider, district.elders.a2, me,
                           start=timezone.localtime() - dt.timedelta(minutes=40), minutes=30)
    expect(page.locator(f"[data-alert='{late.pk}']")).to_contain_text("仍未签到", timeout=25_000)
    expect(page.locator("[data-figure=late]")).to_have_text("1")
    page.click(f"[data-row='{visit_one.pk}'] a")
    expect(page.locator("[data-visit-state]")).to_have_attribute("data-visit-state", "verified")
    expect(page.locator("main")).to_contain_text("协助洗澡")
    page.goto(f"{base}/visits/exceptions/")
    expect(page.locator("main")).to_contain_text(second.name)
