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


@pytest.mark.django_db
def test_policy_values_are_shown_as_readable_pairs_not_python_reprs():
    from carecircle.core.templatetags.policy_values import policy_value_display

    assert policy_value_display({"65": "75.00", "70": "150.00"}) == "65：75.00；70：150.00"
    assert policy_value_display(["a", "b"]) == "a、b"
    assert policy_value_display(True) == "是"
    assert policy_value_display(3) == "3"


@pytest.mark.django_db
def test_policy_values_name_codes_in_words_in_both_languages():
    """Table keys and code values read as their labels (core/labels.py), never as the stored codes."""
    from django.utils import translation

    from carecircle.core.templatetags.policy_values import policy_value_display

    table = {"default": 5, "extreme_poverty": "0.90", "registered_nurse": "80.00"}
    shown = policy_value_display(table)
    assert shown == "其他（默认）：5；特困：0.90；执业护士：80.00", shown
    assert policy_value_display(["priority", "level", "applied"]) == "优先类别、评估等级、申请日期"
    assert policy_value_display("gbt42195_2022").startswith("GB/T 42195")
    assert policy_value_display("no_such_code") == "（未命名项）"
    with translation.override("en"):
        shown = policy_value_display(table)
        assert "extreme_poverty" not in shown and "registered_nurse" not in shown and "；" not in shown
        assert shown.startswith("Other (default): 5; ")


@pytest.mark.django_db
def test_policy_keys_read_as_their_labels():
    from django.utils import translation

    from carecircle.core.policy import policy_label, specs

    assert policy_label("intake.public_notice.working_days") == specs()["intake.public_notice.working_days"].label_zh
    assert policy_label("catalog.price.hourly_by_qualification[registered_nurse]").endswith("：执业护士")
    assert policy_label("no.such.key") == "未登记的政策参数"
    with translation.override("en"):
        label = policy_label("catalog.price.hourly_by_qualification[registered_nurse]")
        assert "registered_nurse" not in label and "catalog." not in label and label.endswith(": Registered nurse")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_policy_pages_show_labels_never_keys(district, users, client, language):
    """Every seeded parameter on the list, a table's detail page and the form read as labels and words."""
    from carecircle.core.policy import seed_values, specs
    from carecircle.core.testing import assert_no_internals

    for row in seed_values():
        policy_parameter_set(actor=None, key=row["key"], region=district.district, value=row["value"],
                             effective_from=JAN, source="种子", confidence="official")
    client.force_login(users.district_admin)
    client.cookies["django_language"] = language
    region = f"?region={district.district.code}&on=2026-06-01"
    pages = [reverse("core:policy-list") + region,
             reverse("core:policy-detail", args=["intake.deadline.registered"]) + region,
             reverse("core:policy-detail", args=["catalog.price.hourly_by_qualification"]) + region,
             reverse("core:policy-create")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        # The signed-in account's login name is the person's own choice, not a code.
        assert_no_internals(response.content.decode(), allow=[users.district_admin.username], where=url)
    listing = client.get(pages[0]).content.decode()
    spec = specs()["intake.deadline.registered"]
    assert (spec.label_en if language == "en" else spec.label_zh) in listing
    nurse = client.get(pages[2]).content.decode()
    assert ("Registered nurse" if language == "en" else "执业护士") in nurse
