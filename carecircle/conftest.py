"""Fixtures shared by every app's tests: a small district with two streets and a user of every role."""
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from carecircle.core.roles import Role

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_axes_lockouts_between_tests(settings):
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A request in English leaves English active in the thread; the next test starts in the site's language."""
    yield
    from django.utils import translation

    translation.activate("zh-hans")


def make_region(code, name, kind, parent=None, lat=None, lng=None, boundary=None):
    from carecircle.regions.models import Region

    return Region.objects.create(code=code, name=name, kind=kind, parent=parent,
                                 centroid_lat=lat, centroid_lng=lng, boundary=boundary)


def square(lat, lng, half=0.01):
    return {"type": "Polygon", "coordinates": [[[lng - half, lat - half], [lng + half, lat - half],
                                                 [lng + half, lat + half], [lng - half, lat + half],
                                                 [lng - half, lat - half]]]}


def make_elder(community, *, name="张三明", birth=dt.date(1940, 5, 6), gender="M", household_type="alone",
               economic_category="general", phone="13800138000", **extra):
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder

    id_number = extra.pop("id_number", None) or make_id_number("310104", birth, next(_sequence), gender)
    lat = extra.pop("lat", community.centroid_lat)
    lng = extra.pop("lng", community.centroid_lng)
    return Elder.objects.create(name=name, gender=gender, birth_date=birth, id_number=id_number, phone=phone,
                                community=community, address=extra.pop("address", f"{community.name}1号"),
                                lat=lat, lng=lng, household_type=household_type,
                                economic_category=economic_category, **extra)


@pytest.fixture
def district(db):
    """City → district → streets A and B; communities A1, A2 (street A) and B1 (street B)."""
    from carecircle.providers.models import Organisation, ServiceArea

    city = make_region("310000", "上海市", "city")
    dist = make_region("310104", "徐汇区", "district", city, 31.18, 121.44, square(31.18, 121.44, 0.08))
    street_a = make_region("310104003", "天平路街道", "street", dist, 31.20, 121.44, square(31.20, 121.44, 0.02))
    street_b = make_region("310104011", "枫林路街道", "street", dist, 31.19, 121.46, square(31.19, 121.46, 0.02))
    a1 = make_region("310104003001", "天平社区", "community", street_a, 31.205, 121.445, square(31.205, 121.445, 0.004))
    a2 = make_region("310104003002", "永嘉社区", "community", street_a, 31.195, 121.435, square(31.195, 121.435, 0.004))
    b1 = make_region("310104011001", "枫林社区", "community", street_b, 31.19, 121.46, square(31.19, 121.46, 0.004))
    provider = Organisation.objects.create(name="福寿居家养老服务社", kind="home_care", credit_code="91310104MA1FL0001X",
                                           region=dist)
    other_provider = Organisation.objects.create(name="康乐护理站", kind="nursing_station",
                                                 credit_code="91310104MA1FL0002X", region=dist)
    agency = Organisation.objects.create(name="明鉴评估事务所", kind="assessment_agency",
                                         credit_code="91310104MA1FL0003X", region=dist)
    ServiceArea.objects.create(organisation=provider, community=a1)
    ServiceArea.objects.create(organisation=other_provider, community=b1)
    elders = SimpleNamespace(
        a1=make_elder(a1, name="张三明"),
        a2=make_elder(a2, name="李秀英", gender="F", birth=dt.date(1935, 2, 1), household_type="elderly_only"),
        b1=make_elder(b1, name="王建国", birth=dt.date(1950, 9, 9), household_type="with_children"),
    )
    return SimpleNamespace(city=city, district=dist, street_a=street_a, street_b=street_b, a1=a1, a2=a2, b1=b1,
                           provider=provider, other_provider=other_provider, agency=agency, elders=elders)


@pytest.fixture
def users(district):
    """One user per role scoped inside street A (or its organisations), plus street B's staff."""
    from carecircle.accounts.models import User
    from carecircle.elders.models import ElderAccountLink

    def make(username, role, **scope):
        return User.objects.create_user(username=username, password="Test-pass-2026", role=role,
                                        display_name=username, **scope)

    result = SimpleNamespace(
        district_admin=make("district_admin", Role.DISTRICT_ADMIN, scope_region=district.district),
        street_staff=make("street_a", Role.STREET_STAFF, scope_region=district.street_a),
        street_staff_b=make("street_b", Role.STREET_STAFF, scope_region=district.street_b),
        community_worker=make("community_a1", Role.COMMUNITY_WORKER, scope_region=district.a1),
        operator=make("operator", Role.OPERATOR, scope_region=district.district),
        inspector=make("inspector", Role.INSPECTOR, scope_region=district.district),
        provider_admin=make("provider", Role.PROVIDER_ADMIN, organisation=district.provider),
        caregiver=make("caregiver", Role.CAREGIVER, organisation=district.provider),
        assessor=make("assessor", Role.ASSESSOR, organisation=district.agency),
        elder=make("elder", Role.ELDER),
        family=make("family", Role.FAMILY),
    )
    ElderAccountLink.objects.create(user=result.elder, elder=district.elders.a1, relation="本人")
    ElderAccountLink.objects.create(user=result.family, elder=district.elders.a2, relation="女儿")
    return result


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login
