"""Opening and editing a canteen on a facility of the providers register: the operator (the facility's
organisation) and the district open and change their own; the street reads only; another operator's canteen
does not exist for them; bad input is a clear 400 with nothing written; every change is audited."""
import pytest
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals
from carecircle.meals.models import Canteen


@pytest.fixture
def point(meals):
    from carecircle.providers.models import Facility

    return Facility.objects.create(organisation=meals.district.provider, name="永嘉助餐点", kind="meal_point",
                                   community=meals.district.a2, lat="31.195", lng="121.435")


def body(**change):
    data = {"opening_hours": "11:00-13:00", "seats": "24", "breakfast_capacity": "0", "lunch_capacity": "80",
            "dinner_capacity": "40"}
    data.update(change)
    return data


def test_the_operator_opens_a_canteen_on_its_facility(client, meals, point):
    client.force_login(meals.users.provider_admin)
    assert "开设长者食堂" in client.get(reverse("meals:canteen-list")).content.decode()
    page = client.get(reverse("meals:canteen-create"))
    html = page.content.decode()
    assert page.status_code == 200 and "永嘉助餐点" in html
    assert "枫林助餐点" not in html  # another operator's facility is not offered
    assert_no_internals(html, where="canteen form")
    response = client.post(reverse("meals:canteen-create"),
                           body(facility=point.pk, delivery_area=[meals.district.a2.pk, meals.district.a1.pk]))
    canteen = Canteen.objects.get(facility=point)
    assert response.status_code == 302 and response.url == reverse("meals:canteen-detail", args=[canteen.pk])
    assert (canteen.seats, canteen.lunch_capacity, canteen.dinner_capacity) == (24, 80, 40)
    assert set(canteen.delivery_area.all()) == {meals.district.a1, meals.district.a2}
    event = AuditEvent.objects.get(action="meals.canteen_create")
    assert event.actor_id == meals.users.provider_admin.pk and event.changes["lunch_capacity"] == [None, 80]
    detail = client.get(response.url).content.decode()
    assert "午餐 80 份" in detail and "早餐 不设上限" in detail and "修改食堂信息" in detail


@pytest.mark.parametrize("change", [
    {"opening_hours": ""}, {"seats": "-1"}, {"lunch_capacity": "many"}, {"dinner_capacity": "100001"},
    {"facility": "999999"}, {"facility": "abc"}, {"delivery_area": ["999999"]},
])
def test_bad_input_is_a_clear_400_and_nothing_is_written(client, meals, point, change):
    client.force_login(meals.users.provider_admin)
    response = client.post(reverse("meals:canteen-create"), body(**{"facility": point.pk, **change}))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Canteen.objects.filter(facility=point).exists()
    assert not AuditEvent.objects.filter(action="meals.canteen_create").exists()


def test_a_delivery_area_outside_the_district_is_refused(client, meals, point):
    from carecircle.conftest import make_region

    client.force_login(meals.users.district_admin)
    elsewhere = make_region("310105001001", "外区社区", "community")
    response = client.post(reverse("meals:canteen-create"), body(facility=point.pk, delivery_area=[elsewhere.pk]))
    assert response.status_code == 400
    assert not Canteen.objects.filter(facility=point).exists()


def test_the_operator_edits_capacity_hours_area_and_stops_service_audited(client, meals):
    client.force_login(meals.users.provider_admin)
    url = reverse("meals:canteen-edit", args=[meals.canteen.pk])
    page = client.get(url).content.decode()
    assert "天平长者食堂" in page and 'value="200"' in page
    response = client.post(url, body(lunch_capacity="150", delivery_area=[meals.district.a1.pk]))
    assert response.status_code == 302
    meals.canteen.refresh_from_db()
    assert meals.canteen.lunch_capacity == 150 and not meals.canteen.is_active  # the box was not ticked
    event = AuditEvent.objects.get(action="meals.canteen_update")
    assert event.changes["lunch_capacity"] == [200, 150] and event.changes["is_active"] == [True, False]
    assert event.changes["delivery_area"][1] == [meals.district.a1.name]
    # the same values again change nothing and write no second event
    client.post(url, body(lunch_capacity="150", delivery_area=[meals.district.a1.pk]))
    assert AuditEvent.objects.filter(action="meals.canteen_update").count() == 1
    bad = client.post(url, body(seats="x", is_active="on"))
    assert bad.status_code == 400
    meals.canteen.refresh_from_db()
    assert meals.canteen.seats == 24 and not meals.canteen.is_active


def test_permissions_follow_capability_and_scope(client, meals, point):
    edit = reverse("meals:canteen-edit", args=[meals.canteen.pk])
    client.force_login(meals.users.street_staff)  # reads canteens, manages none
    assert client.get(reverse("meals:canteen-create")).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, body()).status_code == 403
    assert "修改食堂信息" not in client.get(reverse("meals:canteen-detail", args=[meals.canteen.pk])).content.decode()
    other = meals.users.provider_admin.__class__.objects.create_user(
        username="op_b", password="x-Pass-2026", role="provider_admin", organisation=meals.district.other_provider)
    client.force_login(other)  # another operator: the canteen is not theirs to see
    assert client.get(edit).status_code == 404
    assert client.post(reverse("meals:canteen-create"), body(facility=point.pk)).status_code == 400
    assert not Canteen.objects.filter(facility=point).exists()
    client.force_login(meals.users.district_admin)  # the district changes any canteen of the district
    assert client.post(edit, body(is_active="on", seats="50")).status_code == 302
    meals.canteen.refresh_from_db()
    assert meals.canteen.seats == 50 and meals.canteen.is_active
    client.force_login(meals.users.provider_admin)
    assert client.get(reverse("meals:canteen-edit", args=[meals.other.pk])).status_code == 404
