"""Catalogue pages: list with search, filters, empty state and CSV; details; the audited item edit; contract
prices; the funding-rules page; the quote calculator."""
import datetime as dt

import pytest
from django.test import Client

from carecircle.catalog.models import ContractPrice, ServiceItem
from carecircle.core.models import AuditEvent


@pytest.fixture
def client_as():
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


def test_item_list_search_filter_and_empty_state(client_as, users, catalogue):
    client = client_as(users.street_staff)
    page = client.get("/catalog/").content.decode()
    assert "ltci-b01" in page and "头面部清洁、梳理" in page
    page = client.get("/catalog/?help_kind=bathing").content.decode()
    assert "gb-bathing" in page and "ltci-b01" not in page
    page = client.get("/catalog/?q=PICC").content.decode()
    assert "ltci-c15" in page and "gb-meal" not in page
    page = client.get("/catalog/?q=不存在的服务").content.decode()
    assert "没有符合条件的服务项目" in page


def test_item_csv_export(client_as, users, catalogue):
    response = client_as(users.inspector).get("/catalog/export.csv?category=ltci_clinical")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "ltci-c01" in body and "执业护士" in body and "ltci-b01" not in body
    assert len(body.strip().splitlines()) == 1 + 16


def test_item_detail_shows_the_price_in_force_and_its_rule(client_as, users, policy, catalogue):
    page = client_as(users.district_admin).get(f"/catalog/items/{catalogue['gb-bathing'].pk}/").content.decode()
    assert "80.00" in page and "服务项目单价（按项目编码）：助浴服务" in page and "catalog.price" not in page and "六助基础服务包" in page


def test_item_edit_is_audited_and_needs_a_reason(client_as, users, catalogue):
    item = catalogue["gb-adapt-special"]
    url = f"/catalog/items/{item.pk}/edit/"
    assert client_as(users.street_staff).get(url).status_code == 403
    client = client_as(users.district_admin)
    form = {"name": item.name, "name_en": item.name_en, "category": item.category, "help_kind": "",
            "programme": item.programme, "unit": item.unit, "standard_minutes": 0, "required_qualification": "",
            "description": "", "is_active": ""}
    response = client.post(url, {**form, "reason": ""})
    assert response.status_code == 200 and ServiceItem.objects.get(pk=item.pk).is_active
    response = client.post(url, {**form, "reason": "本区暂停专项改造"})
    assert response.status_code == 302
    assert not ServiceItem.objects.get(pk=item.pk).is_active
    event = AuditEvent.objects.get(action="catalog.item_update", subject_id=str(item.pk))
    assert event.changes["is_active"] == [True, False] and event.reason == "本区暂停专项改造"
    bad = client.post(url, {**form, "programme": "ltci;drop", "reason": "x"})
    assert bad.status_code == 200 and "资金渠道标记" in bad.content.decode()


def test_packages_pages(client_as, users, policy, catalogue):
    client = client_as(users.provider_admin)
    page = client.get("/catalog/packages/").content.decode()
    assert "助餐与紧急救助服务包" in page and "330.00" in page
    from carecircle.catalog.models import ServicePackage

    package = ServicePackage.objects.get(code="pkg-day-care")
    page = client.get(f"/catalog/packages/{package.pk}/").content.decode()
    assert "day-care" in page and "1100.00" in page


def test_contract_price_form(client_as, users, policy, catalogue):
    client = client_as(users.district_admin)
    assert client.get("/catalog/prices/").status_code == 200
    response = client.post("/catalog/prices/new/", {"organisation": policy.provider.pk, "item": "gb-bathing",
                                                     "unit_price": "68.00", "effective_from": "2026-12-01",
                                                     "note": "2027 年协议"})
    assert response.status_code == 302
    assert ContractPrice.objects.get().unit_price == 68
    bad = client.post("/catalog/prices/new/", {"organisation": policy.provider.pk, "item": "gb-bathing",
                                               "unit_price": "68.00", "effective_from": "2026-12-01",
                                               "effective_until": "2026-01-01"})
    assert bad.status_code == 200 and "截止日期不能早于生效日期" in bad.content.decode()
    assert client_as(users.provider_admin).get("/catalog/prices/new/").status_code == 403
    page = client_as(users.provider_admin).get("/catalog/prices/").content.decode()
    assert "68.00" in page
    assert "68.00" not in client_as(users.street_staff_b).get("/catalog/prices/").content.decode()


def test_funding_rules_page(client_as, users, policy):
    page = client_as(users.district_admin).get("/catalog/funding/?on=2026-11-20").content.decode()
    assert "不享受长护险居家照护" in page  # level 1
    assert "90%" in page and "85%" in page and "待核实" in page
    assert "长护险居家照护每周上门次数（按评估等级）" in page and ">ltci.home.visits_per_week<" not in page
    assert "1036.00" in page  # the care-subsidy table for min_living


def test_funding_rules_page_in_english(client_as, users, policy):
    client = client_as(users.district_admin)
    client.cookies["django_language"] = "en"
    page = client.get("/catalog/funding/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "LTCI home-care entitlement by assessment level" in page


def test_quote_calculator(client_as, users, policy, catalogue):
    client = client_as(users.community_worker)
    response = client.post("/catalog/quote/", {"elder": policy.elders.a1.pk, "on": "2026-11-20", "basis": "order",
                                               "item_1": "gb-bathing", "quantity_1": "1", "item_2": "gb-meal",
                                               "quantity_2": "2"})
    page = response.content.decode()
    assert response.status_code == 200 and "110.00" in page and "服务项目单价（按项目编码）：助餐服务" in page
    outside = client.post("/catalog/quote/", {"elder": policy.elders.b1.pk, "on": "2026-11-20", "basis": "order",
                                              "item_1": "gb-meal", "quantity_1": "1"}).content.decode()
    assert "没有编号为" in outside and policy.elders.b1.name not in outside
    fraction = client.post("/catalog/quote/", {"elder": policy.elders.a1.pk, "on": "2026-11-20", "basis": "order",
                                               "item_1": "gb-meal", "quantity_1": "1.5"}).content.decode()
    assert "整数" in fraction
    assert client_as(users.inspector).get("/catalog/quote/").status_code == 403


def test_item_create_is_audited_and_refuses_a_taken_code(client_as, users, catalogue):
    client = client_as(users.district_admin)
    form = {"code": "xh-foot-care", "name": "足部护理", "name_en": "Foot care", "category": "basic_care",
            "help_kind": "", "programme": "gov_purchase, market", "unit": "time", "standard_minutes": 30,
            "required_qualification": "", "description": "", "is_active": "on", "reason": "本区新增"}
    response = client.post("/catalog/items/new/", form)
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="xh-foot-care")
    assert item.programme == "gov_purchase,market"
    assert AuditEvent.objects.filter(action="catalog.item_create", subject_id=str(item.pk)).exists()
    again = client.post("/catalog/items/new/", form)
    assert again.status_code == 200 and ServiceItem.objects.filter(code="xh-foot-care").count() == 1
    assert client_as(users.street_staff).get("/catalog/items/new/").status_code == 403
