import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from carecircle.conftest import make_elder, seed_policy

MONDAY = dt.date(2026, 12, 7)
MEAL_KEYS = ("meals.min_age", "meals.subsidy.senior_age", "meals.subsidy.hardship_categories",
             "meals.subsidy.registrations", "meals.dine_in.subsidy_per_day", "meals.subsidy.weekly_cap",
             "meals.dine_in.min_spend", "meals.delivery.subsidy_per_day", "meals.delivery.min_care_level",
             "meals.subsidy_follows_residence", "meals.delivery.meal_times", "meals.delivery.window_minutes",
             "meals.delivery.stop_minutes", "meals.welfare.regular_meals", "meals.welfare.quiet_days")


def make_canteen(organisation, community, name="天平长者食堂", lat="31.205", lng="121.445"):
    from carecircle.meals.models import Canteen
    from carecircle.providers.models import Facility

    facility = Facility.objects.create(organisation=organisation, name=name, kind="meal_point", community=community,
                                       lat=lat, lng=lng)
    return Canteen.objects.create(facility=facility, opening_hours="11:00-13:00, 17:00-18:30", seats=40,
                                  lunch_capacity=200, dinner_capacity=100)


def set_level(elder, level, since=dt.date(2026, 1, 1)):
    from carecircle.assessment.models import CareLevel

    return CareLevel.objects.create(elder=elder, level=level, valid_from=since, programme="ltci",
                                    source="external", external_source="测试")


@pytest.fixture
def meals(district, users):
    """A canteen run by the district's home-care provider in community A1, one in B1 run by the other
    provider, dishes, and diners of every class."""
    from carecircle.meals.models import Diner, Dish

    seed_policy(*MEAL_KEYS)
    canteen = make_canteen(district.provider, district.a1)
    other = make_canteen(district.other_provider, district.b1, name="枫林助餐点", lat="31.19", lng="121.46")
    set_meal = Dish.objects.create(canteen=canteen, name="两荤一素一汤", price=D("15.00"), is_set_meal=True,
                                   components="红烧肉、清蒸鱼、青菜、番茄蛋汤", diet_tags=["soft"])
    noodles = Dish.objects.create(canteen=canteen, name="阳春面", price=D("8.50"), diet_tags=["low_salt"])
    soup = Dish.objects.create(canteen=canteen, name="紫菜汤", price=D("2.25"))
    foreign_dish = Dish.objects.create(canteen=other, name="菜饭", price=D("16.00"))
    # born so that on MONDAY: class_b is 70, class_c is 86 (district.elders.a1), class_a 65 on minimum living
    class_b = make_elder(district.a1, name="周立新", birth=dt.date(1956, 3, 3))
    class_a = make_elder(district.a2, name="吴桂兰", gender="F", birth=dt.date(1961, 6, 6),
                         economic_category="min_living")
    deceased = make_elder(district.a1, name="郑老伯", birth=dt.date(1938, 1, 1), status="deceased",
                          status_date=dt.date(2026, 11, 1))
    diners = SimpleNamespace(
        c=Diner.objects.create(elder=district.elders.a1, card_number="C0001", qr_token="qr-c"),
        b=Diner.objects.create(elder=class_b, card_number="B0001", qr_token="qr-b"),
        a=Diner.objects.create(elder=class_a, card_number="A0001", qr_token="qr-a", balance=D("50.00")),
        deceased=Diner.objects.create(elder=deceased, card_number="D0001", qr_token="qr-d"),
        street_b=Diner.objects.create(elder=district.elders.b1, card_number="F0001", qr_token="qr-f"),
    )
    return SimpleNamespace(canteen=canteen, other=other, set_meal=set_meal, noodles=noodles, soup=soup,
                           foreign_dish=foreign_dish, diners=diners, district=district, users=users)
