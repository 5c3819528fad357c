"""`GET /api/v1/service-items/`, `POST /api/v1/quotes/` exactly as specified, contract prices, entitlements."""
import datetime as dt
from decimal import Decimal as D

import pytest

from carecircle.catalog.models import ContractPrice
from carecircle.core.models import AuditEvent

QUOTES = "/api/v1/quotes/"


def test_service_items_list_every_code(api_as, users, catalogue):
    response = api_as(users.caregiver).get("/api/v1/service-items/?page_size=200")
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()["results"]}
    assert {"ltci-b01", "ltci-c15", "gb-bathing", "day-care"} <= codes
    assert response.json()["count"] == len(catalogue)


def test_service_items_filters_and_detail_by_code(api_as, users, catalogue):
    client = api_as(users.district_admin)
    rows = client.get("/api/v1/service-items/?programme=ltci&page_size=200").json()["results"]
    assert len(rows) == 44 and all("ltci" in row["programme"] for row in rows)
    rows = client.get("/api/v1/service-items/?help_kind=bathing").json()["results"]
    assert [row["code"] for row in rows] == ["gb-bathing"]
    detail = client.get("/api/v1/service-items/ltci-c01/").json()
    assert detail["required_qualification"] == "registered_nurse" and detail["unit"] == "time"
    assert client.get("/api/v1/service-items/no-such/").status_code == 404


def test_service_items_need_a_signed_in_user_with_the_capability(api_client, api_as, users, catalogue):
    assert api_client.get("/api/v1/service-items/").status_code in {401, 403}
    assert api_as(users.elder).get("/api/v1/service-items/").status_code == 403


def test_quote_answers_exactly_the_specified_shape(api_as, users, policy, catalogue):
    elder = policy.elders.a1
    response = api_as(users.street_staff).post(QUOTES, {
        "elder": elder.pk, "date": "2026-11-20",
        "lines": [{"item": "gb-bathing", "quantity": 1}, {"item": "gb-cleaning", "quantity": 1.5}]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"lines", "total", "fund", "subsidy", "self_pay"} <= set(body)
    bath, cleaning = body["lines"]
    assert {"item", "quantity", "unit_price", "amount", "fund", "subsidy", "self_pay", "rules"} <= set(bath)
    assert (bath["item"], bath["unit_price"], bath["amount"], bath["fund"], bath["subsidy"], bath["self_pay"]) == (
        "gb-bathing", "80.00", "80.00", "0.00", "0.00", "80.00")
    assert cleaning["amount"] == "60.00"
    for line in body["lines"]:
        assert D(line["fund"]) + D(line["subsidy"]) + D(line["self_pay"]) == D(line["amount"])
        assert isinstance(line["rules"], list) and line["rules"]
    assert (body["total"], body["self_pay"]) == ("140.00", "140.00")


def test_quote_elder_outside_scope_is_not_found(api_as, users, policy, catalogue):
    payload = {"elder": policy.elders.b1.pk, "date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 1}]}
    assert api_as(users.street_staff).post(QUOTES, payload, format="json").status_code == 404
    assert api_as(users.street_staff_b).post(QUOTES, payload, format="json").status_code == 200


def test_family_may_quote_for_their_own_elder_only(api_as, users, policy, catalogue):
    own = {"elder": policy.elders.a2.pk, "date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 2}]}
    client = api_as(users.family)
    assert client.post(QUOTES, own, format="json").json()["total"] == "30.00"
    assert client.post(QUOTES, {**own, "elder": policy.elders.a1.pk}, format="json").status_code == 404


def test_inspector_and_caregiver_cannot_quote(api_as, users, policy, catalogue):
    payload = {"elder": policy.elders.a1.pk, "date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 1}]}
    assert api_as(users.inspector).post(QUOTES, payload, format="json").status_code == 403
    assert api_as(users.caregiver).post(QUOTES, payload, format="json").status_code == 403


@pytest.mark.parametrize("payload,field,text", [
    ({"date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 1}]}, "elder", ""),
    ({"date": "20-11-2026", "lines": [{"item": "gb-meal", "quantity": 1}]}, "date", ""),
    ({"date": "2026-11-20", "lines": []}, "lines", ""),
    ({"date": "2026-11-20", "lines": [{"item": "nope", "quantity": 1}]}, "non_field_errors", "nope"),
    ({"date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 0}]}, "non_field_errors", "大于 0"),
    ({"date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 1}], "basis": "x"}, "basis", ""),
])
def test_quote_bad_input_is_a_clear_400(api_as, users, policy, catalogue, payload, field, text):
    payload = {"elder": policy.elders.a1.pk, **payload} if field != "elder" else payload
    response = api_as(users.district_admin).post(QUOTES, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert text in str(response.json()[field])


def test_quote_in_english(api_as, users, policy, catalogue):
    client = api_as(users.district_admin)
    response = client.post(QUOTES, {"elder": policy.elders.a1.pk, "date": "2026-11-20",
                                    "lines": [{"item": "gb-bathing", "quantity": 1}]}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    rules = " ".join(response.json()["lines"][0]["rules"])
    assert "Unit price" in rules, rules


def test_contract_price_api_create_and_scope(api_as, users, policy, catalogue):
    payload = {"organisation": policy.provider.pk, "item": "gb-bathing", "unit_price": "72.50",
               "effective_from": "2026-11-01", "note": "协议"}
    assert api_as(users.provider_admin).post("/api/v1/contract-prices/", payload, format="json").status_code == 403
    response = api_as(users.district_admin).post("/api/v1/contract-prices/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["unit_price"] == "72.50"
    assert AuditEvent.objects.filter(action="catalog.contract_price_create").count() == 1
    assert api_as(users.provider_admin).get("/api/v1/contract-prices/").json()["count"] == 1
    other = ContractPrice.objects.create(organisation=policy.other_provider, item=catalogue["gb-meal"],
                                         unit_price=D("12.00"), effective_from=dt.date(2026, 1, 1))
    rows = api_as(users.provider_admin).get("/api/v1/contract-prices/").json()["results"]
    assert other.pk not in {row["id"] for row in rows}
    bad = api_as(users.district_admin).post("/api/v1/contract-prices/", {**payload, "effective_until": "2026-01-01"},
                                            format="json")
    assert bad.status_code == 400 and "effective_until" in bad.json()


def test_entitlement_api_without_a_level_is_null(api_as, users, policy):
    client = api_as(users.street_staff)
    body = client.get(f"/api/v1/entitlements/{policy.elders.a1.pk}/?date=2026-11-20").json()
    assert body["entitlement"] is None and body["date"] == "2026-11-20"
    assert client.get(f"/api/v1/entitlements/{policy.elders.b1.pk}/").status_code == 404
    assert client.get(f"/api/v1/entitlements/{policy.elders.a1.pk}/?date=bad").status_code == 400
    assert api_as(users.family).get(f"/api/v1/entitlements/{policy.elders.a2.pk}/").status_code == 403


def test_quote_with_a_provider_outside_scope_is_not_found(api_as, users, policy, catalogue):
    """Another provider's contract prices are not readable through a quote naming that provider."""
    ContractPrice.objects.create(organisation=policy.other_provider, item=catalogue["gb-meal"],
                                 unit_price=D("11.00"), effective_from=dt.date(2026, 1, 1))
    ContractPrice.objects.create(organisation=policy.provider, item=catalogue["gb-meal"],
                                 unit_price=D("13.00"), effective_from=dt.date(2026, 1, 1))
    payload = {"elder": policy.elders.a1.pk, "date": "2026-11-20", "lines": [{"item": "gb-meal", "quantity": 1}]}
    client = api_as(users.provider_admin)
    assert client.post(QUOTES, {**payload, "provider": policy.other_provider.pk}, format="json").status_code == 404
    own = client.post(QUOTES, {**payload, "provider": policy.provider.pk}, format="json")
    assert own.status_code == 200, own.content
    assert own.json()["lines"][0]["unit_price"] == "13.00"
