import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.workflow import IllegalStep
from carecircle.meals import delivery
from carecircle.meals.models import BookingStatus, DeliveryRound, MealBooking

from .conftest import MONDAY, set_level

TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def bookings(meals):
    d = meals.district
    meals.canteen.delivery_area.set([d.a1, d.a2])
    set_level(meals.diners.c.elder, 3)
    made = [delivery.booking_create(actor=meals.users.operator, diner=diner, canteen=meals.canteen, date=TUESDAY,
                                    meal="lunch", dish=meals.set_meal, today=MONDAY)
            for diner in (meals.diners.c, meals.diners.b, meals.diners.a)]
    return made


def test_booking_by_family_portal_and_hotline(meals, bookings):
    assert {b.channel for b in bookings} == {"hotline"}
    meals.canteen.delivery_area.set([meals.district.a1, meals.district.a2])
    # family of the elder in A2 (class A diner is in A2 but the family is linked to district.elders.a2)
    from carecircle.meals.models import Diner

    diner = Diner.objects.create(elder=meals.district.elders.a2, card_number="F9999", qr_token="qr-fam")
    booking = delivery.booking_create(actor=meals.users.family, diner=diner, canteen=meals.canteen, date=TUESDAY,
                                      meal="dinner", dish=meals.noodles, today=MONDAY)
    assert booking.channel == "portal"
    with pytest.raises(PermissionDenied):
        delivery.booking_create(actor=meals.users.family, diner=meals.diners.b, canteen=meals.canteen, date=TUESDAY,
                                meal="dinner", dish=meals.noodles, today=MONDAY)
    with pytest.raises(ValidationError):  # the same meal twice
        delivery.booking_create(actor=meals.users.family, diner=diner, canteen=meals.canteen, date=TUESDAY,
                                meal="dinner", dish=meals.noodles, today=MONDAY)


def test_booking_refused_outside_the_delivery_area_or_in_the_past(meals, bookings):
    with pytest.raises(ValidationError) as error:
        delivery.booking_create(actor=meals.users.operator, diner=meals.diners.street_b, canteen=meals.canteen,
                                date=TUESDAY, meal="lunch", dish=meals.set_meal, today=MONDAY)
    assert "送餐范围" in str(error.value)
    with pytest.raises(ValidationError):
        delivery.booking_create(actor=meals.users.operator, diner=meals.diners.c, canteen=meals.canteen,
                                date=MONDAY - dt.timedelta(days=1), meal="dinner", dish=meals.set_meal, today=MONDAY)


def test_round_planned_within_the_window_and_capacity(meals, bookings):
    rounds, left_out = delivery.round_plan(actor=meals.users.provider_admin, canteen=meals.canteen, date=TUESDAY,
                                           meal="lunch", couriers=["小李", "小王"], capacity=2)
    stops = [stop for r in rounds for stop in r.stops.all()]
    assert not left_out and len(stops) == 3
    assert all(len(r.stops.all()) <= 2 for r in rounds)
    assert all(dt.time(10, 30) <= stop.eta <= dt.time(11, 27) for stop in stops)
    assert set(MealBooking.objects.values_list("status", flat=True)) == {BookingStatus.PLANNED}
    # planned again before any door: replaced, not doubled
    rounds, _ = delivery.round_plan(actor=meals.users.provider_admin, canteen=meals.canteen, date=TUESDAY,
                                    meal="lunch", couriers=["小李"], capacity=1)
    assert DeliveryRound.objects.count() == 1 and len(_) == 2
    assert "份数" in _[0][1]


def test_doors_checked_off_delivered_sells_the_meal_not_delivered_keeps_the_reason(meals, bookings):
    rounds, _ = delivery.round_plan(actor=meals.users.provider_admin, canteen=meals.canteen, date=TUESDAY,
                                    meal="lunch", couriers=["小李"], capacity=5)
    stops = {stop.booking.diner_id: stop for stop in rounds[0].stops.all()}
    done = delivery.stop_record(actor=meals.users.provider_admin, stop=stops[meals.diners.c.pk], delivered=True)
    sale = done.booking.sale
    assert sale.mode == "delivery" and (sale.subsidy, sale.delivery_subsidy) == (D("3.00"), D("4.00"))
    with pytest.raises(ValidationError):
        delivery.stop_record(actor=meals.users.provider_admin, stop=stops[meals.diners.b.pk], delivered=False)
    missed = delivery.stop_record(actor=meals.users.provider_admin, stop=stops[meals.diners.b.pk], delivered=False,
                                  reason="家中无人，电话未接通")
    assert missed.booking.status == BookingStatus.NOT_DELIVERED and missed.reason.startswith("家中无人")
    with pytest.raises(IllegalStep):
        delivery.stop_record(actor=meals.users.provider_admin, stop=stops[meals.diners.b.pk], delivered=True)
    with pytest.raises(IllegalStep):  # the round has started: no re-plan
        delivery.round_plan(actor=meals.users.provider_admin, canteen=meals.canteen, date=TUESDAY, meal="lunch",
                            couriers=["小李"], capacity=5)


def test_round_page_on_a_phone_checks_off_a_door(client, meals, bookings):
    from django.urls import reverse

    from carecircle.core.testing import assert_no_internals

    rounds, _ = delivery.round_plan(actor=meals.users.provider_admin, canteen=meals.canteen, date=TUESDAY,
                                    meal="lunch", couriers=["小李"], capacity=5)
    client.force_login(meals.users.provider_admin)
    page = client.get(reverse("meals:round-detail", args=[rounds[0].pk])).content.decode()
    assert "张三明" in page and "约 1" in page
    assert_no_internals(page, where="round")
    stop = rounds[0].stops.get(booking__diner=meals.diners.b)
    response = client.post(reverse("meals:stop-record", args=[stop.pk]), {"outcome": "missed", "reason": "住院"})
    assert response.status_code == 302
    stop.refresh_from_db()
    assert stop.reason == "住院" and stop.booking.status == BookingStatus.NOT_DELIVERED
    client.force_login(meals.users.street_staff)
    assert client.post(reverse("meals:stop-record", args=[stop.pk]), {"outcome": "delivered"}).status_code == 403


def test_booking_page_for_family_in_big_type(client, meals):
    from django.urls import reverse
    from django.utils import timezone

    from carecircle.meals.models import Diner

    meals.canteen.delivery_area.set([meals.district.a2])
    diner = Diner.objects.create(elder=meals.district.elders.a2, card_number="F9999", qr_token="qr-fam")
    client.force_login(meals.users.family)
    page = client.get(reverse("meals:booking")).content.decode()
    assert "age-friendly" in page and "李秀英" in page and "周立新" not in page
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = {"diner": diner.pk, "dish": meals.noodles.pk, "date": day, "meal": "lunch", "mode": "delivery",
            "quantity": 1}
    assert client.post(reverse("meals:booking"), body).status_code == 302
    assert MealBooking.objects.get().channel == "portal"
    again = client.post(reverse("meals:booking"), body)
    assert again.status_code == 400 and "已经预订过" in again.content.decode()


def test_booking_api(api_as, meals, bookings):
    client = api_as(meals.users.operator)
    listing = client.get("/api/v1/meal-bookings/").json()
    assert len(listing.get("results", listing)) == 3
    body = {"diner": meals.diners.c.pk, "dish": meals.set_meal.pk, "date": "2026-12-31", "meal": "dinner",
            "mode": "dine_in"}
    created = client.post("/api/v1/meal-bookings/", body, format="json")
    assert created.status_code == 201, created.content
    assert client.post("/api/v1/meal-bookings/", {**body, "meal": "x"}, format="json").status_code == 400
    other = api_as(meals.users.street_staff_b)
    assert other.post("/api/v1/meal-bookings/", {**body, "meal": "breakfast"}, format="json").status_code == 400
