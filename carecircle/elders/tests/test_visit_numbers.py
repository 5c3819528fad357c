"""A caregiver may call the elders of today's visits: their own visits, published, for today only.

Everything else stays masked: yesterday's and tomorrow's visits, a visit still being planned, a colleague's
visit, a cancelled one. Every number shown is a reveal in the trail with the reason "today's visit"."""
import datetime as dt

import pytest
from django.utils import timezone

from carecircle.core.models import AuditEvent
from carecircle.dispatch.tests.conftest import make_order, make_staff
from carecircle.elders import services
from carecircle.elders.disclosure import TODAYS_VISIT_REASON, visits_with_numbers
from carecircle.elders.models import EmergencyContact

ELDER_PHONE = "13800138000"
CONTACT_PHONE = "13611112222"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def visit(district, users, today):
    """Caregiver's own visit to elder a1, published for today, and the elder's emergency contact."""
    me = make_staff(district.provider, name="周小红", user=users.caregiver)
    EmergencyContact.objects.create(elder=district.elders.a1, name="张伟", relation="儿子", phone=CONTACT_PHONE,
                                    holds_key=True)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0)))
    order = make_order(district.provider, district.elders.a1, "09:00", "11:00", day=today, status="published",
                       caregiver=me, planned_start=start)
    return order


def reveals(user):
    return AuditEvent.objects.filter(action="elders.reveal", actor=user)


def test_todays_own_published_visit_shows_the_numbers_and_is_audited(client, users, visit, today, district):
    client.force_login(users.caregiver)
    body = client.get("/dispatch/my-day/").content.decode()
    assert f'href="tel:{ELDER_PHONE}"' in body
    assert f'href="tel:{CONTACT_PHONE}"' in body and "张伟" in body
    event = reveals(users.caregiver).get()
    assert event.reason == TODAYS_VISIT_REASON == "今天的上门服务"
    assert event.subject_id == str(district.elders.a1.pk)
    assert event.changes["work_order"] == visit.pk
    # Each view is recorded again.
    client.get("/dispatch/my-day/", {"date": today.isoformat()})
    assert reveals(users.caregiver).count() == 2


@pytest.mark.parametrize("status", ["started", "done"])
def test_a_visit_under_way_or_done_today_still_shows_the_numbers(users, visit, status):
    visit.status = status
    visit.save(update_fields=["status"])
    assert visits_with_numbers(users.caregiver, [visit.pk]) == {visit.pk}


@pytest.mark.parametrize("shift", [-1, 1])
def test_yesterdays_and_tomorrows_visits_stay_masked(client, users, visit, today, shift):
    day = today + dt.timedelta(days=shift)
    visit.date = day
    visit.save(update_fields=["date"])
    client.force_login(users.caregiver)
    body = client.get("/dispatch/my-day/", {"date": day.isoformat()}).content.decode()
    assert str(visit.elder.name) in body  # the visit is listed …
    assert "tel:" not in body and ELDER_PHONE not in body and CONTACT_PHONE not in body  # … masked
    assert "138****8000" in body
    assert not reveals(users.caregiver).exists()


def test_a_visit_not_yet_published_stays_masked(users, visit):
    for status in ("pending", "scheduled", "cancelled", "suppressed"):
        visit.status = status
        visit.save(update_fields=["status"])
        assert visits_with_numbers(users.caregiver, [visit.pk]) == set(), status
        assert services.visit_numbers_reveal(actor=users.caregiver, work_orders=[visit]) == {}
    assert not reveals(users.caregiver).exists()


def test_another_caregivers_visit_stays_masked(client, django_user_model, district, users, visit):
    colleague = make_staff(district.provider, name="吴小芳")
    visit.caregiver = colleague
    visit.save(update_fields=["caregiver"])
    assert visits_with_numbers(users.caregiver, [visit.pk]) == set()
    assert services.visit_numbers_reveal(actor=users.caregiver, work_orders=[visit]) == {}
    client.force_login(users.caregiver)
    body = client.get("/dispatch/my-day/").content.decode()
    assert ELDER_PHONE not in body and "tel:" not in body
    assert not reveals(users.caregiver).exists()


def test_a_colleague_with_the_same_role_cannot_see_my_visit(django_user_model, district, users, visit):
    other = django_user_model.objects.create_user(username="caregiver2", password="x", role="caregiver",
                                                  organisation=district.provider)
    make_staff(district.provider, name="吴小芳", user=other)
    assert visits_with_numbers(other, [visit.pk]) == set()


def test_roles_other_than_caregiver_get_no_numbers_through_this_rule(users, visit):
    for role in ("provider_admin", "street_staff", "elder", "family", "assessor", "operator"):
        assert visits_with_numbers(getattr(users, role), [visit.pk]) == set(), role


def test_a_caregiver_of_another_organisation_cannot_see_it(django_user_model, district, visit):
    stranger = django_user_model.objects.create_user(username="caregiver_b", password="x", role="caregiver",
                                                     organisation=district.other_provider)
    assert visits_with_numbers(stranger, [visit.pk]) == set()


def test_bad_and_empty_input(users, visit):
    assert visits_with_numbers(users.caregiver, []) == set()
    assert visits_with_numbers(users.caregiver, [visit.pk + 1000]) == set()
    assert services.visit_numbers_reveal(actor=users.caregiver, work_orders=[]) == {}


def test_an_elder_without_phone_or_contacts_is_said_so(client, users, visit):
    EmergencyContact.objects.all().delete()
    elder = visit.elder
    elder.phone = ""
    elder.save()
    client.force_login(users.caregiver)
    body = client.get("/dispatch/my-day/").content.decode()
    assert "老人未登记电话" in body and "没有登记紧急联系人" in body and "tel:" not in body


def test_the_caregiver_api_gives_today_s_numbers_and_masks_other_days(api_as, users, visit, today):
    api = api_as(users.caregiver)
    mine = api.get("/api/v1/dispatch/my-day/").json()["results"]
    assert mine[0]["phone"] == ELDER_PHONE
    assert mine[0]["emergency_contacts"] == [{"name": "张伟", "relation": "儿子", "phone": CONTACT_PHONE,
                                              "holds_key": True}]
    assert reveals(users.caregiver).count() == 1
    visit.date = today + dt.timedelta(days=1)
    visit.save(update_fields=["date"])
    tomorrow = api.get("/api/v1/dispatch/my-day/", {"date": visit.date.isoformat()}).json()["results"]
    assert tomorrow[0]["phone"] == "138****8000" and tomorrow[0]["emergency_contacts"] == []
    assert reveals(users.caregiver).count() == 1
