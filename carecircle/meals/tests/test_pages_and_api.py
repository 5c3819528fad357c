import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals
from carecircle.meals import services
from carecircle.meals.models import Sale



def test_till_identifies_by_card_quotes_with_the_rule_and_takes_payment(client, meals):
    client.force_login(meals.users.provider_admin)
    url = reverse("meals:till", args=[meals.canteen.pk])
    page = client.get(url, {"card": "A0001"})
    assert page.status_code == 200 and "吴桂兰" in page.content.decode()
    assert_no_internals(page.content.decode(), where="till")
    body = {"diner": meals.diners.a.pk, "meal": "lunch", "mode": "dine_in", "payment": "cash",
            f"qty_{meals.set_meal.pk}": "1", "token": "t-1"}
    quote = client.post(url, {**body, "action": "quote"})
    html = quote.content.decode()
    assert quote.status_code == 200 and "应付 9.00 元" in html and "A 类" in html
    assert not Sale.objects.exists()
    paid = client.post(url, {**body, "action": "pay"})
    sale = Sale.objects.get()
    assert paid.status_code == 302 and paid.url == reverse("meals:sale-detail", args=[sale.pk])
    again = client.post(url, {**body, "action": "pay"})  # a double tap on the same page: the same sale
    assert again.url == paid.url and Sale.objects.count() == 1
    receipt = client.get(paid.url)
    assert "个人支付 9.00 元" in receipt.content.decode()
    assert_no_internals(receipt.content.decode(), where="receipt")


def test_till_search_by_name_and_unknown_card(client, meals):
    client.force_login(meals.users.provider_admin)
    url = reverse("meals:till", args=[meals.canteen.pk])
    page = client.get(url, {"name": "王"}).content.decode()
    assert "王建国" in page and "卡号尾号 0001" in page  # a diner of street B eats here too
    assert "没有找到这张助餐卡" in client.get(url, {"card": "nope"}).content.decode()


@pytest.mark.parametrize("bad", [{"qty_X": "1"}, {"meal": "supper"}, {"diner": "abc"}, {"diner": "999999"}])
def test_till_bad_input_is_a_clear_4xx(client, meals, bad):
    client.force_login(meals.users.provider_admin)
    body = {"meal": "lunch", "mode": "dine_in", "payment": "cash", "action": "pay",
            f"qty_{meals.set_meal.pk}": "1"}
    if "qty_X" in bad:
        body[f"qty_{meals.set_meal.pk}"] = "x"
    else:
        body.update(bad)
    response = client.post(reverse("meals:till", args=[meals.canteen.pk]), body)
    assert 400 <= response.status_code < 500 and not Sale.objects.exists()


def test_till_top_up(client, meals):
    client.force_login(meals.users.provider_admin)
    url = reverse("meals:till", args=[meals.canteen.pk])
    response = client.post(url, {"diner": meals.diners.b.pk, "action": "top_up", "amount": "20.50"})
    assert response.status_code == 302
    meals.diners.b.refresh_from_db()
    assert meals.diners.b.balance == D("20.50")
    assert client.post(url, {"diner": meals.diners.b.pk, "action": "top_up", "amount": "-1"}).status_code == 400


def test_operator_sees_only_its_canteens(client, meals):
    client.force_login(meals.users.provider_admin)
    listing = client.get(reverse("meals:canteen-list")).content.decode()
    assert "天平长者食堂" in listing and "枫林助餐点" not in listing
    assert client.get(reverse("meals:canteen-detail", args=[meals.other.pk])).status_code == 404
    assert client.get(reverse("meals:till", args=[meals.other.pk])).status_code == 404
    client.force_login(meals.users.street_staff)
    assert client.get(reverse("meals:till", args=[meals.canteen.pk])).status_code == 403


def test_big_type_menu_and_printable(client, meals):
    services.menu_publish(actor=meals.users.provider_admin, canteen=meals.canteen, date=timezone.localdate(),
                          meal="lunch", dishes=[meals.set_meal, meals.noodles])
    for user in (meals.users.elder, meals.users.family, meals.users.street_staff):
        client.force_login(user)
        page = client.get(reverse("meals:menu-board"))
        html = page.content.decode()
        assert page.status_code == 200 and "阳春面" in html and "age-friendly" in html and "低盐" in html
        assert_no_internals(html, allow=("street_a",), where="menu")
    assert "阳春面" in client.get(reverse("meals:menu-print")).content.decode()
    client.force_login(meals.users.caregiver)
    assert client.get(reverse("meals:menu-board")).status_code == 403


def test_diner_registration_page(client, meals):
    from carecircle.conftest import make_elder

    elder = make_elder(meals.district.a1, name="孙美华", gender="F", birth=dt.date(1950, 1, 1))
    client.force_login(meals.users.street_staff)
    page = client.get(reverse("meals:diner-register"), {"q": "孙美华"}).content.decode()
    assert "孙美华" in page and elder.id_number not in page
    response = client.post(reverse("meals:diner-register"), {"elder": elder.pk, "card_number": "S1234"})
    assert response.status_code == 302 and elder.diner.card_number == "S1234"
    assert "孙美华" in client.get(reverse("meals:diner-list")).content.decode()


def test_claim_pages_review_and_audited_export(client, meals):
    november = dt.date(2026, 11, 2)
    services.checkout(actor=meals.users.provider_admin, canteen=meals.canteen, diner=meals.diners.a,
                      lines=[(meals.set_meal, 1)], meal="lunch", payment="cash", on=november)
    client.force_login(meals.users.provider_admin)
    for bad in ("2026-13", "11/2026", ""):
        # Canteen actions come back to the canteen's page with the reason shown there.
        refused = client.post(reverse("meals:claim-submit", args=[meals.canteen.pk]), {"month": bad}, follow=True)
        assert refused.status_code == 200 and "YYYY-MM" in refused.content.decode()
    assert not meals.canteen.claims.exists()
    response = client.post(reverse("meals:claim-submit", args=[meals.canteen.pk]), {"month": "2026-11"})
    assert response.status_code == 302
    claim = meals.canteen.claims.get()
    assert claim.subsidy == D("6.00")
    client.force_login(meals.users.street_staff)
    detail = client.get(reverse("meals:claim-detail", args=[claim.pk])).content.decode()
    assert "6.00" in detail and "A 类" in detail
    assert_no_internals(detail, allow=("street_a",), where="claim")
    export = client.get(reverse("meals:claim-export", args=[claim.pk]))
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "吴桂兰" in rows[1] and "6.00" in rows[1]
    assert AuditEvent.objects.filter(action="core.export").exists() or AuditEvent.objects.filter(
        subject_type="meals.mealclaim").exists()
    client.post(reverse("meals:claim-review", args=[claim.pk]), {"decision": "approve", "note": ""})
    claim.refresh_from_db()
    assert claim.status == "approved"
    client.force_login(meals.users.street_staff_b)
    assert client.get(reverse("meals:claim-detail", args=[claim.pk])).status_code == 404


def test_api_checkout_adds_up_and_is_idempotent(api_as, meals):
    client = api_as(meals.users.provider_admin)
    body = {"canteen": meals.canteen.pk, "diner": {"card": "C0001"},
            "lines": [{"dish": meals.set_meal.pk, "quantity": 1}, {"dish": meals.soup.pk, "quantity": 2}],
            "mode": "dine_in", "meal": "lunch"}
    first = client.post("/api/v1/meal-checkouts/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["total"], data["subsidy"], data["self_pay"]) == ("19.50", "3.00", "16.50")
    assert D(data["subsidy"]) + D(data["self_pay"]) == D(data["total"])
    assert any("C 类" in rule for rule in data["rules"])
    again = client.post("/api/v1/meal-checkouts/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    by_elder = client.post("/api/v1/meal-checkouts/", {**body, "diner": {"elder": meals.diners.b.elder.pk}},
                           format="json")
    assert by_elder.status_code == 201 and by_elder.json()["subsidy_class"] == "B"


@pytest.mark.parametrize("change", [
    {"lines": []}, {"lines": [{"dish": 0, "quantity": 1}]}, {"diner": {"card": "nope"}},
    {"diner": {"card": "C0001", "elder": 1}}, {"mode": "drone"}, {"canteen": "x"},
    {"payment": "balance", "diner": None},
])
def test_api_checkout_bad_input_is_400(api_as, meals, change):
    client = api_as(meals.users.provider_admin)
    body = {"canteen": meals.canteen.pk, "lines": [{"dish": meals.set_meal.pk, "quantity": 1}], "meal": "lunch",
            **change}
    response = client.post("/api/v1/meal-checkouts/", body, format="json")
    assert response.status_code == 400, response.content
    assert not Sale.objects.exists()


def test_api_checkout_at_another_operators_canteen_is_refused(api_as, meals):
    client = api_as(meals.users.provider_admin)
    body = {"canteen": meals.other.pk, "lines": [{"dish": meals.foreign_dish.pk, "quantity": 1}], "meal": "lunch"}
    assert client.post("/api/v1/meal-checkouts/", body, format="json").status_code in (400, 403, 404)
    assert not Sale.objects.exists()


def test_api_lists(api_as, meals):
    client = api_as(meals.users.provider_admin)
    canteens = client.get("/api/v1/canteens/").json()
    names = [c["name"] for c in canteens.get("results", canteens)]
    assert names == ["天平长者食堂"]
    dishes = client.get(f"/api/v1/dishes/?canteen={meals.canteen.pk}").json()
    assert {d["name"] for d in dishes.get("results", dishes)} == {"两荤一素一汤", "阳春面", "紫菜汤"}
    assert client.get("/api/v1/dishes/?canteen=abc").status_code == 400
    assert client.get("/api/v1/meal-menus/").status_code == 200
