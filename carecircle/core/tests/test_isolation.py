"""visible_to: every branch of Scoping, with real models and the shared district fixture."""
import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured

from carecircle.core.isolation import Scoping, is_visible, scope_filter, visible_to
from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.elders.models import Elder, EmergencyContact
from carecircle.providers.models import Facility, Organisation
from carecircle.regions.models import Region


def names(qs):
    return sorted(str(x) for x in qs)


def test_region_roles_see_their_subtree_only(district, users):
    assert names(visible_to(users.district_admin, Elder)) == ["张三明", "李秀英", "王建国"]
    assert names(visible_to(users.street_staff, Elder)) == ["张三明", "李秀英"]
    assert names(visible_to(users.street_staff_b, Elder)) == ["王建国"]
    assert names(visible_to(users.community_worker, Elder)) == ["张三明"]
    assert not is_visible(users.street_staff, district.elders.b1)


def test_a_street_path_prefix_does_not_leak_into_a_similar_code(district, users):
    # "/…/310104003/" must not match a sibling whose code merely starts with the same digits.
    sibling = Region.objects.create(code="3101040031", name="近似街道", kind="street", parent=district.district)
    community = Region.objects.create(code="3101040031001", name="近似社区", kind="community", parent=sibling)
    from carecircle.conftest import make_elder

    make_elder(community, name="赵近似")
    assert "赵近似" not in names(visible_to(users.street_staff, Elder))


def test_ancestors_visible_shows_inherited_rows_but_not_siblings(district, users):
    def row(region):
        return PolicyParameter.objects.create(key="k", region=region, value=1, effective_from=dt.date(2026, 1, 1),
                                              source="s", confidence="local")

    city, own, sibling, child = row(district.city), row(district.street_a), row(district.street_b), row(district.a1)
    visible = set(visible_to(users.street_staff, PolicyParameter))
    assert {city, own, child} <= visible and sibling not in visible
    # Without ancestors_visible (audit events) the parent's rows stay hidden.
    AuditEvent.objects.create(actor_repr="x", action="t", region=district.district)
    assert not visible_to(users.street_staff, AuditEvent).filter(region=district.district).exists()


def test_readable_by_all_opens_reference_data_to_every_signed_in_user(district, users):
    for user in (users.caregiver, users.elder, users.street_staff_b):
        assert visible_to(user, Region).count() == Region.objects.count()
    assert not visible_to(AnonymousUser(), Region).exists()


def test_organisation_roles_see_their_own_organisation(district, users):
    Facility.objects.create(organisation=district.provider, name="甲", kind="day_centre", community=district.a1,
                            lat=31.2, lng=121.44)
    Facility.objects.create(organisation=district.other_provider, name="乙", kind="day_centre",
                            community=district.b1, lat=31.19, lng=121.46)
    assert names(visible_to(users.provider_admin, Facility)) == ["甲"]
    assert names(visible_to(users.caregiver, Facility)) == ["甲"]
    assert names(visible_to(users.assessor, Facility)) == []
    assert names(visible_to(users.provider_admin, Organisation)) == ["福寿居家养老服务社"]


def test_organisation_reach_only_for_reach_roles(district, users):
    # The provider serves community A1: its administrator reaches A1's elders, its caregiver does not
    # (caregivers are not in Elder's reach_roles), and the assessment agency serves nowhere.
    assert names(visible_to(users.provider_admin, Elder)) == ["张三明"]
    assert names(visible_to(users.caregiver, Elder)) == []
    assert names(visible_to(users.assessor, Elder)) == []
    assert names(visible_to(users.provider_admin, EmergencyContact)) == []


def test_reach_follows_service_areas_as_they_change(district, users):
    from carecircle.providers.models import ServiceArea

    ServiceArea.objects.create(organisation=district.provider, community=district.b1)
    assert names(visible_to(users.provider_admin, Elder)) == ["张三明", "王建国"]


def test_person_links_decide_what_elders_and_families_see(district, users):
    assert names(visible_to(users.elder, Elder)) == ["张三明"]
    assert names(visible_to(users.family, Elder)) == ["李秀英"]
    # Models that declare no person link show elders and families nothing.
    assert not visible_to(users.elder, Facility).exists()


def test_inactive_and_anonymous_users_see_nothing(district, users):
    users.district_admin.is_active = False
    users.district_admin.save()
    assert scope_filter(users.district_admin, Elder) is None
    assert not visible_to(users.district_admin, Elder).exists()
    assert not visible_to(AnonymousUser(), Elder).exists()


def test_users_without_a_scope_see_nothing(district, users):
    users.street_staff.scope_region = None
    users.street_staff.save()
    users.provider_admin.organisation = None
    users.provider_admin.save()
    assert not visible_to(users.street_staff, Elder).exists()
    assert not visible_to(users.provider_admin, Facility).exists()


def test_superusers_see_everything(district):
    from carecircle.accounts.models import User

    root = User.objects.create_superuser("root", password="Root-pass-2026")
    assert visible_to(root, Elder).count() == 3


def test_a_queryset_is_narrowed_not_replaced(district, users):
    narrowed = visible_to(users.district_admin, Elder.objects.filter(name="王建国"))
    assert names(narrowed) == ["王建国"]


def test_an_undeclared_model_raises(district, users):
    with pytest.raises(ImproperlyConfigured, match="declares no Scoping"):
        visible_to(users.district_admin, Session)


def test_a_model_without_a_region_path_shows_region_roles_nothing():
    class Fake:
        __name__ = "Fake"
        scoping = Scoping(organisation="organisation")

    class RegionUser:
        is_authenticated, is_active, is_superuser, role, scope_region_id = True, True, False, "street_staff", 1

    assert scope_filter(RegionUser(), Fake) is None


@pytest.mark.django_db
def test_street_staff_see_district_providers_that_serve_their_street(users, district):
    from carecircle.providers.models import Organisation

    visible_a = set(visible_to(users.street_staff, Organisation))
    visible_b = set(visible_to(users.street_staff_b, Organisation))
    # Both providers are registered at the district; each serves one street's community.
    assert district.provider in visible_a and district.other_provider not in visible_a
    assert district.other_provider in visible_b and district.provider not in visible_b
    assert visible_to(users.street_staff, Organisation).filter(pk=district.provider.pk).count() == 1


@pytest.mark.django_db
def test_a_contracted_agencys_region_staff_reach_only_what_is_linked_to_their_agency(district, users):
    """An inspector who works for an organisation (a third-party agency) is region-scoped by role, yet reads
    none of the region's rows: elders, facilities, organisations, audit events stay out of reach; reference
    data stays readable. A district inspector of the same region is not narrowed."""
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role

    Facility.objects.create(organisation=district.provider, name="甲", kind="day_centre", community=district.a1,
                            lat=31.2, lng=121.44)
    agency_staff = User.objects.create_user(username="agency_staff", password="Test-pass-2026", role=Role.INSPECTOR,
                                            scope_region=district.district, organisation=district.agency)
    for model in (Elder, Facility, Organisation, AuditEvent, User):
        assert not visible_to(agency_staff, model).exists(), model.__name__
        assert not visible_to(agency_staff, model, action="change").exists(), model.__name__
    assert visible_to(agency_staff, Region).count() == Region.objects.count()
    # The published rules they work by stay readable, as for the region's own staff (and read-only).
    rule = PolicyParameter.objects.create(key="k", region=district.district, value=1,
                                          effective_from=dt.date(2026, 1, 1), source="s", confidence="local")
    assert list(visible_to(agency_staff, PolicyParameter)) == list(visible_to(users.inspector, PolicyParameter))
    assert rule in set(visible_to(agency_staff, PolicyParameter))
    assert not visible_to(agency_staff, PolicyParameter, action="change").exists()
    assert names(visible_to(users.inspector, Elder)) == ["张三明", "李秀英", "王建国"]
    assert visible_to(users.inspector, Facility).count() == 1
    # The organisation's own links for its organisation-scoped roles do not open doors to its region staff:
    # the elders an assessment agency has orders for are linked to the agency for assessors only.
    fake = Scoping(region="community", organisation_links=(("agency", frozenset({Role.ASSESSOR})),))

    class Linked:
        __name__ = "Linked"
        scoping = fake

    assert scope_filter(agency_staff, Linked) is None
