import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.core.workflow import IllegalStep
from carecircle.meals import services
from carecircle.meals.models import ClaimStatus, Sale
from carecircle.meals.wording import rules_in_words

from .conftest import MONDAY, set_level


def sell(meals, diner, lines=None, *, meal="lunch", on=MONDAY, payment="cash", mode="dine_in", canteen=None, **kw):
    return services.checkout(actor=meals.users.provider_admin, canteen=canteen or meals.canteen, diner=diner,
                             lines=lines or [(meals.set_meal, 1)], meal=meal, payment=payment, mode=mode, on=on, **kw)


def test_each_class_pays_its_own_amount_with_the_rule_in_words(meals):
    c = sell(meals, meals.diners.c)
    b = sell(meals, meals.diners.b)
    a = sell(meals, meals.diners.a)
    assert (c.subsidy_class, c.subsidy, c.self_pay) == ("C", D("3.00"), D("12.00"))
    assert (b.subsidy_class, b.subsidy, b.self_pay) == ("B", D("2.00"), D("13.00"))
    assert (a.subsidy_class, a.subsidy, a.self_pay) == ("A", D("6.00"), D("9.00"))
    words = rules_in_words(c.rules)
    assert "C 类" in words[0] and "3.00" in words[1]
    assert AuditEvent.objects.filter(action="meals.sale_checkout").count() == 3


def test_money_is_exact_to_the_fen(meals):
    sale = sell(meals, meals.diners.b, [(meals.set_meal, 1), (meals.soup, 3)])
    assert sale.total == D("21.75") and sale.subsidy + sale.self_pay == sale.total
    assert sorted(line.amount for line in sale.lines.all()) == [D("6.75"), D("15.00")]


def test_the_deceased_get_no_subsidy_and_the_reason(meals):
    sale = sell(meals, meals.diners.deceased)
    assert sale.subsidy == D("0.00") and sale.self_pay == sale.total
    assert "死亡" in rules_in_words(sale.rules)[0]


def test_a_person_not_registered_pays_the_full_price(meals):
    sale = sell(meals, None)
    assert sale.subsidy == D("0.00") and sale.self_pay == D("15.00")
    assert "未登记" in rules_in_words(sale.rules)[0]


def test_one_subsidised_meal_per_meal_time_at_any_canteen(meals):
    first = sell(meals, meals.diners.a, meal="breakfast")
    assert first.subsidy == D("6.00")
    assert sell(meals, meals.diners.a, meal="breakfast").subsidy == D("0.00")
    # the subsidy follows the person: the second canteen sees the first one's subsidy
    other = services.checkout(actor=meals.users.provider_admin.__class__.objects.create_user(
        username="op_b", password="x-Pass-2026", role="provider_admin", organisation=meals.district.other_provider),
        canteen=meals.other, diner=meals.diners.a, lines=[(meals.foreign_dish, 1)], meal="lunch", payment="cash",
        on=MONDAY)
    assert other.subsidy == D("0.00")  # 6 yuan a day already used at breakfast
    assert "今天已用 6.00" in rules_in_words(other.rules)[1]


def test_daily_amount_exactly_used_then_nothing_more(meals):
    PolicyParameter.objects.create(key="meals.dine_in.subsidy_per_day", region=meals.district.district,
                                   value={"hardship": "6.00", "age_60_79": "4.00", "age_80_plus": "3.00"},
                                   effective_from=dt.date(2026, 12, 1),
                                   source="测试", confidence="local")
    assert sell(meals, meals.diners.b, meal="breakfast").subsidy == D("4.00")
    assert sell(meals, meals.diners.b, meal="lunch").subsidy == D("0.00")


def test_weekly_cap_exactly_reached_and_one_over(meals):
    PolicyParameter.objects.create(key="meals.subsidy.weekly_cap", region=meals.district.district,
                                   value={"hardship": "42.00", "age_60_79": "5.00", "age_80_plus": "21.00"},
                                   effective_from=dt.date(2026, 12, 1),
                                   source="测试", confidence="local")
    assert sell(meals, meals.diners.b, on=MONDAY).subsidy == D("2.00")
    assert sell(meals, meals.diners.b, on=MONDAY + dt.timedelta(days=1)).subsidy == D("2.00")
    third = sell(meals, meals.diners.b, on=MONDAY + dt.timedelta(days=2))
    assert third.subsidy == D("1.00")  # 5 − 4: the cap is exactly reached
    fourth = sell(meals, meals.diners.b, on=MONDAY + dt.timedelta(days=3))
    assert fourth.subsidy == D("0.00")
    # a new week starts on Monday
    assert sell(meals, meals.diners.b, on=MONDAY + dt.timedelta(days=7)).subsidy == D("2.00")


def test_class_changes_on_the_eightieth_birthday(meals):
    from carecircle.conftest import make_elder
    from carecircle.meals.models import Diner

    elder = make_elder(meals.district.a1, name="钱寿星", birth=dt.date(1946, 12, 8))
    diner = Diner.objects.create(elder=elder, card_number="E0001", qr_token="qr-e")
    assert sell(meals, diner, on=MONDAY).subsidy_class == "B"
    assert sell(meals, diner, on=MONDAY + dt.timedelta(days=1)).subsidy_class == "C"


def test_below_the_minimum_spend_no_dine_in_subsidy_until_the_day_reaches_it(meals):
    sale = sell(meals, meals.diners.c, [(meals.noodles, 1)], meal="breakfast")
    assert sale.subsidy == D("0.00") and "未满 15.00" in rules_in_words(sale.rules)[-1]
    # 8.50 at breakfast + 8.50 at lunch: the day reaches 15 yuan
    assert sell(meals, meals.diners.c, [(meals.noodles, 1)], meal="lunch").subsidy == D("3.00")


def test_delivery_subsidy_for_level_two_and_above(meals):
    set_level(meals.diners.c.elder, 3)
    sale = sell(meals, meals.diners.c, [(meals.noodles, 1)], mode="delivery")
    assert (sale.subsidy, sale.delivery_subsidy, sale.self_pay) == (D("3.00"), D("4.00"), D("1.50"))
    plain = sell(meals, meals.diners.b, [(meals.noodles, 1)], mode="delivery")
    assert plain.delivery_subsidy == D("0.00")


def test_prepaid_balance_pays_and_refund_returns_it(meals):
    sale = sell(meals, meals.diners.a, payment="balance")
    meals.diners.a.refresh_from_db()
    assert meals.diners.a.balance == D("41.00")
    refund = services.sale_refund(actor=meals.users.provider_admin, sale=sale, reason="菜品有误")
    assert (refund.total, refund.subsidy, refund.self_pay) == (D("-15.00"), D("-6.00"), D("-9.00"))
    meals.diners.a.refresh_from_db()
    assert meals.diners.a.balance == D("50.00")
    assert sell(meals, meals.diners.a).subsidy == D("6.00")  # the refunded meal time is free again
    with pytest.raises(IllegalStep):
        services.sale_refund(actor=meals.users.provider_admin, sale=sale, reason="再退一次")
    with pytest.raises(IllegalStep):
        services.sale_refund(actor=meals.users.provider_admin, sale=refund, reason="退退款")


def test_balance_too_low_is_refused_with_nothing_written(meals):
    meals.diners.c.balance = D("11.99")
    meals.diners.c.save()
    with pytest.raises(ValidationError):
        sell(meals, meals.diners.c, payment="balance")
    assert not Sale.objects.exists()
    with pytest.raises(ValidationError):
        sell(meals, None, payment="balance")


@pytest.mark.parametrize("case", ["empty", "wrong-dish", "zero", "bool", "too-many"])
def test_bad_lines_are_refused(meals, case):
    lines = {"empty": [], "wrong-dish": [(meals.foreign_dish, 1)], "zero": [(meals.set_meal, 0)],
             "bool": [(meals.set_meal, True)], "too-many": [(meals.set_meal, 21)]}[case]
    with pytest.raises(ValidationError):
        services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=meals.diners.b,
                          lines=lines, meal="lunch", payment="cash", on=MONDAY)
    assert not Sale.objects.exists()


def test_bad_meal_mode_or_payment(meals):
    for kw in ({"meal": "supper"}, {"mode": "drone"}, {"payment": "coupon"}):
        with pytest.raises(ValidationError):
            sell(meals, meals.diners.b, **kw)


def test_only_the_operating_organisation_runs_its_till(meals):
    with pytest.raises(PermissionDenied):
        services.checkout(actor=meals.users.provider_admin, canteen=meals.other, diner=None,
                          lines=[(meals.foreign_dish, 1)], meal="lunch", payment="cash", on=MONDAY)
    with pytest.raises(PermissionDenied):
        services.checkout(actor=meals.users.street_staff, canteen=meals.canteen, diner=None,
                          lines=[(meals.set_meal, 1)], meal="lunch", payment="cash", on=MONDAY)


def test_idempotency_key_returns_the_first_sale(meals):
    first = sell(meals, meals.diners.b, idempotency_key="k-1")
    again = sell(meals, meals.diners.b, idempotency_key="k-1")
    assert first.pk == again.pk and Sale.objects.count() == 1


def test_diner_registration_from_the_register(meals):
    from carecircle.conftest import make_elder

    elder = make_elder(meals.district.a1, name="孙美华", gender="F", birth=dt.date(1950, 1, 1))
    diner = services.diner_register(actor=meals.users.street_staff, elder=elder, card_number="N0009")
    assert diner.qr_token and diner.card_number == "N0009"
    with pytest.raises(ValidationError):
        services.diner_register(actor=meals.users.street_staff, elder=elder, card_number="N0010")
    other = make_elder(meals.district.b1, name="何家强", birth=dt.date(1950, 1, 1))
    with pytest.raises(PermissionDenied):
        services.diner_register(actor=meals.users.street_staff, elder=other, card_number="N0011")
    with pytest.raises(ValidationError):
        services.diner_register(actor=meals.users.street_staff_b, elder=other, card_number="N0009")
    with pytest.raises(ValidationError):
        services.diner_register(actor=meals.users.street_staff_b, elder=other, card_number="x!")
    with pytest.raises(PermissionDenied):
        services.diner_register(actor=meals.users.provider_admin, elder=other, card_number="N0012")


def test_menu_published_ahead_and_not_for_the_past(meals):
    menu = services.menu_publish(actor=meals.users.provider_admin, canteen=meals.canteen,
                                 date=MONDAY + dt.timedelta(days=7), meal="lunch",
                                 dishes=[meals.set_meal, meals.soup], today=MONDAY)
    assert menu.published_at and menu.dishes.count() == 2
    with pytest.raises(ValidationError):
        services.menu_publish(actor=meals.users.provider_admin, canteen=meals.canteen, date=MONDAY - dt.timedelta(1),
                              meal="lunch", dishes=[meals.set_meal], today=MONDAY)
    with pytest.raises(ValidationError):
        services.menu_publish(actor=meals.users.provider_admin, canteen=meals.canteen, date=MONDAY, meal="lunch",
                              dishes=[meals.foreign_dish], today=MONDAY)


def test_dish_price_must_be_money(meals):
    dish = services.dish_create(actor=meals.users.provider_admin, canteen=meals.canteen, name="蒸蛋", price="3.5",
                                diet_tags=["soft"])
    assert dish.price == D("3.50")
    for price in ("abc", "-1", "1.005", "NaN"):
        with pytest.raises(ValidationError):
            services.dish_create(actor=meals.users.provider_admin, canteen=meals.canteen, name="蒸蛋", price=price)
    with pytest.raises(ValidationError):
        services.dish_create(actor=meals.users.provider_admin, canteen=meals.canteen, name="蒸蛋", price="3",
                             diet_tags=["spicy"])


def test_monthly_claim_adds_up_and_is_reviewed(meals):
    november = dt.date(2026, 11, 2)
    sell(meals, meals.diners.a, on=november)
    sell(meals, meals.diners.b, on=november)
    refunded = sell(meals, meals.diners.c, on=november)
    services.sale_refund(actor=meals.users.provider_admin, sale=refunded, reason="未取餐")
    sell(meals, None, on=november)
    sell(meals, meals.diners.b, on=MONDAY)  # December: not in November's claim
    with pytest.raises(ValidationError):
        services.claim_submit(actor=meals.users.provider_admin, canteen=meals.canteen, month=MONDAY, today=MONDAY)
    claim = services.claim_submit(actor=meals.users.provider_admin, canteen=meals.canteen, month=november,
                                  today=MONDAY)
    assert (claim.meals, claim.subsidy) == (2, D("8.00"))
    assert claim.by_class["A"] == {"meals": 1, "subsidy": "6.00", "delivery_subsidy": "0.00"}
    assert claim.by_class["C"]["meals"] == 0
    with pytest.raises(IllegalStep):
        services.claim_submit(actor=meals.users.provider_admin, canteen=meals.canteen, month=november, today=MONDAY)
    with pytest.raises(PermissionDenied):
        services.claim_review(actor=meals.users.street_staff_b, claim=claim, approve=True)
    with pytest.raises(ValidationError):
        services.claim_review(actor=meals.users.street_staff, claim=claim, approve=False)
    claim = services.claim_review(actor=meals.users.street_staff, claim=claim, approve=True)
    assert claim.status == ClaimStatus.APPROVED
    with pytest.raises(IllegalStep):
        services.claim_review(actor=meals.users.district_admin, claim=claim, approve=True)


def test_regular_diners_who_stopped_coming_are_listed(meals):
    from carecircle.meals.selectors import stopped_coming

    today = MONDAY + dt.timedelta(days=30)
    for offset in range(8):  # 8 meals in the 28 days before the quiet week
        sell(meals, meals.diners.b, on=today - dt.timedelta(days=10 + offset))
        sell(meals, meals.diners.c, on=today - dt.timedelta(days=10 + offset))
    sell(meals, meals.diners.c, on=today - dt.timedelta(days=2))  # still comes
    for offset in range(7):  # not regular enough
        sell(meals, meals.diners.a, on=today - dt.timedelta(days=10 + offset))
    rows, quiet = stopped_coming(user=meals.users.street_staff, region=meals.district.street_a, today=today)
    assert quiet == 7 and [row["diner__elder__name"] for row in rows] == ["周立新"]
    rows, _ = stopped_coming(user=meals.users.street_staff_b, region=meals.district.street_b, today=today)
    assert rows == []  # street B sees no sales of street A's canteen


def test_canteen_on_a_facility_of_the_register(meals):
    from carecircle.providers.models import Facility

    point = Facility.objects.create(organisation=meals.district.provider, name="永嘉助餐点", kind="meal_point",
                                    community=meals.district.a2, lat="31.195", lng="121.435")
    canteen = services.canteen_create(actor=meals.users.provider_admin, facility=point, opening_hours="11:00-13:00",
                                      seats=20, lunch_capacity=80, delivery_area=[meals.district.a2])
    assert canteen.name == "永嘉助餐点" and list(canteen.delivery_area.all()) == [meals.district.a2]
    with pytest.raises(ValidationError):  # twice
        services.canteen_create(actor=meals.users.provider_admin, facility=point, opening_hours="11:00-13:00")
    institution = Facility.objects.create(organisation=meals.district.provider, name="福寿院", kind="institution",
                                          community=meals.district.a2, lat="31.195", lng="121.435")
    with pytest.raises(ValidationError):
        services.canteen_create(actor=meals.users.provider_admin, facility=institution, opening_hours="9-17", seats=-1)
    foreign = Facility.objects.create(organisation=meals.district.other_provider, name="枫林二号点", kind="meal_point",
                                      community=meals.district.b1, lat="31.19", lng="121.46")
    with pytest.raises(PermissionDenied):
        services.canteen_create(actor=meals.users.provider_admin, facility=foreign, opening_hours="11:00-13:00")


def test_workbench_cards(client, meals):
    from django.utils import timezone

    sell(meals, meals.diners.b, on=timezone.localdate())
    client.force_login(meals.users.provider_admin)
    assert "今日助餐结算" in client.get("/").content.decode()
    client.force_login(meals.users.street_staff)
    assert "待审核的助餐补贴申报" in client.get("/").content.decode()
