"""Rows for the access matrix (tests/test_access_matrix.py): a canteen in street A (the district's home-care
provider), street B (the other provider) and the neighbouring district, each with a dish, a published menu, a
sale to a registered diner and a monthly claim."""

import datetime as dt
from decimal import Decimal


def make_meals(world):
    from carecircle.meals.models import (
        Canteen, DeliveryRound, DeliveryStop, Diner, Dish, MealBooking, MealClaim, Menu, Sale, SaleLine,
    )
    from carecircle.providers.models import Facility

    if Canteen.objects.exists():
        return
    d = world.district
    day = dt.date(2026, 11, 3)
    places = ((d.provider, d.a1, d.elders.a1), (d.other_provider, d.b1, d.elders.b1),
              (world.outside.provider, world.outside.community, world.outside.elder))
    for number, (org, community, elder) in enumerate(places, start=1):
        facility = Facility.objects.create(organisation=org, name=f"{community.name}长者食堂", kind="meal_point",
                                           community=community, lat=community.centroid_lat or "31.2",
                                           lng=community.centroid_lng or "121.44")
        canteen = Canteen.objects.create(facility=facility, opening_hours="11:00-13:00", seats=30, lunch_capacity=100)
        dish = Dish.objects.create(canteen=canteen, name="两荤一素一汤", price=Decimal("15.00"), is_set_meal=True,
                                   components="两荤一素一汤")
        menu = Menu.objects.create(canteen=canteen, date=day, meal="lunch", published_at=dt.datetime(2026, 10, 27, 9,
                                                                                                      tzinfo=dt.UTC))
        menu.dishes.set([dish])
        diner = Diner.objects.create(elder=elder, card_number=f"M{number:04d}", qr_token=f"matrix-qr-{number}")
        sale = Sale.objects.create(canteen=canteen, diner=diner, date=day, meal="lunch", subsidy_class="C",
                                   total=Decimal("15.00"), subsidy=Decimal("3.00"), self_pay=Decimal("12.00"),
                                   payment="cash", rules=[{"code": "meals.class_c", "params": {"age": 86,
                                                                                               "senior_age": 80}}])
        SaleLine.objects.create(sale=sale, dish=dish, quantity=1, unit_price=dish.price, amount=dish.price)
        booking = MealBooking.objects.create(canteen=canteen, diner=diner, date=day, meal="dinner", dish=dish,
                                             channel="staff", status="planned")
        delivery_round = DeliveryRound.objects.create(canteen=canteen, date=day, meal="dinner", courier="送餐员",
                                                      capacity=5)
        DeliveryStop.objects.create(round=delivery_round, booking=booking, sequence=1, eta=dt.time(16, 50))
        MealClaim.objects.create(canteen=canteen, month=dt.date(2026, 11, 1), meals=1, subsidy=Decimal("3.00"),
                                 delivery_subsidy=Decimal("0.00"), by_class={"C": {"meals": 1, "subsidy": "3.00",
                                                                                   "delivery_subsidy": "0.00"}})
    # the elder in street A2 is enrolled too, without sales
    Diner.objects.create(elder=d.elders.a2, card_number="M0009", qr_token="matrix-qr-9")


MAKERS = {
    "meals.canteen": make_meals,
    "meals.dish": make_meals,
    "meals.menu": make_meals,
    "meals.diner": make_meals,
    "meals.sale": make_meals,
    "meals.mealclaim": make_meals,
    "meals.mealbooking": make_meals,
    "meals.deliveryround": make_meals,
    "meals.deliverystop": make_meals,
}

URL_OBJECTS = {
    "meals:claim-export": {"pk": "meals.mealclaim"},
}


def _checkout_body(world, user):
    from carecircle.core.isolation import acts_for, visible_to
    from carecircle.meals.models import Canteen, Dish

    canteen = next((c for c in visible_to(user, Canteen).order_by("pk") if acts_for(user, c)), None)
    dish = Dish.objects.filter(canteen=canteen).first() if canteen else None
    return {"canteen": canteen.pk if canteen else None, "lines": [{"dish": dish.pk if dish else 0, "quantity": 1}],
            "mode": "dine_in", "meal": "lunch", "payment": "cash"}


def _booking_body(world, user):
    from carecircle.core.isolation import visible_to
    from carecircle.meals.models import Diner, Dish

    diner = visible_to(user, Diner).order_by("pk").first()
    dish = Dish.objects.order_by("pk").first()
    return {"diner": diner.pk if diner else None, "dish": dish.pk if dish else None, "date": "2026-12-31",
            "meal": "lunch", "mode": "dine_in", "quantity": 1}


WRITE_BODIES = {"api-meal-checkout-list": _checkout_body, "api-meal-booking-list": _booking_body}
