"""The register refuses what it should: elders under the dated minimum age, names with hidden characters,
chronic-condition lists beyond their limits — on the API, the pages and the service alike."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from carecircle.core.models import PolicyParameter
from carecircle.core.validators import TEXT_LIST_ITEM_MAX_LENGTH, TEXT_LIST_MAX_ITEMS
from carecircle.elders import services
from carecircle.elders.identity import make_id_number
from carecircle.elders.models import Elder

pytestmark = pytest.mark.django_db
URL = "/api/v1/elders/"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _body(elder_data, **overrides):
    data = elder_data(**overrides)
    data["community"] = data["community"].code
    return data


def _id_for(birth):
    return make_id_number("310104", birth, 777, "F")


def _minimum():
    return PolicyParameter.objects.get(key=services.MIN_AGE_KEY).value


def test_the_minimum_age_is_the_seeded_policy_value(district):
    assert _minimum() == 60


def test_exactly_the_minimum_age_today_passes_one_day_younger_fails(api_as, users, elder_data):
    today = timezone.localdate()
    client = api_as(users.street_staff)
    birth = _years_before(today, _minimum())
    ok = client.post(URL, _body(elder_data, id_number=_id_for(birth)), format="json")
    assert ok.status_code == 201, ok.content
    younger = birth + dt.timedelta(days=1)
    refused = client.post(URL, _body(elder_data, id_number=_id_for(younger)), format="json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "59 years old today" in refused.json()["birth_date"][0]
    assert "60" in refused.json()["birth_date"][0]


def test_an_elder_born_this_year_is_refused_and_nothing_is_written(api_as, users, elder_data):
    before = Elder.objects.count()
    birth = timezone.localdate().replace(month=1, day=1)
    response = api_as(users.street_staff).post(URL, _body(elder_data, id_number=_id_for(birth)), format="json")
    assert response.status_code == 400 and "未满老年人登记年龄 60 周岁" in response.json()["birth_date"][0]
    assert Elder.objects.count() == before


def test_the_minimum_follows_the_dated_value_in_force(users, elder_data, district):
    today = timezone.localdate()
    PolicyParameter.objects.create(key=services.MIN_AGE_KEY, region=district.district, value=65,
                                   effective_from=today, source="测试", confidence="local")
    with pytest.raises(ValidationError) as refused:
        services.elder_create(actor=users.street_staff,
                              data=elder_data(id_number=_id_for(_years_before(today, 62))))
    assert "65" in str(refused.value.message_dict["birth_date"])


def test_without_the_policy_value_no_elder_is_registered(users, elder_data):
    PolicyParameter.objects.filter(key=services.MIN_AGE_KEY).delete()
    with pytest.raises(ValidationError) as refused:
        services.elder_create(actor=users.street_staff, data=elder_data())
    message = str(refused.value.message_dict["birth_date"])
    assert "老年人登记最低年龄" in message and "elders.min_age" not in message


def test_an_existing_record_is_not_rejudged_when_its_birth_date_does_not_change(users, district):
    from carecircle.conftest import make_elder

    young = make_elder(district.a1, name="周小明", birth=timezone.localdate() - dt.timedelta(days=400))
    services.elder_update(actor=users.district_admin, elder=young, data={"address": "天平路 1 号"})
    young.refresh_from_db()
    assert young.address == "天平路 1 号"


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff", "\u200f"])
def test_names_with_hidden_characters_are_refused_on_the_api(api_as, users, elder_data, char):
    response = api_as(users.street_staff).post(URL, _body(elder_data, name=f"赵{char}桂兰"), format="json",
                                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f"U+{ord(char):04X}" in response.json()["name"][0]
    assert "invisible" in response.json()["name"][0]


def test_names_with_hidden_characters_are_refused_on_the_page(client, users, elder_data):
    client.force_login(users.street_staff)
    data = elder_data(name="赵\u202e桂兰", coordinate_system="wgs84", registration="local",
                      economic_category="general")
    data["community"] = data["community"].pk
    response = client.post("/elders/new/", data)
    assert response.status_code in (200, 400)
    assert "U+202E" in response.content.decode() and not Elder.objects.filter(name__contains="桂兰").exists()


def test_contact_names_follow_the_same_rule(users, district):
    with pytest.raises(ValidationError) as refused:
        services.emergency_contact_add(actor=users.street_staff, elder=district.elders.a1,
                             data={"name": "李\u200b四", "relation": "儿子", "phone": "13900001111"})
    assert "U+200B" in str(refused.value.message_dict["name"])


def test_chronic_condition_list_edges_on_the_api(api_as, users, elder_data):
    client = api_as(users.street_staff)
    exactly = [f"病{i}".ljust(TEXT_LIST_ITEM_MAX_LENGTH, "症") for i in range(TEXT_LIST_MAX_ITEMS)]
    assert client.post(URL, _body(elder_data, chronic_conditions=exactly), format="json").status_code == 201
    too_many = client.post(URL, _body(elder_data, chronic_conditions=[*exactly, "高血压"]), format="json")
    assert too_many.status_code == 400 and "chronic_conditions" in too_many.json()
    too_long = client.post(URL, _body(elder_data, chronic_conditions=["症" * (TEXT_LIST_ITEM_MAX_LENGTH + 1)]),
                           format="json")
    assert too_long.status_code == 400 and "chronic_conditions" in too_long.json()
    million = client.post(URL, _body(elder_data, chronic_conditions=["x" * 1_000_000]), format="json")
    assert million.status_code == 400 and "chronic_conditions" in million.json()


def test_the_schema_shows_the_limits():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["ElderRequest"]["properties"]["chronic_conditions"]
    assert field["maxItems"] == TEXT_LIST_MAX_ITEMS and field["items"]["maxLength"] == TEXT_LIST_ITEM_MAX_LENGTH
    assert schema["components"]["schemas"]["ElderRequest"]["properties"]["name"]["maxLength"] == 50
