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
