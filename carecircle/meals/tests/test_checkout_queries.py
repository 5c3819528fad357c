"""The checkout's database work does not grow with the lines of the meal (no query per dish), and the till's
parameters read in one query are those `parameter_in_force` finds one by one."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecircle.core.policy import parameter_in_force, parameters_in_force
from carecircle.meals import services

from .conftest import MEAL_KEYS


def _post(client, meals, lines, key, meal="lunch"):
    body = {"canteen": meals.canteen.pk, "diner": {"card": "C0001"}, "lines": lines, "mode": "dine_in",
            "meal": meal}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/meal-checkouts/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return len(queries.captured_queries)


def test_a_checkout_costs_the_same_queries_for_one_dish_or_three(api_as, meals):
    client = api_as(meals.users.provider_admin)
    _post(client, meals, [{"dish": meals.soup.pk, "quantity": 1}], "warm", meal="breakfast")  # caches warmed
    one = _post(client, meals, [{"dish": meals.set_meal.pk, "quantity": 1}], "one")
    three = _post(client, meals, [{"dish": meals.set_meal.pk, "quantity": 1}, {"dish": meals.soup.pk, "quantity": 2},
                                  {"dish": meals.noodles.pk, "quantity": 1}], "three", meal="dinner")
    assert one == three
    assert one <= 24, one  # the whole request: session, token, canteen, diner and lock, policy, sums, writes


def test_the_parameters_read_together_are_those_read_one_by_one(meals):
    region = meals.diners.a.elder.community
    together = parameters_in_force(MEAL_KEYS, region=region, on=services.timezone.localdate())
    for key in MEAL_KEYS:
        assert together[key] == parameter_in_force(key, region=region, on=services.timezone.localdate()), key
    assert parameters_in_force(["meals.no_such_key"], region=region) == {"meals.no_such_key": None}
