import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.core.models import AuditEvent
from carecircle.core.policy import MissingPolicyParameter, policy_label
from carecircle.providers import selectors
from carecircle.providers.credit_code import with_check_character
from carecircle.providers.models import Certificate, Organisation

from .conftest import make_staff


@pytest.fixture
def staff(district, warning_days):
    """Three caregivers of the provider: one certificate expired, one expiring, one valid (edges of 60 days)."""
    today = timezone.localdate()
    expired = make_staff(district.provider, name="过期者")
    Certificate.objects.create(staff=expired, qualification="care_worker_5", number="E-1",
                               issued_on=dt.date(2020, 1, 1), expires_on=today - dt.timedelta(days=1))
    expiring = make_staff(district.provider, name="到期者")
    Certificate.objects.create(staff=expiring, qualification="care_worker_4", number="S-1",
                               issued_on=dt.date(2020, 1, 1), expires_on=today + dt.timedelta(days=60))
    valid = make_staff(district.provider, name="有效者")
    Certificate.objects.create(staff=valid, qualification="care_worker_4", number="V-1",
                               issued_on=dt.date(2020, 1, 1), expires_on=today + dt.timedelta(days=61))
    other = make_staff(district.other_provider, name="别家人")
    return {"expired": expired, "expiring": expiring, "valid": valid, "other": other}


@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- selectors: flags at the policy edges ---------------------------------------------------------

def test_certificate_flags_follow_the_policy_period(district, users, staff):
    names = lambda qs: sorted(s.name for s in qs)  # noqa: E731
    assert names(selectors.staff_list(user=users.district_admin, certificate="expired")) == ["过期者"]
    assert names(selectors.staff_list(user=users.district_admin, certificate="expiring")) == ["到期者"]
    flags = selectors.certificate_flags_for(staff_members=[staff["expired"], staff["expiring"], staff["valid"]])
    assert flags[staff["expired"].pk] == {"expired": 1, "expiring": 0}
    assert flags[staff["expiring"].pk] == {"expired": 0, "expiring": 1}
    assert flags[staff["valid"].pk] == {"expired": 0, "expiring": 0}
    assert selectors.certificates_expiring_count(user=users.district_admin) == 2


def test_a_longer_period_set_for_a_region_applies_to_its_organisations(district, users, staff):
    from carecircle.core.services import policy_parameter_set

    policy_parameter_set(actor=users.district_admin, key="staff.certificate_expiry_warning_days",
                         region=district.district, value=90, effective_from=timezone.localdate(),
                         source="区民政局通知", confidence="local")
    expiring = selectors.staff_list(user=users.district_admin, certificate="expiring")
    assert sorted(s.name for s in expiring) == ["到期者", "有效者"]


def test_without_the_policy_value_there_is_no_silent_default(district, users):
    make_staff(district.provider)
    with pytest.raises(MissingPolicyParameter):
        list(selectors.staff_list(user=users.district_admin, certificate="expiring"))


def test_staff_of_other_organisations_are_invisible_to_a_provider(district, users, staff):
    visible = {s.name for s in selectors.staff_list(user=users.provider_admin)}
    assert visible == {"过期者", "到期者", "有效者"}


# --- pages ----------------------------------------------------------------------------------------

def test_organisation_list_search_filter_and_export(district, users, client_as):
    client = client_as(users.district_admin)
    body = client.get(reverse("providers:list"), {"q": "福寿"}).content.decode()
    assert "福寿居家养老服务社" in body and "康乐护理站" not in body
    body = client.get(reverse("providers:list"), {"kind": "nursing_station"}).content.decode()
    assert "康乐护理站" in body and "福寿居家养老服务社" not in body
    export = client.get(reverse("providers:export"), {"kind": "nursing_station"})
    text = b"".join(export.streaming_content).decode()
    assert text.startswith("\ufeff") and "康乐护理站" in text and "福寿" not in text


def test_a_provider_sees_only_its_own_organisation(district, users, client_as):
    client = client_as(users.provider_admin)
    body = client.get(reverse("providers:list")).content.decode()
    assert "福寿居家养老服务社" in body and "康乐护理站" not in body
    assert client.get(reverse("providers:detail", args=[district.provider.pk])).status_code == 200
    assert client.get(reverse("providers:detail", args=[district.other_provider.pk])).status_code == 404
    assert client.get(reverse("providers:edit", args=[district.other_provider.pk])).status_code == 404
    assert client.get(reverse("providers:contract-create", args=[district.provider.pk])).status_code == 403
    assert client.get(reverse("providers:create")).status_code == 403


def test_roles_without_the_capability_get_403(district, users, client_as):
    client = client_as(users.caregiver)
    assert client.get(reverse("providers:list")).status_code == 403
    assert client.get(reverse("providers:staff-list")).status_code == 403


def test_district_admin_registers_an_organisation_through_the_form(district, users, client_as):
    client = client_as(users.district_admin)
    code = with_check_character("91310104MA1FL0077")
    response = client.post(reverse("providers:create"), {
        "name": "新康护理站", "kind": "nursing_station", "credit_code": code, "region": district.district.pk,
        "is_active": "on"})
    org = Organisation.objects.get(credit_code=code)
    assert response.status_code == 302 and response["Location"] == reverse("providers:detail", args=[org.pk])
    bad = client.post(reverse("providers:create"), {
        "name": "错码机构", "kind": "nursing_station", "credit_code": code[:-1] + "I", "region": district.district.pk})
    assert bad.status_code == 200 and "不允许的字符" in bad.content.decode()
    assert not Organisation.objects.filter(name="错码机构").exists()


def test_staff_list_filters_and_flags(district, users, staff, client_as):
    client = client_as(users.district_admin)
    body = client.get(reverse("providers:staff-list"), {"certificate": "expiring"}).content.decode()
    assert "到期者" in body and "过期者" not in body and "有效者" not in body
    body = client.get(reverse("providers:staff-list"), {"certificate": "expired"}).content.decode()
    assert "过期者" in body and "1 本已过期" in body
    body = client.get(reverse("providers:staff-list"),
                      {"organisation": district.other_provider.pk}).content.decode()
    assert "别家人" in body and "到期者" not in body


def test_staff_list_says_when_the_policy_value_is_missing(district, users, client_as):
    make_staff(district.provider, name="某人")
    body = client_as(users.district_admin).get(reverse("providers:staff-list"),
                                               {"certificate": "expiring"}).content.decode()
    assert policy_label("staff.certificate_expiry_warning_days") in body  # the parameter by its label


def test_staff_detail_shows_masked_numbers_and_reveal_is_audited(district, users, staff, client_as):
    member = staff["expiring"]
    client = client_as(users.provider_admin)
    body = client.get(reverse("providers:staff-detail", args=[member.pk])).content.decode()
    assert member.id_number not in body and member.id_number[:6] + "********" + member.id_number[-4:] in body
    assert "60 天后到期" in body
    refused = client.post(reverse("providers:staff-reveal", args=[member.pk]), {"field": "id_number", "reason": ""})
    assert member.id_number not in refused.content.decode()
    shown = client.post(reverse("providers:staff-reveal", args=[member.pk]),
                        {"field": "id_number", "reason": "办理社保"})
    assert member.id_number in shown.content.decode()
    assert AuditEvent.objects.filter(action="providers.staff_reveal", subject_id=str(member.pk)).count() == 1
    other = staff["other"]
    assert client.get(reverse("providers:staff-detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("providers:staff-reveal", args=[other.pk]),
                       {"field": "id_number", "reason": "x"}).status_code == 404


def test_facility_form_refuses_coordinates_outside_the_district(district, users, client_as):
    client = client_as(users.provider_admin)
    response = client.post(reverse("providers:facility-create", args=[district.provider.pk]), {
        "name": "北京站", "kind": "meal_point", "community": district.a1.pk, "beds": 0, "nursing_beds": 0,
        "floor_area_m2": "80", "lat": "39.9", "lng": "116.4", "is_active": "on"})
    assert response.status_code == 200 and "不在徐汇区范围内" in response.content.decode()
    ok = client.post(reverse("providers:facility-create", args=[district.provider.pk]), {
        "name": "天平助餐点", "kind": "meal_point", "community": district.a1.pk, "beds": 0, "nursing_beds": 0,
        "floor_area_m2": "80", "lat": "31.205", "lng": "121.445", "is_active": "on"})
    assert ok.status_code == 302
    listing = client.get(reverse("providers:facility-list")).content.decode()
    assert "天平助餐点" in listing


def test_service_area_removal_is_a_confirmed_post(district, users, client_as):
    area = district.provider.service_areas.get()
    client = client_as(users.district_admin)
    page = client.get(reverse("providers:detail", args=[district.provider.pk])).content.decode()
    assert "data-confirm" in page
    assert client.get(reverse("providers:service-area-remove", args=[area.pk])).status_code == 405
    response = client.post(reverse("providers:service-area-remove", args=[area.pk]), {"reason": "调整"})
    assert response.status_code == 302 and not district.provider.service_areas.exists()


# --- API ------------------------------------------------------------------------------------------

def test_api_lists_are_scoped_paginated_and_masked(district, users, staff, api_as):
    client = api_as(users.provider_admin)
    data = client.get("/api/v1/providers/").json()
    assert data["count"] == 1 and data["results"][0]["name"] == "福寿居家养老服务社"
    assert client.get(f"/api/v1/providers/{district.other_provider.pk}/").status_code == 404
    people = client.get("/api/v1/staff/").json()
    assert people["count"] == 3 and "results" in people
    row = next(r for r in people["results"] if r["name"] == "到期者")
    member = staff["expiring"]
    assert member.id_number not in str(people) and row["id_number_masked"].endswith(member.id_number[-4:])
    assert row["phone_masked"] == "139****5678"
    assert client.get(f"/api/v1/staff/{staff['other'].pk}/").status_code == 404
    expiring = client.get("/api/v1/staff/", {"certificate": "expiring"}).json()
    assert [r["name"] for r in expiring["results"]] == ["到期者"]


def test_api_refuses_roles_without_capability_and_anonymous(district, users, api_as, api_client):
    assert api_client.get("/api/v1/facilities/").status_code in {401, 403}
    assert api_as(users.caregiver).get("/api/v1/providers/").status_code == 403
    assert api_as(users.district_admin).post("/api/v1/providers/", {}).status_code in {403, 405}
