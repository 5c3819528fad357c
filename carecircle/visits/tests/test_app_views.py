"""The caregiver's phone app: today's own visits only, with what to know about each elder; the manifest and
the service worker it installs; no inline script."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.core.testing import assert_no_internals
from carecircle.dispatch.tests.conftest import make_order, make_staff

pytestmark = pytest.mark.django_db


def _at(hour: int):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def day_world(district, users):
    from carecircle.catalog.models import ServiceItem
    from carecircle.elders.models import EmergencyContact
    from carecircle.workorders.models import WorkOrderItem

    elder = district.elders.a1
    elder.chronic_conditions = ["高血压", "糖尿病"]
    elder.save(update_fields=["chronic_conditions"])
    EmergencyContact.objects.create(elder=elder, name="张小明", relation="儿子", phone="13900001111", holds_key=True)
    me = make_staff(district.provider, name="周小红", user=users.caregiver)
    colleague = make_staff(district.provider, name="钱阿姨")
    today = timezone.localdate()
    later = make_order(district.provider, district.elders.a2, "14:00", "15:00", day=today, status="published",
                       caregiver=me, planned_start=_at(14))
    first = make_order(district.provider, elder, "08:00", "09:00", day=today, status="published", caregiver=me,
                       planned_start=_at(8), dialect="上海话")
    vitals = ServiceItem.objects.get(code="ltci-c05")
    WorkOrderItem.objects.create(work_order=first, item=vitals)
    theirs = make_order(district.provider, district.elders.a2, "10:00", "11:00", day=today, status="published",
                        caregiver=colleague, planned_start=_at(10))
    tomorrow = make_order(district.provider, elder, "09:00", "10:00", day=today + dt.timedelta(days=1),
                          status="published", caregiver=me,
                          planned_start=_at(9) + dt.timedelta(days=1))
    return {"first": first, "later": later, "theirs": theirs, "tomorrow": tomorrow, "me": me}


def test_the_caregiver_sees_todays_own_visits_in_route_order_with_the_elders_card(client, users, day_world):
    client.force_login(users.caregiver)
    response = client.get(reverse("visits:app"))
    assert response.status_code == 200
    html = response.content.decode()
    visits = re.findall(r'data-visit="(\d+)"', html)
    assert visits == [str(day_world["first"].pk), str(day_world["later"].pk)]  # not a colleague's, not tomorrow's
    assert "高血压、糖尿病" in html
    assert "张小明（儿子）有钥匙" in html
    assert 'href="tel:13900001111"' in html  # today's own visit: the contact to call
    assert "方言：上海话" in html
    assert "geo:" in html
    assert "生命体征监测" in html and 'data-vital="systolic"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert_no_internals(html)


def test_the_page_has_no_inline_script_and_passes_its_words_as_json(client, users, day_world):
    client.force_login(users.caregiver)
    html = client.get(reverse("visits:app")).content.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    config = json.loads(re.search(r'<script id="visits-app-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert config["sw"] == reverse("visits:app-sw") and config["scope"] == reverse("visits:app")
    assert config["endpoints"]["check_in"] == "/api/v1/work-orders/{id}/check-in/"
    assert config["words"]["reason_needed"]
    assert 'rel="manifest"' in html


def test_english_words_for_the_script(client, users, day_world):
    client.force_login(users.caregiver)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("visits:app"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    config = json.loads(re.search(r'<script id="visits-app-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert "sync" in config["words"]["pending_none"].lower()
    assert "Today's visits" in html and "Check in" in html


def test_the_service_worker_is_a_script_whose_scope_is_the_app(client, users, day_world):
    client.force_login(users.caregiver)
    response = client.get(reverse("visits:app-sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == reverse("visits:app")
    body = response.content.decode()
    assert "importScripts" in body and '"/static/visits/queue.js"' in body.replace("\\/", "/")
    assert reverse("visits:app-sw").startswith(reverse("visits:app"))


def test_the_manifest_opens_the_app_standalone(client, users, day_world):
    client.force_login(users.caregiver)
    response = client.get(reverse("visits:app-manifest"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == reverse("visits:app")
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


@pytest.mark.parametrize("who", ["provider_admin", "district_admin", "street_staff", "elder"])
def test_only_caregivers_open_the_app(client, users, day_world, who):
    client.force_login(getattr(users, who))
    for name in ("visits:app", "visits:app-sw", "visits:app-manifest"):
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, day_world):
    response = client.get(reverse("visits:app"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_caregiver_of_another_provider_sees_none_of_these_visits(client, district, day_world):
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role

    other = User.objects.create_user(username="other-carer", password="x-Test-pass-2026", role=Role.CAREGIVER,
                                     organisation=district.other_provider)
    make_staff(district.other_provider, name="孙护理", user=other)
    client.force_login(other)
    html = client.get(reverse("visits:app")).content.decode()
    assert "data-visit=" not in html
    assert "张三明" not in html


def test_the_phone_starts_a_visit_where_the_server_has_it(client, users, day_world):
    from carecircle.visits.models import Visit, VisitStatus

    order = day_world["first"]
    Visit.objects.create(work_order=order, organisation=order.organisation, elder=order.elder,
                         caregiver=day_world["me"], date=order.date, status=VisitStatus.CHECKED_IN,
                         checked_in_at=timezone.now())
    client.force_login(users.caregiver)
    html = client.get(reverse("visits:app")).content.decode()
    assert f'data-visit="{order.pk}" data-stage="checked_in"' in html
    assert f'data-visit="{day_world["later"].pk}" data-stage="planned"' in html
