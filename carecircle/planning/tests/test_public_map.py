"""The public service map: open without login, nearest first from a typed place, public facts only."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anyone_finds_the_nearest_meal_point_to_a_community(district, users, planning, client):
    response = client.get(reverse("planning:public-map"), {"q": "天平", "kind": "meal_point"})
    assert response.status_code == 200
    facilities = response.context["facilities"]
    assert [f.name for f in facilities] == ["天平长者食堂"]
    assert facilities[0].distance_m == 0 and facilities[0].walk_minutes == 1
    html = response.content.decode()
    assert "天平长者食堂" in html and "10:30-13:00" in html and "geo:" in html
    # No person at all: no elder, no contact person, no phone.
    for private in ("张三明", "赵一", "13800138000", district.provider.contact_name or "联系人姓名"):
        assert private not in html


def test_all_facilities_sorted_by_distance_from_the_browser_position(district, users, planning, client):
    response = client.get(reverse("planning:public-map"), {"lat": "31.19", "lng": "121.46"})
    assert [f.name for f in response.context["facilities"]][0] == "枫林日间照料中心"


def test_a_place_not_found_says_so_and_bad_input_is_harmless(district, users, planning, client):
    response = client.get(reverse("planning:public-map"), {"q": "火星", "kind": "spaceship", "lat": "abc"})
    assert response.status_code == 200 and response.context["not_found"]
    assert len(response.context["facilities"]) == 2


def test_closed_facilities_are_not_listed(district, users, planning, client):
    planning.day.is_active = False
    planning.day.save()
    response = client.get(reverse("planning:public-map"))
    assert [f.name for f in response.context["facilities"]] == ["天平长者食堂"]


def test_a_full_address_is_found_by_its_road(district, users, planning, client):
    response = client.get(reverse("planning:public-map"), {"q": "枫林路 120 号", "kind": "meal_point"})
    assert response.context["origin_label"] == "枫林路 8 号"  # the day centre on the same road
    assert not response.context["not_found"]
    missing = client.get(reverse("planning:public-map"), {"q": "火星路 1 号"})
    assert missing.context["not_found"]


def test_the_rating_in_force_is_shown_on_the_map_and_in_the_guide(district, users, planning, client):
    import datetime as dt

    from django.utils import timezone

    from carecircle.inspections.models import Inspection, RatingScheme, StarRating
    from carecircle.inspections.services import schemes_load

    schemes_load()
    scheme = RatingScheme.objects.filter(is_current=True).first()
    today = timezone.localdate()
    inspection = Inspection.objects.create(facility=planning.meal, scheme=scheme, kind="quarterly", period="",
                                           due_on=today, status="submitted", points={}, hard_stops=[], total=450,
                                           stars=4, passed=True, trace={}, submitted_at=timezone.now())
    StarRating.objects.create(facility=planning.meal, scheme=scheme, inspection=inspection, stars=4,
                              valid_from=today, valid_until=today + dt.timedelta(days=365),
                              decided_by=users.district_admin)
    page = client.get(reverse("planning:public-map")).content.decode()
    assert 'data-stars="4"' in page and "服务质量评定：4 星" in page
    assert page.count("data-stars=") == 1  # the day centre has no rating in force
    guide = client.get(reverse("planning:guide")).content.decode()
    assert 'data-stars="4"' in guide
