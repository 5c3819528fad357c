"""Care advisors: points on the map, advisors, consultations recorded on a phone, a referral registering the
application through the application service, and the monthly counts."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from carecircle.core.models import AuditEvent
from carecircle.planning import selectors, services
from carecircle.planning.models import Consultation

pytestmark = pytest.mark.django_db


@pytest.fixture
def points(district, users, planning):
    return make_points(district, users, planning)


def make_points(district, users, planning):
    """Advisor points in A1 (王顾问, the community worker's account) and B1 (李顾问); the application types."""
    from carecircle.intake.defaults import application_types_seed
    from carecircle.intake.tests.conftest import seed_intake_policy
    from carecircle.providers.models import Facility

    seed_intake_policy()
    application_types_seed(region=district.district)
    a1 = Facility.objects.create(organisation=district.provider, name="天平养老顾问点", kind="advisor_point",
                                 community=district.a1, address="天平路 1 号", lat="31.205500", lng="121.445500")
    b1 = Facility.objects.create(organisation=district.other_provider, name="枫林养老顾问点", kind="advisor_point",
                                 community=district.b1, address="枫林路 1 号", lat="31.190500", lng="121.460500")
    wang = services.advisor_save(actor=users.district_admin, point=a1, name="王顾问")
    wang.user = users.community_worker
    wang.save()
    li = services.advisor_save(actor=users.district_admin, point=b1, name="李顾问")
    return a1, b1, wang, li


def test_the_advisor_records_a_consultation_on_a_phone(district, users, points, client):
    client.force_login(users.community_worker)
    form = client.get(reverse("planning:consult"))
    text = form.content.decode()
    assert form.status_code == 200 and "王顾问" in text and "李顾问" not in text  # B1 is not hers
    response = client.post(reverse("planning:consult"), {
        "advisor": points[2].pk, "consulted_on": timezone.localdate().isoformat(), "topic": "meals",
        "advice": "介绍了天平长者食堂的午餐和送餐"})
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert (consultation.point, consultation.topic, consultation.referral) == (points[0], "meals", "")
    assert AuditEvent.objects.filter(action="planning.consultation").count() == 1


def test_a_referral_registers_the_application_through_its_service(district, users, points, client):
    from carecircle.intake.models import Application

    client.force_login(users.community_worker)
    elder = district.elders.a1
    response = client.post(reverse("planning:consult"), {
        "advisor": points[2].pk, "consulted_on": timezone.localdate().isoformat(), "topic": "subsidy",
        "advice": "符合长护险居家照护申请条件，代为登记", "referral_type": "ltci-home", "elder_q": elder.name})
    assert response.status_code == 302, response.content.decode()[-2000:]
    application = Application.objects.get()
    consultation = Consultation.objects.get()
    assert (application.elder, application.channel) == (elder, "community")
    assert consultation.referral == application.number and consultation.elder == elder


def test_a_refused_referral_records_nothing(district, users, points):
    # an elder of street B is outside the community worker's scope: the application service refuses
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.consultation_record(actor=users.community_worker, point=points[0], advisor=points[2],
                                     topic="subsidy", advice="代为登记", referral_type="ltci-home",
                                     elder=district.elders.b1)
    assert Consultation.objects.count() == 0


@pytest.mark.parametrize("changes, field", [
    ({"topic": "gossip"}, "topic"),
    ({"advice": "  "}, "advice"),
    ({"consulted_on": dt.date.today() + dt.timedelta(days=2)}, "consulted_on"),
    ({"consulted_on": dt.date.today() - dt.timedelta(days=40)}, "consulted_on"),
    ({"referral_type": "ltci-home"}, "elder"),
])
def test_bad_input_is_refused_field_by_field(district, users, points, changes, field):
    values = dict(topic="policy", advice="说明了补贴政策", consulted_on=None, referral_type="")
    values.update(changes)
    with pytest.raises(ValidationError) as caught:
        services.consultation_record(actor=users.community_worker, point=points[0], advisor=points[2], **values)
    assert field in caught.value.message_dict
    assert Consultation.objects.count() == 0


def test_an_advisor_of_another_point_or_another_street_is_refused(district, users, points):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(ValidationError):
        services.consultation_record(actor=users.district_admin, point=points[0], advisor=points[3],
                                     topic="policy", advice="说明")
    with pytest.raises(PermissionDenied):
        services.consultation_record(actor=users.community_worker, point=points[1], advisor=points[3],
                                     topic="policy", advice="说明")


def test_monthly_counts_and_points_on_the_page(district, users, points, client):
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    for day, topic in ((today, "meals"), (today, "meals"), (today, "policy"), (last_month, "policy")):
        if (today - day).days <= services.CONSULTATION_BACKDATE_DAYS:
            services.consultation_record(actor=users.district_admin, point=points[0], advisor=points[2], topic=topic,
                                         advice="说明", consulted_on=day)
    services.consultation_record(actor=users.district_admin, point=points[1], advisor=points[3], topic="meals",
                                 advice="说明")
    topics, months = selectors.consultation_months(user=users.street_staff, today=today)
    assert months[0].month == today.replace(day=1)
    assert months[0].total == 3 and months[0].by_topic[topics.index("助餐")] == 2  # street B's is not counted
    everyone = selectors.consultation_months(user=users.district_admin, today=today)[1]
    assert everyone[0].total == 4
    client.force_login(users.street_staff)
    page = client.get(reverse("planning:advisors")).content.decode()
    assert "天平养老顾问点" in page and "枫林养老顾问点" not in page and "王顾问" in page
    assert f'data-month="{today:%Y-%m}"' in page


def test_the_district_adds_advisors_at_advisor_points_only(district, users, points, planning, client):
    with pytest.raises(ValidationError):
        services.advisor_save(actor=users.district_admin, point=planning.meal, name="赵顾问")
    client.force_login(users.street_staff)
    response = client.post(reverse("planning:advisor-add"), {"point": points[0].pk, "name": "赵顾问"})
    assert response.status_code == 302
    response = client.post(reverse("planning:advisor-add"), {"point": points[1].pk, "name": "钱顾问"})
    assert response.status_code == 400  # street B's point is not offered to street A
    assert set(selectors.advisors(user=users.district_admin).values_list("name", flat=True)) == {"王顾问", "李顾问", "赵顾问"}


def test_a_consultation_referred_to_a_service_order_tells_the_price_first(district, users, points, client):
    from carecircle.careplans.models import ServiceOrder
    from carecircle.catalog.services import catalogue_seed
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    catalogue_seed()
    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith(
        ("ltci.", "catalog.", "gov_purchase.", "benefits.care_subsidy.", "careplans."))])
    client.force_login(users.community_worker)
    elder = district.elders.a1
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    values = {"advisor": points[2].pk, "consulted_on": timezone.localdate().isoformat(), "topic": "home_service",
              "advice": "腿脚不便，建议上门助浴", "order_item": "gb-bathing", "order_quantity": "1",
              "order_date": tomorrow, "order_window": "14:00-16:00", "elder_q": elder.name}
    first = client.post(reverse("planning:consult"), values)
    assert first.status_code == 200, [e for e in first.context["form"].errors.items()]
    assert "个人自付 80.00 元" in first.content.decode()
    assert not ServiceOrder.objects.exists() and not Consultation.objects.exists()
    wrong = client.post(reverse("planning:consult"), {**values, "expected_self_pay": "1.00"})
    assert wrong.status_code == 200 and not ServiceOrder.objects.exists()  # told the real price again
    done = client.post(reverse("planning:consult"), {**values, "expected_self_pay": "80.00"})
    assert done.status_code == 302, done.content.decode()[-1500:]
    order = ServiceOrder.objects.get()
    consultation = Consultation.objects.get()
    assert (consultation.order, consultation.elder, order.elder) == (order, elder, elder)
    assert order.channel == "community" and str(order.self_pay) == "80.00"
    no_date = client.post(reverse("planning:consult"), {**values, "order_date": "", "expected_self_pay": "80.00"})
    assert no_date.status_code == 400 and Consultation.objects.count() == 1
    no_window = client.post(reverse("planning:consult"), {**values, "order_window": "", "expected_self_pay": "80.00"})
    assert no_window.status_code == 400 and Consultation.objects.count() == 1


def test_the_consultation_form_asks_for_the_day_and_time_only_with_an_order():
    from types import SimpleNamespace

    from carecircle.planning.forms import ConsultationForm

    advisor = SimpleNamespace(pk=1, name="顾问", point=SimpleNamespace(name="站点"))
    base = {"advisor": "1", "consulted_on": "2026-12-01", "topic": "policy", "advice": "已答复"}

    def form(**values):
        bound = ConsultationForm({**base, **values}, advisors=[advisor], order_items=[("7", "助浴")])
        bound.is_valid()
        return bound

    assert form().is_valid(), form().errors
    missing = form(order_item="7")
    assert set(missing.errors) == {"order_date", "order_window"}
    bad_date = form(order_item="7", order_date="2026-02-30", order_window="08:00-10:00")
    assert list(bad_date.errors) == ["order_date"] and len(bad_date.errors["order_date"]) == 1
    assert form(order_item="7", order_date="2026-12-02", order_window="08:00-10:00").is_valid()
