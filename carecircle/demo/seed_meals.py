"""The demo district's community canteens: every meal point of the providers register becomes a canteen with a
dozen dishes, a week of published lunch and dinner menus, real-name diners enrolled from the register, two weeks
of meals sold with their subsidies (priced by the same rules as the till), tomorrow's delivery bookings and a
planned round at the canteen in Tianping street, whose operator gets a demo login (`canteen_operator`) to try
the till."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.core.roles import Role
from carecircle.elders.models import Elder, ElderStatus
from carecircle.meals import services
from carecircle.meals.models import Canteen, Diner, Dish, MealBooking, Menu, Sale, SaleLine
from carecircle.providers.models import Facility, FacilityKind

DISHES = (
    ("两荤一素一汤", "15.00", "一份", "", ["soft"], True, "红烧肉、清蒸鱼块、炒青菜、番茄蛋汤"),
    ("一荤两素一汤", "12.00", "一份", "", ["low_salt"], True, "肉末茄子、炒青菜、土豆丝、紫菜汤"),
    ("糖尿病套餐", "16.00", "一份", "", ["low_sugar", "low_salt"], True, "清蒸鸡、西兰花、杂粮饭、冬瓜汤"),
    ("红烧狮子头", "8.00", "两只", "小麦", ["soft"], False, ""),
    ("清蒸鲈鱼", "12.00", "半条", "鱼", ["low_salt"], False, ""),
    ("番茄炒蛋", "5.00", "一份", "鸡蛋", ["soft"], False, ""),
    ("清炒时蔬", "3.50", "一份", "", ["low_salt", "low_sugar"], False, ""),
    ("麻婆豆腐", "4.50", "一份", "大豆", ["soft"], False, ""),
    ("牛肉烩饭", "13.00", "一份", "", ["halal"], False, ""),
    ("白米饭", "1.00", "一碗", "", [], False, ""),
    ("小米粥", "2.00", "一碗", "", ["soft", "low_sugar"], False, ""),
    ("紫菜蛋花汤", "2.50", "一碗", "鸡蛋", ["low_salt"], False, ""),
)
OPERATOR_USERNAME = "canteen_operator"
OPERATOR_PASSWORD = "Demo-2026!canteen"
DINERS_PER_CANTEEN = 12
DAYS_OF_SALES = 14


@transaction.atomic
def demo_meals_seed(*, rng: random.Random, as_of: dt.date) -> dict:
    """Returns the counts and, under "accounts", the canteen operator's demo login (to print with the others)."""
    facilities = list(Facility.objects.filter(kind=FacilityKind.MEAL_POINT, is_active=True)
                      .select_related("community__parent", "organisation").order_by("id"))
    if not facilities:
        return {"canteens": 0, "accounts": []}
    published = timezone.now()
    card = 100000
    tianping = None
    for facility in facilities:
        canteen = Canteen.objects.create(
            facility=facility, opening_hours=facility.opening_hours or "10:30-13:00, 16:30-18:00",
            seats=rng.randrange(20, 80), breakfast_capacity=0, lunch_capacity=rng.randrange(100, 300),
            dinner_capacity=rng.randrange(40, 120))
        canteen.delivery_area.set([facility.community])
        dishes = [Dish.objects.create(canteen=canteen, name=name, price=Decimal(price), portion=portion,
                                      allergens=allergens, diet_tags=tags, is_set_meal=is_set, components=parts)
                  for name, price, portion, allergens, tags, is_set, parts in DISHES]
        for offset in range(7):
            for meal in ("lunch", "dinner"):
                menu = Menu.objects.create(canteen=canteen, date=as_of + dt.timedelta(days=offset), meal=meal,
                                           published_at=published)
                menu.dishes.set(dishes[:3] + rng.sample(dishes[3:], 5))
        elders = list(Elder.objects.filter(community=facility.community, status=ElderStatus.ACTIVE,
                                           diner__isnull=True).order_by("id")[:DINERS_PER_CANTEEN * 3])
        diners = []
        for elder in rng.sample(elders, min(DINERS_PER_CANTEEN, len(elders))):
            card += 1
            diners.append(Diner.objects.create(elder=elder, card_number=f"XH{card}",
                                               qr_token=f"{rng.getrandbits(128):032x}",
                                               balance=Decimal(rng.choice((0, 50, 100, 200)))))
        for offset in range(DAYS_OF_SALES, 0, -1):
            day = as_of - dt.timedelta(days=offset)
            for diner in diners:
                if rng.random() < 0.35:
                    continue
                lines = [services.CheckoutLine(rng.choice(dishes[:3]), 1)]
                if rng.random() < 0.4:
                    lines.append(services.CheckoutLine(rng.choice(dishes[3:]), 1))
                _sell(canteen, diner, lines, day)
            if rng.random() < 0.5:
                _sell(canteen, None, [services.CheckoutLine(dishes[1], 1)], day)
        if tianping is None and facility.community.parent and facility.community.parent.name == "天平路街道":
            tianping = (canteen, dishes, diners)
    if tianping is None:
        canteen = Canteen.objects.order_by("id").first()
        tianping = (canteen, list(canteen.dishes.all()), list(Diner.objects.filter(sales__canteen=canteen).distinct()))
    canteen, dishes, diners = tianping
    tomorrow = as_of + dt.timedelta(days=1)
    for diner in diners[:6]:
        MealBooking.objects.create(canteen=canteen, diner=diner, date=tomorrow, meal="lunch", mode="delivery",
                                   dish=dishes[0], channel="hotline", booked_by=None)
    services.round_plan(actor=None, canteen=canteen, date=tomorrow, meal="lunch", couriers=["送餐员一"],
                        capacity=10)
    return {"canteens": len(facilities), "diners": Diner.objects.count(), "sales": Sale.objects.count(),
            "accounts": [_operator_login(canteen)]}


def _operator_login(canteen: Canteen):
    """The staff login of the organisation running the Tianping canteen: it opens that canteen's till, its
    dishes, menus, delivery rounds and monthly claim (and those of the operator's other canteens)."""
    from .services import DemoAccount

    organisation = canteen.facility.organisation
    User.objects.create_user(username=OPERATOR_USERNAME, password=OPERATOR_PASSWORD, role=Role.PROVIDER_ADMIN,
                             organisation=organisation)
    return DemoAccount(username=OPERATOR_USERNAME, password=OPERATOR_PASSWORD, role=Role.PROVIDER_ADMIN,
                       scope=organisation.name)


def _sell(canteen, diner, lines, day):
    split = services.price_meal(canteen, diner, lines, on=day, meal="lunch", mode="dine_in")
    sale = Sale.objects.create(canteen=canteen, diner=diner, date=day, meal="lunch", mode="dine_in",
                               subsidy_class=split.subsidy_class, total=split.total, subsidy=split.subsidy,
                               delivery_subsidy=split.delivery_subsidy, self_pay=split.self_pay, payment="cash",
                               rules=services.rules_json(split))
    SaleLine.objects.bulk_create([SaleLine(sale=sale, dish=line.dish, quantity=line.quantity,
                                           unit_price=line.dish.price, amount=line.dish.price * line.quantity)
                                  for line in lines])
