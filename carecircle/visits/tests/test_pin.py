"""The elder's confirmation PIN and the family's code: who may set the PIN, its rules, the portal's today block."""
import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.visits.models import ElderConfirmationPin
from carecircle.visits.services import elder_pin_set, family_code

from .conftest import body, make_work_order


def post(client, order, step, data, key):
    import json

    return client.post(f"/api/v1/work-orders/{order.pk}/{step}/", data=json.dumps(data),
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("who", ["elder", "community_worker", "street_staff", "district_admin"])
def test_the_elder_and_staff_at_the_window_may_set_the_pin(field, who):
    elder_pin_set(actor=getattr(field.users, who), elder=field.elder, pin="2580", pin_again="2580")
    pin = ElderConfirmationPin.objects.get(elder=field.elder)
    assert check_password("2580", pin.pin_hash) and "2580" not in pin.pin_hash
    event = AuditEvent.objects.get(action="visits.elder_pin_set")
    assert event.changes == {"pin": ["", "******"]}  # the trail never holds the PIN


@pytest.mark.parametrize("who", ["caregiver", "provider_admin", "family", "street_staff_b", "inspector"])
def test_caregivers_providers_and_strangers_may_not(field, who):
    # the family fixture is linked to another elder (a2); a caregiver's PIN would confirm their own visits
    with pytest.raises(PermissionDenied):
        elder_pin_set(actor=getattr(field.users, who), elder=field.elder, pin="2580")
    assert not ElderConfirmationPin.objects.exists()


@pytest.mark.parametrize("pin,again,field_name", [
    ("123", "123", "pin"), ("1234567", "1234567", "pin"), ("12a4", "12a4", "pin"), ("", "", "pin"),
    ("1111", "1111", "pin"), ("1234", "1234", "pin"), ("4321", "4321", "pin"), ("2580", "2581", "pin_again")])
def test_weak_short_or_mistyped_pins_are_refused(field, pin, again, field_name):
    with pytest.raises(ValidationError) as error:
        elder_pin_set(actor=field.users.elder, elder=field.elder, pin=pin, pin_again=again)
    assert field_name in error.value.message_dict
    assert not ElderConfirmationPin.objects.exists()


def test_six_digits_is_the_longest_and_four_the_shortest(field):
    elder_pin_set(actor=field.users.elder, elder=field.elder, pin="2580", pin_again="2580")
    elder_pin_set(actor=field.users.elder, elder=field.elder, pin="258013", pin_again="258013")
    assert check_password("258013", ElderConfirmationPin.objects.get(elder=field.elder).pin_hash)


def test_the_pin_page_sets_it_and_a_caregiver_gets_403(client, field):
    client.force_login(field.users.elder)
    url = reverse("visits:pin-set", args=[field.elder.pk])
    page = client.get(url)
    assert page.status_code == 200 and "还没有设置确认码" in page.content.decode()
    bad = client.post(url, {"pin": "1111", "pin_again": "1111"})
    assert bad.status_code == 200 and "太容易猜到" in bad.content.decode()
    good = client.post(url, {"pin": "2580", "pin_again": "2580"})
    assert good.status_code == 302 and ElderConfirmationPin.objects.filter(elder=field.elder).exists()
    client.force_login(field.users.caregiver)
    assert client.get(url).status_code == 403
    client.force_login(field.users.family)  # linked to another elder: this one does not exist for them
    assert client.get(url).status_code == 404


def test_staff_find_the_elder_at_the_window(client, field):
    client.force_login(field.users.community_worker)
    page = client.get(reverse("visits:pin-search"), {"q": field.elder.name})
    html = page.content.decode()
    assert page.status_code == 200 and reverse("visits:pin-set", args=[field.elder.pk]) in html
    client.force_login(field.users.street_staff_b)
    html = client.get(reverse("visits:pin-search"), {"q": field.elder.name}).content.decode()
    assert reverse("visits:pin-set", args=[field.elder.pk]) not in html and "没有找到" in html
    client.force_login(field.users.caregiver)
    assert client.get(reverse("visits:pin-search"), {"q": field.elder.name}).status_code == 403


def test_the_elder_confirms_with_the_pin_on_the_caregivers_phone(field, api_as):
    elder_pin_set(actor=field.users.elder, elder=field.elder, pin="2580", pin_again="2580")
    phone = api_as(field.users.caregiver)
    assert post(phone, field.order, "check-in", body(), "k1").status_code == 201
    wrong = post(phone, field.order, "confirm", {"method": "pin", "code": "0000"}, "k2")
    assert wrong.status_code == 400
    right = post(phone, field.order, "confirm", {"method": "pin", "code": "2580"}, "k3")
    assert right.status_code == 200 and right.json()["confirmed_at"]


def test_the_family_sees_todays_visit_and_its_code_on_the_portal(client, field):
    family_visit = make_work_order(field.district.provider, field.district.elders.a2, field.wang)
    client.force_login(field.users.family)
    html = client.get(reverse("workbench:home")).content.decode()
    assert 'data-portal="visits"' in html
    assert family_code(family_visit) in html and f'data-visit="{family_visit.pk}"' in html
    assert f'data-visit="{field.order.pk}"' not in html  # another elder's visit, another family's code
    assert "护理员 王芳" in html


def test_the_caregiver_never_sees_the_family_code(client, field):
    client.force_login(field.users.caregiver)
    html = client.get(reverse("visits:app")).content.decode()
    assert family_code(field.order) not in html
