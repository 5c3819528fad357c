"""The demo canteens: a canteen per meal point with dishes, menus, diners, sales priced by the till's rules,
tomorrow's delivery round, and the operator's login."""
import datetime as dt
import random

from carecircle.meals.models import Canteen, DeliveryRound, Diner, Menu, Sale

from .conftest import MEAL_KEYS, MONDAY


def test_demo_canteens(district, users):
    from carecircle.conftest import make_elder, seed_policy
    from carecircle.demo.seed_meals import demo_meals_seed
    from carecircle.providers.models import Facility

    seed_policy(*MEAL_KEYS)
    Facility.objects.create(organisation=district.provider, name="天平助餐点", kind="meal_point", community=district.a1,
                            lat="31.205", lng="121.445")
    for number in range(4):
        make_elder(district.a1, name=f"饭友{number}", birth=dt.date(1940 + number * 5, 1, 1))
    counts = demo_meals_seed(rng=random.Random(1), as_of=MONDAY)
    canteen = Canteen.objects.get()
    assert Menu.objects.filter(canteen=canteen, published_at__isnull=False).count() == 14
    assert Diner.objects.count() == 5  # every active elder of the community, up to the demo's number
    sales = Sale.objects.filter(canteen=canteen)
    assert sales.exists() and all(s.subsidy + s.delivery_subsidy + s.self_pay == s.total for s in sales)
    assert sales.filter(diner__isnull=True, subsidy=0).exists() or not sales.filter(diner__isnull=True).exists()
    assert DeliveryRound.objects.filter(date=MONDAY + dt.timedelta(days=1)).exists()
    assert counts["canteens"] == 1 and counts["diners"] == 5 and counts["sales"] == sales.count()
    # the operator's demo login opens that canteen's till
    [login] = counts["accounts"]
    assert login.username == "canteen_operator" and login.scope == canteen.facility.organisation.name
    from django.test import Client
    from django.urls import reverse

    from carecircle.accounts.models import User

    user = User.objects.get(username=login.username)
    assert user.check_password(login.password) and user.organisation == canteen.facility.organisation
    client = Client()
    client.force_login(user)
    till = client.get(reverse("meals:till", args=[canteen.pk]))
    assert till.status_code == 200 and "收银台" in till.content.decode()
