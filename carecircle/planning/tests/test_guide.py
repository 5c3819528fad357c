"""The yearly service guide: per street and facility type, public, searchable, printable and as a PDF."""
import pytest
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.planning import services
from carecircle.planning.models import GuideEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(district, users, planning):
    return services.guide_entry_save(actor=users.district_admin, facility=planning.meal, services="午餐、送餐上门",
                                     phone="021-6438 0000", eligibility="本街道 60 周岁及以上老人",
                                     prices="午餐 15 元")


def test_anyone_reads_the_guide_per_street_and_type(district, planning, guide, client):
    page = client.get(reverse("planning:guide"))
    text = page.content.decode()
    assert page.status_code == 200
    for words in ("天平路街道", "枫林路街道", "助餐点", "日间照料中心", "天平长者食堂", "天平路 100 号", "10:30-13:00",
                  "午餐、送餐上门", "021-6438 0000", "tel:021-64380000", "午餐 15 元"):
        assert words in text
    assert (text.index(f'data-guide-street="{district.street_a.code}"') < text.index("天平长者食堂")
            < text.index(f'data-guide-street="{district.street_b.code}"') < text.index("枫林日间照料中心"))
    # a facility without an entry is listed with what its register says
    assert "枫林日间照料中心" in text and "枫林路 8 号" in text


def test_the_guide_filters_by_street_type_and_words(district, planning, guide, client):
    street_b = client.get(reverse("planning:guide"), {"street": district.street_b.code}).content.decode()
    assert "枫林日间照料中心" in street_b and "天平长者食堂" not in street_b
    meals = client.get(reverse("planning:guide"), {"kind": "meal_point"}).content.decode()
    assert "天平长者食堂" in meals and "枫林日间照料中心" not in meals
    found = client.get(reverse("planning:guide"), {"q": "送餐"}).content.decode()
    assert "天平长者食堂" in found and "枫林日间照料中心" not in found
    nothing = client.get(reverse("planning:guide"), {"q": "游泳"}).content.decode()
    assert "data-guide-empty" in nothing


@pytest.mark.parametrize("params", [{"street": "999"}, {"kind": "spa"}])
def test_an_unknown_street_or_type_is_a_400_in_words(district, planning, client, params):
    for name in ("planning:guide", "planning:guide-pdf"):
        response = client.get(reverse(name), params)
        assert response.status_code == 400


def test_the_booklet_is_a_pdf_with_the_facilities(district, planning, guide, client):
    response = client.get(reverse("planning:guide-pdf"), {"street": district.street_a.code})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1000


def test_the_district_keeps_the_entries_and_each_change_is_audited(district, users, planning, guide, client):
    client.force_login(users.street_staff)
    response = client.post(reverse("planning:guide-edit", args=[planning.meal.pk]),
                           {"services": "午餐、助浴", "phone": "021-64380001"})
    assert response.status_code == 302
    entry = GuideEntry.objects.get()
    assert (entry.services, entry.phone, entry.prices) == ("午餐、助浴", "021-64380001", "")
    assert AuditEvent.objects.filter(action="planning.guide_save").count() == 2
    # street A's staff may not keep street B's facility; bad input is a 400 and nothing changes
    assert client.get(reverse("planning:guide-edit", args=[planning.day.pk])).status_code == 404
    bad = client.post(reverse("planning:guide-edit", args=[planning.meal.pk]), {"services": "", "phone": "abc"})
    assert bad.status_code == 400
    assert GuideEntry.objects.get().services == "午餐、助浴"
    listing = client.get(reverse("planning:guide-edit-list")).content.decode()
    assert "天平长者食堂" in listing and "枫林日间照料中心" not in listing


def test_a_phone_with_letters_is_refused(district, users, planning):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.guide_entry_save(actor=users.district_admin, facility=planning.meal, services="午餐",
                                  phone="call me")
    assert "phone" in caught.value.message_dict
    assert GuideEntry.objects.count() == 0
