"""The canteen feature end to end at tablet size in a real browser: a diner of each subsidy class is served
and pays the right amount with the rule shown; the same card at a second counter within the same meal gets no
second subsidy (both counters quoted it, the second to pay gets none); a deceased elder's card gets no subsidy
and the reason; tomorrow's delivery round is planned and drawn on the map; the month's claim adds up. Debian's
chromium driven by Playwright against the live test server (fixtures of test_browser)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from .test_browser import PASSWORD, audit_trail_cleared, page as _page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TABLET = {"width": 800, "height": 1280}


@pytest.fixture
def page(_page):
    _page.set_viewport_size(TABLET)
    return _page


def _login(tab, url, username):
    tab.goto(f"{url}/login/")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{url}/")


def _identify_and_quote(tab, till, card):
    tab.goto(till)
    tab.fill("#till-card", card)
    tab.click("form[role=search] button[type=submit]")
    tab.select_option("select[name=meal]", "lunch")
    tab.locator("input[name^=qty_]").first.fill("1")  # the set meal, 15.00
    tab.click("button[value=quote]")
    return tab.locator("[data-testid=till-split]").inner_text()


def _pay(tab):
    tab.click("button[value=pay]")
    return tab.locator("[data-testid=receipt]").inner_text()


def test_done_when_at_a_tablet(audit_trail_cleared, meals, live_server, page):
    from carecircle.accounts.models import User
    from carecircle.meals import delivery, services
    from carecircle.meals.models import MealClaim

    today = timezone.localdate()
    # last month's sales, for the claim: one of each class at lunch on the 3rd, and a refund
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    day = last_month.replace(day=3)
    for diner in (meals.diners.a, meals.diners.b, meals.diners.c, meals.diners.deceased):
        services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=diner,
                          lines=[(meals.set_meal, 1)], meal="lunch", payment="cash", on=day)
    refunded = services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=meals.diners.b,
                                 lines=[(meals.set_meal, 1)], meal="lunch", payment="cash",
                                 on=day + dt.timedelta(days=1))
    services.sale_refund(actor=meals.users.provider_admin, sale=refunded, reason="未取餐")
    # tomorrow's delivery bookings, by the hotline, for three elders at their own doors
    meals.canteen.delivery_area.set([meals.district.a1, meals.district.a2])
    for number, diner in enumerate((meals.diners.a, meals.diners.b, meals.diners.c)):
        diner.elder.lat, diner.elder.lng = D("31.2") + D(number) / 500, D("121.44") + D(number) / 400
        diner.elder.save(update_fields=["lat", "lng"])
        delivery.booking_create(actor=meals.users.operator, diner=diner, canteen=meals.canteen,
                                date=today + dt.timedelta(days=1), meal="lunch", dish=meals.set_meal)
    User.objects.create_user(username="cashier2", password=PASSWORD, role="provider_admin",
                             organisation=meals.district.provider, display_name="cashier2")

    url = live_server.url
    _login(page, url, meals.users.provider_admin.username)
    till = f"{url}/meals/canteens/{meals.canteen.pk}/till/"

    # 1. a diner of each class, the right amount and the rule behind it (class C at the step after)
    for card, cls, pay, rule in (("A0001", "A 类", "9.00", "经济类别为“低保”"), ("B0001", "B 类", "13.00", "B 类")):
        split = _identify_and_quote(page, till, card)
        assert cls in split and f"应付 {pay} 元" in split and rule in split and "每人每天补贴" in split, split
        assert f"个人支付 {pay} 元" in _pay(page)

    # 2. the class C card at two counters within the same lunch: both quote the subsidy, the first to pay gets
    # it, the second pays the full price and is told why
    second = page.context.browser.new_context(locale="zh-CN", viewport=TABLET).new_page()
    second.set_default_timeout(20_000)
    _login(second, url, "cashier2")
    split_one = _identify_and_quote(page, till, "C0001")
    split_two = _identify_and_quote(second, till, "C0001")
    assert "C 类" in split_one and "应付 12.00 元" in split_one and "应付 12.00 元" in split_two
    receipt_one = _pay(page)
    receipt_two = _pay(second)
    assert "个人支付 12.00 元" in receipt_one and "助餐补贴 3.00 元" in receipt_one
    assert "个人支付 15.00 元" in receipt_two and "助餐补贴 0.00 元" in receipt_two
    assert "本餐次今天已享受过一次补贴" in receipt_two
    second.context.close()

    # 3. a deceased elder's card: no subsidy, and the reason
    split = _identify_and_quote(page, till, "D0001")
    assert "应付 15.00 元" in split and "死亡" in split
    assert "个人支付 15.00 元" in _pay(page)

    # 4. tomorrow's delivery round planned and shown on the map
    page.goto(f"{url}/meals/canteens/{meals.canteen.pk}/")
    page.click("text=送餐排单")
    form = page.locator(f"form[action='/meals/canteens/{meals.canteen.pk}/rounds/']")
    form.locator("input[name=date]").fill((today + dt.timedelta(days=1)).isoformat())
    form.locator("select[name=meal]").select_option("lunch")
    form.locator("input[name=couriers]").fill("小李")
    form.locator("input[name=capacity]").fill("5")
    form.locator("button[type=submit]").click()
    assert "已排出 1 条送餐路线" in page.content()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.click("text=小李 的送餐路线")
    page.wait_for_selector("[data-testid=round-map][data-drawn-stops='3']")
    assert page.locator(".round-stop").count() == 3
    assert page.locator("[data-testid=round-map] path.leaflet-interactive").count() >= 1  # the way between doors
    assert page.locator("[data-testid=stop]").count() == 3 and not errors, errors

    # 5. the month's claim adds up
    page.goto(f"{url}/meals/canteens/{meals.canteen.pk}/")
    page.click("text=申报月度补贴")
    claim_form = page.locator(f"form[action='/meals/canteens/{meals.canteen.pk}/claims/']")
    claim_form.locator("input[name=month]").fill(last_month.strftime("%Y-%m"))
    claim_form.locator("button[type=submit]").click()
    assert f"{last_month:%Y-%m} 的补贴已申报：11.00 元" in page.content()
    claim = MealClaim.objects.get()
    page.goto(f"{url}/meals/claims/{claim.pk}/")
    rows = page.locator("table.list tbody tr")
    by_class = {}
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td").all_inner_texts()
        by_class[cells[0]] = (int(cells[1]), D(cells[2]))
    footer = page.locator("table.list tfoot th").all_inner_texts()
    # A 6 + B 2 (the refunded B meal nets out) + C 3; the deceased elder's meal is not claimed
    assert by_class == {"A 类": (1, D("6.00")), "B 类": (1, D("2.00")), "C 类": (1, D("3.00"))}, by_class
    assert int(footer[1]) == sum(m for m, _s in by_class.values()) == 3
    assert D(footer[2]) == sum(s for _m, s in by_class.values()) == D("11.00")
    assert "申报金额合计 11.00 元" in page.locator("section.card").inner_text()
