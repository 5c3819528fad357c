"""The canteen's capacity per meal: counter sales and bookings beyond it are refused with the figures; a booked
meal keeps its place (the booked diner at the counter, the courier at the door); a refund, a cancelled booking
or an undelivered one frees a place; a capacity of 0 sets no limit; two counters at once sell the last place
once."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from carecircle.meals import delivery, services
from carecircle.meals.models import MealBooking, Sale

from .conftest import MONDAY

TUESDAY = MONDAY + dt.timedelta(days=1)


def sell(meals, diner, *, meal="lunch", on=MONDAY, **kw):
    return services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=diner,
                             lines=[(meals.set_meal, 1)], meal=meal, payment="cash", on=on, **kw)


def book(meals, diner, *, quantity=1, mode="delivery", meal="lunch"):
    return delivery.booking_create(actor=meals.users.operator, diner=diner, canteen=meals.canteen, date=TUESDAY,
                                   meal=meal, dish=meals.set_meal, quantity=quantity, mode=mode, today=MONDAY)


@pytest.fixture
def small(meals):
    meals.canteen.lunch_capacity = 2
    meals.canteen.save()
    meals.canteen.delivery_area.set([meals.district.a1, meals.district.a2])
    return meals


def test_the_counter_sells_up_to_the_capacity_and_then_refuses_with_the_figures(small):
    sell(small, small.diners.a)
    sell(small, None)  # a person not registered takes a place too
    with pytest.raises(ValidationError) as error:
        sell(small, small.diners.b)
    text = " ".join(error.value.messages)
    assert "供餐能力为 2 份" in text and "已预订或售出 2 份" in text and "午餐" in text
    assert Sale.objects.count() == 2
    # the other meals and days are not affected
    sell(small, small.diners.b, meal="dinner")
    sell(small, small.diners.b, on=TUESDAY)


def test_a_refund_frees_the_place(small):
    first = sell(small, small.diners.a)
    sell(small, small.diners.b)
    services.sale_refund(actor=small.users.provider_admin, sale=first, reason="点错了")
    assert services.meals_taken(small.canteen, MONDAY, "lunch") == 1
    sell(small, small.diners.c)
    assert services.meals_taken(small.canteen, MONDAY, "lunch") == 2


def test_no_capacity_set_means_no_limit(small):
    assert small.canteen.breakfast_capacity == 0
    for diner in (small.diners.a, small.diners.b, small.diners.c, None, None):
        sell(small, diner, meal="breakfast")
    assert Sale.objects.filter(meal="breakfast").count() == 5


def test_bookings_count_their_quantity_and_are_refused_beyond_the_capacity(small):
    book(small, small.diners.c, quantity=2)
    with pytest.raises(ValidationError) as error:
        book(small, small.diners.b)
    assert "供餐能力为 2 份" in " ".join(error.value.messages)
    assert MealBooking.objects.count() == 1
    # the counter is full too for that meal
    with pytest.raises(ValidationError):
        sell(small, small.diners.a, on=TUESDAY)


def test_a_cancelled_booking_frees_its_place(small):
    first = book(small, small.diners.c, quantity=2)
    delivery.booking_cancel(actor=small.users.operator, booking=first)
    book(small, small.diners.b, quantity=2)
    assert services.meals_taken(small.canteen, TUESDAY, "lunch") == 2


def test_a_booked_diner_eating_in_keeps_the_place_and_is_counted_once(small):
    book(small, small.diners.c, mode="dine_in")
    sell(small, None, on=TUESDAY)
    assert services.meals_taken(small.canteen, TUESDAY, "lunch") == 2
    sale = sell(small, small.diners.c, on=TUESDAY)  # full, but the place was booked
    assert sale.pk and services.meals_taken(small.canteen, TUESDAY, "lunch") == 2
    with pytest.raises(ValidationError):
        sell(small, small.diners.a, on=TUESDAY)


def test_the_courier_delivers_a_booked_meal_when_the_counter_is_full(small):
    book(small, small.diners.c)
    sell(small, None, on=TUESDAY)
    rounds, left_out = delivery.round_plan(actor=small.users.provider_admin, canteen=small.canteen, date=TUESDAY,
                                           meal="lunch", couriers=["小李"], capacity=5)
    assert not left_out
    stop = rounds[0].stops.get()
    done = delivery.stop_record(actor=small.users.provider_admin, stop=stop, delivered=True)
    assert done.booking.sale is not None
    assert services.meals_taken(small.canteen, TUESDAY, "lunch") == 2


def test_a_meal_not_delivered_frees_its_place(small):
    book(small, small.diners.c, quantity=2)
    rounds, _left = delivery.round_plan(actor=small.users.provider_admin, canteen=small.canteen, date=TUESDAY,
                                        meal="lunch", couriers=["小李"], capacity=5)
    delivery.stop_record(actor=small.users.provider_admin, stop=rounds[0].stops.get(), delivered=False,
                         reason="老人住院")
    assert services.meals_taken(small.canteen, TUESDAY, "lunch") == 0


def test_the_till_page_and_the_api_answer_a_full_meal_clearly(client, api_as, small):
    small.canteen.lunch_capacity = 1
    small.canteen.save()
    sell(small, small.diners.a, on=dt.date.today())
    client.force_login(small.users.provider_admin)
    url = reverse("meals:till", args=[small.canteen.pk])
    page = client.post(url, {"diner": small.diners.b.pk, "meal": "lunch", "mode": "dine_in", "payment": "cash",
                             f"qty_{small.set_meal.pk}": "1", "token": "t-full", "action": "pay"})
    assert page.status_code == 400 and "供餐能力为 1 份" in page.content.decode()
    response = api_as(small.users.provider_admin).post(
        "/api/v1/meal-checkouts/", {"canteen": small.canteen.pk, "diner": {"card": "B0001"}, "meal": "lunch",
                                    "lines": [{"dish": small.set_meal.pk, "quantity": 1}]}, format="json")
    assert response.status_code == 400 and "供餐能力为 1 份" in response.content.decode()
    assert Sale.objects.count() == 1


def test_two_counters_at_once_sell_the_last_place_once(small, race):
    small.canteen.lunch_capacity = 1
    small.canteen.save()

    def counter(diner):
        return lambda: sell(small, diner)

    results = race.run(counter(small.diners.a), counter(small.diners.b))
    sold = [r for r in results if isinstance(r, Sale)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(sold) == 1 and len(refused) == 1, results
    assert Sale.objects.count() == 1
