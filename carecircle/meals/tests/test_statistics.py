"""Statistics: meals per day by canteen, meal and class in the reader's scope (refunds left out), for a span of
days with bad spans answered 400; the regular diners who stopped coming, the elders of the reader's scope
counted at any canteen."""
import datetime as dt

from django.urls import reverse
from django.utils import timezone

from carecircle.core.testing import assert_no_internals
from carecircle.meals import selectors, services

from .conftest import MONDAY


def sell(meals, diner, *, on, meal="lunch", canteen=None, actor=None, dish=None):
    return services.checkout(actor=actor or meals.users.provider_admin, canteen=canteen or meals.canteen,
                             diner=diner, lines=[(dish or meals.set_meal, 1)], meal=meal, payment="cash", on=on)


def test_meals_by_day_canteen_meal_and_class_net_of_refunds(meals):
    sell(meals, meals.diners.a, on=MONDAY)
    sell(meals, meals.diners.b, on=MONDAY)
    sell(meals, meals.diners.c, on=MONDAY)
    sell(meals, meals.diners.c, on=MONDAY, meal="dinner")
    refunded = sell(meals, meals.diners.b, on=MONDAY, meal="dinner")
    services.sale_refund(actor=meals.users.provider_admin, sale=refunded, reason="点错了")
    sell(meals, None, on=MONDAY - dt.timedelta(days=1))
    rows = list(selectors.meals_by_day(user=meals.users.district_admin, start=MONDAY - dt.timedelta(days=1),
                                       end=MONDAY))
    got = {(r["date"], r["meal"], r["subsidy_class"]): (r["meals"], r["subsidy"]) for r in rows}
    assert got == {
        (MONDAY, "lunch", "A"): (1, 6), (MONDAY, "lunch", "B"): (1, 2), (MONDAY, "lunch", "C"): (1, 3),
        (MONDAY, "dinner", "C"): (1, 0),  # the day's 3 yuan were used at lunch
        (MONDAY - dt.timedelta(days=1), "lunch", ""): (1, 0),
    }
    assert {r["canteen__facility__name"] for r in rows} == {"天平长者食堂"}
    # the other street's staff see none of street A's canteen
    assert not selectors.meals_by_day(user=meals.users.street_staff_b, start=MONDAY, end=MONDAY).exists()


def test_statistics_page_in_words_and_bad_spans(client, meals):
    today = timezone.localdate()
    sell(meals, meals.diners.a, on=today)
    sell(meals, meals.diners.deceased, on=today)
    client.force_login(meals.users.inspector)  # reads the district's canteens
    url = reverse("meals:statistics")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "天平长者食堂" in html and "A 类" in html and "无补贴" in html
    assert "共就餐 2 人次" in html
    assert_no_internals(html, where="meal statistics")
    for bad in ({"start": "yesterday"}, {"start": "2026-12-07", "end": "2026-12-01"},
                {"start": "2026-01-01", "end": "2026-12-01"}, {"end": "2026-13-45"}):
        response = client.get(url, bad)
        assert response.status_code == 400 and 'role="alert"' in response.content.decode(), bad
    empty = client.get(url, {"start": "2020-01-01", "end": "2020-01-02"})
    assert empty.status_code == 200 and "没有就餐记录" in empty.content.decode()
    client.force_login(meals.users.elder)
    assert client.get(url).status_code == 403


def test_stopped_coming_counts_the_elders_meals_at_any_canteen_and_not_refunds(meals):
    from carecircle.accounts.models import User

    other_operator = User.objects.create_user(username="op_b", password="x-Pass-2026", role="provider_admin",
                                              organisation=meals.district.other_provider)
    today = MONDAY + dt.timedelta(days=30)
    # the class B diner (street A) ate 8 times in street B's canteen, then stopped
    for offset in range(8):
        sell(meals, meals.diners.b, on=today - dt.timedelta(days=10 + offset), canteen=meals.other,
             actor=other_operator, dish=meals.foreign_dish)
    # the class C diner ate 8 times too, but one was refunded: 7 meals, not regular
    sales = [sell(meals, meals.diners.c, on=today - dt.timedelta(days=10 + offset)) for offset in range(8)]
    services.sale_refund(actor=meals.users.provider_admin, sale=sales[0], reason="未取餐")
    rows, quiet = selectors.stopped_coming(user=meals.users.street_staff, region=meals.district.street_a, today=today)
    assert [row["diner__elder__name"] for row in rows] == ["周立新"] and rows[0]["meals"] == 8
    # the operator of street B's canteen sees its own regular too
    rows, _ = selectors.stopped_coming(user=other_operator, region=meals.district.street_b, today=today)
    assert [row["diner__elder__name"] for row in rows] == ["周立新"]
    # and our operator does not (never ate at its canteens)
    rows, _ = selectors.stopped_coming(user=meals.users.provider_admin, region=meals.district.street_a, today=today)
    assert rows == []
    # one meal anywhere in the quiet days takes the diner off the list
    sell(meals, meals.diners.b, on=today - dt.timedelta(days=1))
    rows, _ = selectors.stopped_coming(user=meals.users.street_staff, region=meals.district.street_a, today=today)
    assert rows == []
