"""The write-scope checks of providers, catalogue, region tree, elder registry and policy values refuse what they
refused when each compared region paths and organisation ids by hand."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.roles import Role
from carecircle.providers import services
from carecircle.providers.models import ServiceArea


@pytest.fixture
def narrow_admin(district):
    """A district administrator's capabilities, scoped to street A only: the write scope is then narrower than
    the district, so a check that forgot it would let street B through."""
    from carecircle.accounts.models import User

    return User.objects.create_user(username="narrow", password="Test-pass-2026", role=Role.DISTRICT_ADMIN,
                                    scope_region=district.street_a)


@pytest.fixture
def root(db):
    from carecircle.accounts.models import User

    return User.objects.create_superuser("root", password="Root-pass-2026")


def test_registration_facts_are_changed_where_the_provider_is_registered_or_serves(district, users, narrow_admin,
                                                                                   root):
    # 福寿 serves A1 (street A), 康乐 serves B1 (street B); both are registered at the district.
    assert services.can_manage_district_facts(narrow_admin, district.provider)
    assert not services.can_manage_district_facts(narrow_admin, district.other_provider)
    assert services.can_manage_district_facts(users.district_admin, district.other_provider)
    assert services.can_manage_district_facts(root, district.other_provider)
    assert not services.can_manage_district_facts(users.street_staff, district.provider)  # no capability
    assert not services.can_manage_district_facts(users.provider_admin, district.provider)
    with pytest.raises(PermissionDenied):
        services.service_area_add(actor=narrow_admin, organisation=district.other_provider, community=district.a2)


def test_a_provider_manages_its_own_facts_only(district, users):
    assert services.can_manage_own_facts(users.provider_admin, district.provider)
    assert not services.can_manage_own_facts(users.provider_admin, district.other_provider)
    assert not services.can_manage_own_facts(users.caregiver, district.provider)  # no capability
    with pytest.raises(PermissionDenied, match="本机构"):
        services.organisation_update(actor=users.provider_admin, organisation=district.other_provider,
                                     contact_name="张三", reason="更正")


def test_a_service_area_is_added_only_inside_the_actors_region(district, narrow_admin):
    with pytest.raises(ValidationError) as refused:
        services.service_area_add(actor=narrow_admin, organisation=district.provider, community=district.b1)
    assert "不在您的管辖范围内" in str(refused.value.message_dict["community"])
    assert services.service_area_add(actor=narrow_admin, organisation=district.provider, community=district.a2)
    assert ServiceArea.objects.filter(organisation=district.provider).count() == 2


def test_a_contract_price_is_set_only_for_a_provider_in_scope(district, users, narrow_admin):
    from carecircle.catalog.models import ServiceItem
    from carecircle.catalog.services import contract_price_set

    item = ServiceItem.objects.first()
    if item is None:
        item = ServiceItem.objects.create(code="t-item", name="测试项目", category="life_care", unit="visit",
                                          standard_minutes=30, price="10.00")
    values = dict(item=item, unit_price="12.00", effective_from=dt.date(2026, 12, 1))
    with pytest.raises(PermissionDenied, match="管辖范围"):
        contract_price_set(actor=narrow_admin, organisation=district.other_provider, **values)
    with pytest.raises(PermissionDenied):
        contract_price_set(actor=users.provider_admin, organisation=district.provider, **values)
    assert contract_price_set(actor=narrow_admin, organisation=district.provider, **values).unit_price == 12


def test_a_region_is_moved_only_under_a_parent_in_scope(district, narrow_admin):
    from carecircle.regions.services import region_update

    with pytest.raises(ValidationError) as refused:
        region_update(actor=narrow_admin, region=district.a2, parent=district.street_b, reason="调整")
    assert "不在您的管辖范围内" in str(refused.value.message_dict["parent"])
    district.a2.refresh_from_db()
    assert district.a2.parent == district.street_a


def test_policy_values_are_set_only_for_regions_in_scope(district, users, narrow_admin):
    from carecircle.core.services import policy_parameter_set

    values = dict(key="careplans.order.free_cancel_hours", value=2, effective_from=dt.date(2027, 1, 1),
                  source="测试文件", confidence="local")
    with pytest.raises(PermissionDenied, match="本辖区"):
        policy_parameter_set(actor=narrow_admin, region=district.street_b, **values)
    with pytest.raises(PermissionDenied, match="本辖区"):
        policy_parameter_set(actor=narrow_admin, region=district.district, **values)  # an ancestor: read-only
    # A region role left without a region is refused, not answered with a crash.
    narrow_admin.scope_region = None
    narrow_admin.save()
    with pytest.raises(PermissionDenied, match="本辖区"):
        policy_parameter_set(actor=narrow_admin, region=district.a1, **values)


def test_community_write_scope_and_region_filter_follow_the_subtree(district, users, root):
    from carecircle.elders.selectors import regions_for_filter
    from carecircle.elders.services import community_in_scope

    assert community_in_scope(users.street_staff, district.a1)
    assert not community_in_scope(users.street_staff, district.b1)
    assert not community_in_scope(users.provider_admin, district.a1)
    assert not community_in_scope(users.elder, district.a1)
    assert community_in_scope(root, district.b1)
    assert [r.name for r in regions_for_filter(users.street_staff)] == ["天平路街道", "天平社区", "永嘉社区"]
    assert not regions_for_filter(users.provider_admin).exists()
    assert regions_for_filter(root).count() == 5
