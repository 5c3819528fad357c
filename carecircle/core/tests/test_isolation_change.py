"""visible_to(..., action="change"): writing reaches less far than reading, link by link; the audit region and
an organisation's service area come from what the models declare."""
import ast
import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from carecircle.core import audit
from carecircle.core.isolation import (
    CHANGE, ORGANISATION, VIEW, Scoping, acts_for, is_visible, region_of, require_change, require_own_organisation,
    scope_filter, visible_to,
)
from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.elders.models import Elder, EmergencyContact
from carecircle.providers.models import Facility, Organisation, ServiceArea, StaffMember
from carecircle.regions.models import Region


def names(qs):
    return sorted(str(x) for x in qs)


def parameter(region):
    return PolicyParameter.objects.create(key="k", region=region, value=1, effective_from=dt.date(2026, 1, 1),
                                          source="s", confidence="local")


def superuser():
    from carecircle.accounts.models import User

    return User.objects.create_superuser("root", password="Root-pass-2026")


# --- each kind of link, read against write ------------------------------------------------------------

def test_the_region_subtree_is_both_read_and_changed(district, users):
    assert names(visible_to(users.street_staff, Elder, CHANGE)) == names(visible_to(users.street_staff, Elder))
    assert is_visible(users.street_staff, district.elders.a2, CHANGE)
    assert not is_visible(users.street_staff, district.elders.b1, CHANGE)
    assert not is_visible(users.community_worker, district.elders.a2, CHANGE)


def test_rows_of_ancestor_regions_are_read_only(district, users):
    city, own, child, sibling = (parameter(district.city), parameter(district.street_a), parameter(district.a1),
                                 parameter(district.street_b))
    readable = set(visible_to(users.street_staff, PolicyParameter))
    writable = set(visible_to(users.street_staff, PolicyParameter, CHANGE))
    assert {city, own, child} <= readable
    assert writable == {own, child}
    assert sibling not in readable | writable


def test_reference_data_read_by_all_is_changed_only_in_the_subtree(district, users):
    assert visible_to(users.street_staff, Region).count() == Region.objects.count()
    assert names(visible_to(users.street_staff, Region, CHANGE)) == ["天平社区", "天平路街道", "永嘉社区"]
    for user in (users.provider_admin, users.assessor, users.elder):
        assert visible_to(user, Region).exists()
        assert not visible_to(user, Region, CHANGE).exists()


def test_the_communities_an_organisation_serves_are_read_only(district, users):
    assert names(visible_to(users.provider_admin, Elder)) == ["张三明"]
    assert not visible_to(users.provider_admin, Elder, CHANGE).exists()


def test_rows_linked_from_another_organisation_are_read_only(district, users):
    from carecircle.assessment.models import AssessmentOrder

    AssessmentOrder.objects.create(elder=district.elders.b1, agency=district.agency, programme="ltci",
                                   instrument_code="gbt42195_2022", reason="application")
    assert names(visible_to(users.assessor, Elder)) == ["王建国"]
    assert not visible_to(users.assessor, Elder, CHANGE).exists()


def test_the_own_organisation_is_both_read_and_changed(district, users):
    Facility.objects.create(organisation=district.provider, name="甲", kind="day_centre", community=district.a1,
                            lat=31.2, lng=121.44)
    assert names(visible_to(users.provider_admin, Facility, CHANGE)) == ["甲"]
    assert names(visible_to(users.caregiver, Facility, CHANGE)) == ["甲"]
    assert names(visible_to(users.provider_admin, Organisation, CHANGE)) == ["福寿居家养老服务社"]


def test_a_declared_second_region_path_may_change(district, users):
    # Organisation lists region_reach in change_via: a street changes the providers serving its communities.
    assert names(visible_to(users.street_staff, Organisation, CHANGE)) == ["福寿居家养老服务社"]
    assert names(visible_to(users.street_staff_b, Organisation, CHANGE)) == ["康乐护理站"]


def test_elders_and_families_change_the_rows_of_the_elders_they_are_linked_to(district, users):
    assert names(visible_to(users.elder, Elder, CHANGE)) == ["张三明"]
    assert names(visible_to(users.family, Elder, CHANGE)) == ["李秀英"]
    assert not visible_to(users.elder, Facility, CHANGE).exists()


def test_superusers_change_everything_and_anonymous_nothing(district, users):
    from django.contrib.auth.models import AnonymousUser

    parameter(district.city)
    root = superuser()
    assert visible_to(root, Elder, CHANGE).count() == 3
    assert visible_to(root, PolicyParameter, CHANGE).count() == PolicyParameter.objects.count() > 0
    assert not visible_to(AnonymousUser(), Elder, CHANGE).exists()


def test_an_unknown_action_or_link_is_a_programming_error(district, users):
    with pytest.raises(ValueError, match="unknown action"):
        visible_to(users.street_staff, Elder, "delete")
    with pytest.raises(ValueError, match="unknown link"):
        visible_to(users.street_staff, Elder, CHANGE, via="neighbours")
    with pytest.raises(ImproperlyConfigured, match="unknown links"):
        Scoping(region="region", change_via=frozenset({"everything"}))


def test_view_remains_the_default_action(district, users):
    for user in (users.provider_admin, users.street_staff, users.assessor):
        assert names(visible_to(user, Elder)) == names(visible_to(user, Elder, VIEW))


# --- own organisation, and the helpers services use ----------------------------------------------------

def test_acts_for_is_the_own_organisation_only(district, users):
    staff = StaffMember.objects.create(organisation=district.other_provider, name="李护理", gender="F",
                                       id_number="310104195001010011", position="caregiver")
    assert acts_for(users.provider_admin, district.provider)
    assert acts_for(users.caregiver, district.provider)
    assert not acts_for(users.provider_admin, district.other_provider)
    assert not acts_for(users.provider_admin, staff)
    assert not acts_for(users.assessor, district.provider)
    # Region staff, elders and superusers work for no organisation, though they may change its rows.
    assert is_visible(users.district_admin, district.provider, CHANGE) and not acts_for(users.district_admin,
                                                                                     district.provider)
    root = superuser()
    assert is_visible(root, district.provider, CHANGE) and not acts_for(root, district.provider)
    assert not acts_for(users.elder, district.provider)
    assert not acts_for(None, district.provider)
    assert scope_filter(users.provider_admin, Elder, CHANGE, via=ORGANISATION) is None


def test_require_change_refuses_outside_the_write_scope(district, users):
    require_change(users.street_staff, district.a1)
    require_change(None, district.b1)  # the system acting on its own
    with pytest.raises(PermissionDenied):
        require_change(users.street_staff, district.b1)
    with pytest.raises(PermissionDenied, match="只读"):
        require_change(users.street_staff, district.district, "只读")


def test_require_own_organisation_limits_only_those_who_work_for_one(district, users):
    require_own_organisation(users.provider_admin, district.provider)
    require_own_organisation(users.district_admin, district.other_provider)
    require_own_organisation(None, district.other_provider)
    with pytest.raises(PermissionDenied, match="本机构"):
        require_own_organisation(users.provider_admin, district.other_provider, "只能处理本机构的记录。")


# --- the service area is reached through what the organisation model declares -------------------------

def test_reach_goes_through_the_service_area_the_organisation_declares(district, users, monkeypatch):
    assert Organisation.scoping.serves == "service_areas__community"
    ServiceArea.objects.filter(organisation=district.provider).delete()
    assert not visible_to(users.provider_admin, Elder).exists()  # an organisation serving nowhere reaches nothing
    ServiceArea.objects.create(organisation=district.provider, community=district.b1)
    assert names(visible_to(users.provider_admin, Elder)) == ["王建国"]
    monkeypatch.setattr(Organisation, "scoping", Scoping(region="region", organisation="self"))
    with pytest.raises(ImproperlyConfigured, match="serves"):
        list(visible_to(users.provider_admin, Elder))


@pytest.mark.parametrize("module", ["isolation.py", "audit.py"])
def test_the_kernel_imports_no_domain_app(module):
    source = (Path(__file__).resolve().parents[1] / module).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    outside = {name for name in imported if name.startswith("carecircle.") and not name.startswith("carecircle.core")}
    assert outside == set()


# --- the audit region is derived from Scoping -------------------------------------------------------------

def test_region_of_follows_region_organisation_and_elder(district, users):
    facility = Facility.objects.create(organisation=district.provider, name="甲", kind="day_centre",
                                       community=district.a2, lat=31.2, lng=121.44)
    staff = StaffMember.objects.create(organisation=district.provider, name="李护理", gender="F",
                                       id_number="310104195001010011", position="caregiver")
    contact = EmergencyContact.objects.create(elder=district.elders.b1, name="王小", relation="儿子",
                                              phone="13800000000")
    assert region_of(district.a1) == district.a1  # the region tree: the row itself
    assert region_of(district.elders.b1) == district.b1  # the elder's community
    assert region_of(contact) == district.b1  # through the elder
    assert region_of(facility) == district.a2  # its own community, not its organisation's region
    assert region_of(staff) == district.district  # the organisation's region
    assert region_of(district.provider) == district.district
    # A user: the region scope, else the organisation's region, else none.
    assert region_of(users.street_staff) == district.street_a
    assert region_of(users.caregiver) == district.district
    assert region_of(users.elder) is None
    assert region_of(AuditEvent(actor_repr="x", action="t")) is None  # an empty region path gives none
    assert region_of(object()) is None  # not a scoped model


def _recorded_region(actor, subject):
    return audit.record(actor=actor, action="policy.set", subject=subject).region


def test_audit_events_of_several_kinds_of_subjects_keep_their_region(district, users):
    from carecircle.accounts.models import User
    from carecircle.careplans.models import ElderAbsence
    from carecircle.dispatch.models import Shift
    from carecircle.elders.models import ElderMerge
    from carecircle.providers.models import Certificate

    staff = StaffMember.objects.create(organisation=district.provider, name="李护理", gender="F",
                                       id_number="310104195001010011", position="caregiver")
    certificate = Certificate.objects.create(staff=staff, qualification="care_worker_4", number="C-1",
                                             issued_on=dt.date(2024, 1, 1))
    shift = Shift.objects.create(organisation=district.provider, caregiver=staff, date=dt.date(2026, 12, 7),
                                 start_time=dt.time(8), end_time=dt.time(17), start_lat="31.2", start_lng="121.44",
                                 end_lat="31.2", end_lng="121.44", max_hours="8")
    absence = ElderAbsence.objects.create(elder=district.elders.a2, kind="hospital", starts_on=dt.date(2026, 12, 1),
                                          ends_on=dt.date(2026, 12, 9))
    merge = ElderMerge(survivor=district.elders.b1, merged=district.elders.a2)
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    # The region each subject declared before by hand, now derived: the actor (a street of another part of
    # the district, or a superuser with no region) does not change it.
    for actor in (users.street_staff_b, root, None):
        assert _recorded_region(actor, district.elders.a1) == district.a1
        assert _recorded_region(actor, absence) == district.a2
        assert _recorded_region(actor, district.provider) == district.district
        assert _recorded_region(actor, staff) == district.district
        assert _recorded_region(actor, certificate) == district.district
        assert _recorded_region(actor, shift) == district.district
        assert _recorded_region(actor, district.street_b) == district.street_b
        assert _recorded_region(actor, merge) == district.b1
        assert _recorded_region(actor, parameter(district.city)) == district.city
    # A subject with no region of its own (the catalogue, read by all) takes the actor's, as before.
    from carecircle.catalog.models import ServiceItem

    item = ServiceItem.objects.first() or ServiceItem.objects.create(code="t-item", name="测试项目",
                                                                     category="life_care", unit="visit",
                                                                     standard_minutes=30, price="10.00")
    assert _recorded_region(users.street_staff, item) == district.street_a
    assert _recorded_region(users.provider_admin, item) == district.district
    assert _recorded_region(None, item) is None
    # An explicit region still wins.
    assert audit.record(actor=None, action="policy.set", subject=district.elders.a1, region=district.city).region \
        == district.city
