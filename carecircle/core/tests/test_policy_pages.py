import datetime as dt

import pytest
from django.urls import reverse

from carecircle.core.models import PolicyParameter
from carecircle.core.services import policy_parameter_set

KEY = "staff.certificate_expiry_warning_days"
JAN = dt.date(2026, 1, 1)


@pytest.fixture
def values(district):
    policy_parameter_set(actor=None, key=KEY, region=district.city, value=60, effective_from=JAN,
                         source="市级文件", confidence="official")
    policy_parameter_set(actor=None, key=KEY, region=district.street_b, value=30, effective_from=JAN,
                         source="街道回忆", confidence="recalled")


def test_list_marks_inherited_values_and_values_to_confirm(district, users, values, client):
    client.force_login(users.district_admin)
    body = client.get(reverse("core:policy-list"), {"region": district.a1.code, "on": "2026-06-01"}).content.decode()
    assert "继承自 上海市" in body and "资质证书到期预警天数" in body
    body = client.get(reverse("core:policy-list"), {"region": district.b1.code, "on": "2026-06-01"}).content.decode()
    assert "继承自 枫林路街道" in body and "待核实" in body
    body = client.get(reverse("core:policy-list"), {"region": district.a1.code, "on": "2025-06-01"}).content.decode()
    assert "无有效取值" in body


def test_a_region_outside_the_scope_is_404_and_roles_without_capability_403(district, users, values, client):
    client.force_login(users.street_staff)
    assert client.get(reverse("core:policy-list"), {"region": district.b1.code}).status_code == 200
    assert client.get(reverse("core:policy-detail", args=[KEY]), {"region": district.b1.code}).status_code == 404
    client.force_login(users.community_worker)
    assert client.get(reverse("core:policy-list")).status_code == 403
    client.force_login(users.street_staff)
    assert client.get(reverse("core:policy-create")).status_code == 403


def test_history_shows_ancestor_rows_and_the_one_in_force(district, users, values, client):
    client.force_login(users.district_admin)
    body = client.get(reverse("core:policy-detail", args=[KEY]), {"region": district.b1.code}).content.decode()
    assert "市级文件" in body and "街道回忆" in body and "现行" in body
    assert client.get(reverse("core:policy-detail", args=["no.such"])).status_code == 404


def test_adding_a_value_through_the_form(district, users, client):
    client.force_login(users.district_admin)
    data = {"key": KEY, "region": district.district.code, "value": "45", "effective_from": "2026-03-01",
            "source": "区民政局 2026 年 3 号通知", "confidence": "local", "note": "", "reason": "调整"}
    response = client.post(reverse("core:policy-create"), data)
    assert response.status_code == 302
    assert PolicyParameter.objects.get(key=KEY).value == 45
    bad = client.post(reverse("core:policy-create"), dict(data, value="四十五"))
    assert "不是整数" in bad.content.decode()
    missing = client.post(reverse("core:policy-create"), dict(data, source=""))
    assert missing.status_code == 200 and PolicyParameter.objects.filter(key=KEY).count() == 1
    outside = client.post(reverse("core:policy-create"), dict(data, region=district.city.code))
    assert outside.status_code == 200 and PolicyParameter.objects.filter(key=KEY).count() == 1


def test_api_lists_filters_adds_and_answers_in_force(district, users, values, api_as):
    client = api_as(users.district_admin)
    data = client.get("/api/v1/policy-parameters/", {"key": KEY}).json()
    assert data["count"] == 2
    assert client.get("/api/v1/policy-parameters/", {"region": "310104011"}).json()["count"] == 1
    in_force = client.get("/api/v1/policy-parameters/in-force/",
                          {"key": KEY, "region": district.a2.code, "date": "2026-02-01"}).json()
    assert in_force["value"] == 60 and in_force["inherited"] is True and in_force["set_on_region"] == "310000"
    assert client.get("/api/v1/policy-parameters/in-force/",
                      {"key": KEY, "region": district.a2.code, "date": "2025-02-01"}).status_code == 404
    assert client.get("/api/v1/policy-parameters/in-force/", {"key": KEY}).status_code == 400
    created = client.post("/api/v1/policy-parameters/", {
        "key": KEY, "region": district.street_a.code, "value": 20, "effective_from": "2026-04-01",
        "source": "街道通知", "confidence": "local"}, format="json")
    assert created.status_code == 201 and created.json()["region"] == district.street_a.code
    refused = client.post("/api/v1/policy-parameters/", {
        "key": KEY, "region": district.street_a.code, "value": "x", "effective_from": "2026-04-01",
        "source": "街道通知", "confidence": "local"}, format="json")
    assert refused.status_code == 400 and KEY in str(refused.json())


def test_api_scope_and_capabilities(district, users, values, api_as):
    street = api_as(users.street_staff)
    codes = {row["region"] for row in street.get("/api/v1/policy-parameters/").json()["results"]}
    assert codes == {"310000"}  # the city row is inherited; street B's row is not theirs
    assert street.post("/api/v1/policy-parameters/", {}, format="json").status_code == 403
    assert api_as(users.caregiver).get("/api/v1/policy-parameters/").status_code == 403


def test_policy_values_are_shown_as_readable_pairs_not_python_reprs():
    from carecircle.core.templatetags.policy_values import policy_value_display

    assert policy_value_display({"65": "75.00", "70": "150.00"}) == "65: 75.00 · 70: 150.00"
    assert policy_value_display(["a", "b"]) == "a、b"
    assert policy_value_display(True) == "是"
    assert policy_value_display(3) == "3"
