import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from carecircle.core.models import AuditEvent
from carecircle.providers import services
from carecircle.providers.credit_code import with_check_character
from carecircle.providers.models import Certificate, Contract, Facility, Organisation, ServiceArea, StaffMember

from .conftest import make_staff, new_id_number

NEW_CODE = with_check_character("91310104MA1FL0099")


def org_values(district, **extra):
    values = dict(name="安康居家养老服务中心", kind="home_care", credit_code=NEW_CODE, region=district.district,
                  contact_phone="021-64680000")
    values.update(extra)
    return values


# --- organisations --------------------------------------------------------------------------------

def test_district_admin_registers_an_organisation_and_it_is_audited(district, users):
    org = services.organisation_create(actor=users.district_admin, **org_values(district))
    assert org.credit_code == NEW_CODE
    event = AuditEvent.objects.get(action="providers.organisation_create")
    assert event.subject_id == str(org.pk) and event.actor == users.district_admin


def test_a_wrong_check_character_is_refused_naming_the_field(district, users):
    bad = NEW_CODE[:-1] + ("0" if NEW_CODE[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        services.organisation_create(actor=users.district_admin, **org_values(district, credit_code=bad))
    assert "校验码" in error.value.message_dict["credit_code"][0]
    assert not Organisation.objects.filter(name="安康居家养老服务中心").exists()
    assert not AuditEvent.objects.filter(action="providers.organisation_create").exists()


def test_a_duplicate_credit_code_is_refused(district, users):
    services.organisation_create(actor=users.district_admin, **org_values(district))
    with pytest.raises(ValidationError) as error:
        services.organisation_create(actor=users.district_admin, **org_values(district, name="另一家"))
    assert "已登记" in error.value.message_dict["credit_code"][0]


def test_several_bad_fields_are_reported_together(district, users):
    with pytest.raises(ValidationError) as error:
        services.organisation_create(actor=users.district_admin,
                                     **org_values(district, name=" ", kind="spa", contact_phone="12345"))
    assert {"name", "kind", "contact_phone"} <= set(error.value.message_dict)


@pytest.mark.parametrize("role", ["provider_admin", "street_staff", "inspector"])
def test_only_the_district_registers_organisations(district, users, role):
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=getattr(users, role), **org_values(district))


def test_a_provider_admin_changes_own_contact_details_only(district, users):
    org = services.organisation_update(actor=users.provider_admin, organisation=district.provider,
                                       contact_name="周经理", contact_phone="13800001111")
    assert org.contact_name == "周经理"
    assert AuditEvent.objects.get(action="providers.organisation_update").changes["contact_name"] == ["", "周经理"]
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=users.provider_admin, organisation=district.provider, kind="institution")
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=users.provider_admin, organisation=district.other_provider,
                                     contact_name="x")


def test_street_staff_cannot_change_an_organisation(district, users):
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=users.street_staff, organisation=district.provider, address="x")


def test_an_organisation_cannot_be_its_own_parent(district, users):
    with pytest.raises(ValidationError) as error:
        services.organisation_update(actor=users.district_admin, organisation=district.provider,
                                     parent=district.provider, credit_code=with_check_character("91310104MA1FL0001"))
    assert "parent" in error.value.message_dict


# --- facilities -----------------------------------------------------------------------------------

def facility_values(district, **extra):
    values = dict(name="天平日间照料中心", kind="day_centre", community=district.a1, lat=Decimal("31.205"),
                  lng=Decimal("121.445"), beds=20, nursing_beds=5, floor_area_m2=Decimal("350.50"),
                  opening_hours="周一至周五 8:00–17:00")
    values.update(extra)
    return values


def test_a_provider_adds_a_facility_inside_the_district(district, users):
    facility = services.facility_create(actor=users.provider_admin, organisation=district.provider,
                                        **facility_values(district))
    assert facility.floor_area_m2 == Decimal("350.50")
    assert AuditEvent.objects.filter(action="providers.facility_create", subject_id=str(facility.pk)).exists()


def test_coordinates_outside_the_district_are_refused_clearly(district, users):
    with pytest.raises(ValidationError) as error:
        services.facility_create(actor=users.provider_admin, organisation=district.provider,
                                 **facility_values(district, lat=Decimal("39.9"), lng=Decimal("116.4")))
    message = error.value.message_dict["lat"][0]
    assert "不在徐汇区范围内" in message and "GCJ-02" in message
    assert not Facility.objects.exists()


def test_a_point_just_inside_and_just_outside_the_district_edge(district, users):
    # The district is the square 31.18 ± 0.08, 121.44 ± 0.08.
    inside = facility_values(district, lat=Decimal("31.259"), lng=Decimal("121.44"))
    services.facility_create(actor=users.provider_admin, organisation=district.provider, **inside)
    outside = facility_values(district, name="外", lat=Decimal("31.261"), lng=Decimal("121.44"))
    with pytest.raises(ValidationError):
        services.facility_create(actor=users.provider_admin, organisation=district.provider, **outside)


@pytest.mark.parametrize("changes, field", [
    ({"nursing_beds": 30}, "nursing_beds"),
    ({"beds": -1}, "beds"),
    ({"floor_area_m2": Decimal("10.555")}, "floor_area_m2"),
    ({"floor_area_m2": "abc"}, "floor_area_m2"),
    ({"lat": Decimal("95")}, "lat"),
    ({"kind": "castle"}, "kind"),
    ({"name": ""}, "name"),
])
def test_bad_facility_values_name_their_field(district, users, changes, field):
    with pytest.raises(ValidationError) as error:
        services.facility_create(actor=users.provider_admin, organisation=district.provider,
                                 **facility_values(district, **changes))
    assert field in error.value.message_dict


def test_a_facility_must_be_in_a_community_not_a_street(district, users):
    with pytest.raises(ValidationError) as error:
        services.facility_create(actor=users.district_admin, organisation=district.provider,
                                 **facility_values(district, community=district.street_a))
    assert "不是社区" in error.value.message_dict["community"][0]


def test_facility_update_is_audited_with_old_and_new_values(district, users):
    facility = services.facility_create(actor=users.provider_admin, organisation=district.provider,
                                        **facility_values(district))
    services.facility_update(actor=users.district_admin, facility=facility, beds=25, reason="复核")
    event = AuditEvent.objects.get(action="providers.facility_update")
    assert event.changes == {"beds": [20, 25]} and event.reason == "复核"


def test_another_provider_cannot_change_the_facility(district, users):
    facility = Facility.objects.create(organisation=district.other_provider, **facility_values(district))
    with pytest.raises(PermissionDenied):
        services.facility_update(actor=users.provider_admin, facility=facility, beds=1)


# --- service areas and contracts ------------------------------------------------------------------

def test_service_areas_are_added_and_removed_by_the_district(district, users):
    area = services.service_area_add(actor=users.district_admin, organisation=district.provider,
                                     community=district.a2, since=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.service_area_add(actor=users.district_admin, organisation=district.provider, community=district.a2)
    assert "已在服务" in error.value.message_dict["community"][0]
    services.service_area_remove(actor=users.district_admin, service_area=area, reason="合同到期")
    assert not ServiceArea.objects.filter(pk=area.pk).exists()
    assert AuditEvent.objects.filter(action="providers.service_area_remove", reason="合同到期").exists()


def test_a_provider_cannot_widen_its_own_service_area(district, users):
    with pytest.raises(PermissionDenied):
        services.service_area_add(actor=users.provider_admin, organisation=district.provider, community=district.b1)


def test_a_contract_cannot_end_before_it_starts(district, users):
    with pytest.raises(ValidationError) as error:
        services.contract_create(actor=users.district_admin, organisation=district.provider, region=district.district,
                                 number="XH-2026-001", programme="政府购买服务", starts_on=dt.date(2026, 1, 1),
                                 ends_on=dt.date(2025, 12, 31))
    assert "不能早于" in error.value.message_dict["ends_on"][0]
    assert not Contract.objects.exists()


def test_contract_numbers_are_unique_and_status_changes_are_audited(district, users):
    contract = services.contract_create(actor=users.district_admin, organisation=district.provider,
                                        region=district.district, number="XH-2026-001", programme="长护险",
                                        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    with pytest.raises(ValidationError):
        services.contract_create(actor=users.district_admin, organisation=district.other_provider,
                                 region=district.district, number="XH-2026-001", programme="长护险",
                                 starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    services.contract_update(actor=users.district_admin, contract=contract, status="suspended", reason="整改")
    assert AuditEvent.objects.get(action="providers.contract_update").changes == {"status": ["active", "suspended"]}


# --- staff ----------------------------------------------------------------------------------------

def staff_values(**extra):
    values = dict(name="陈美华", gender="F", id_number=new_id_number("F"), phone="13912345678", position="caregiver")
    values.update(extra)
    return values


def test_staff_numbers_are_encrypted_at_rest_and_hashed(district, users):
    values = staff_values()
    staff = services.staff_create(actor=users.provider_admin, organisation=district.provider, **values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM providers_staffmember WHERE id = %s", [staff.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert values["id_number"] not in raw_id and "13912345678" not in raw_phone
    assert StaffMember.objects.get(pk=staff.pk).id_number == values["id_number"]
    from carecircle.core.sensitive import lookup_hash

    assert staff.id_number_hash == lookup_hash(values["id_number"])
    snapshot = AuditEvent.objects.get(action="providers.staff_create").changes
    assert values["id_number"] not in str(snapshot) and "1391****678" not in str(snapshot)


def test_the_same_person_cannot_be_registered_twice(district, users):
    values = staff_values()
    services.staff_create(actor=users.provider_admin, organisation=district.provider, **values)
    with pytest.raises(ValidationError) as error:
        services.staff_create(actor=users.district_admin, organisation=district.other_provider,
                              **dict(values, id_number=values["id_number"].lower() + " "))
    assert "重复登记" in error.value.message_dict["id_number"][0]
    assert StaffMember.objects.count() == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"id_number": "310104197503081231"}, "id_number", "校验位"),
    ({"id_number": "3101041975"}, "id_number", "18 位"),
    ({"gender": "M"}, "gender", "不一致"),
    ({"phone": "1391234567"}, "phone", "11 位"),
    ({"position": "pilot"}, "position", "岗位"),
])
def test_bad_staff_values_are_refused(district, users, changes, field, words):
    with pytest.raises(ValidationError) as error:
        services.staff_create(actor=users.provider_admin, organisation=district.provider, **staff_values(**changes))
    assert words in error.value.message_dict[field][0]
    assert not StaffMember.objects.exists()


def test_a_provider_cannot_register_staff_for_another_provider(district, users):
    with pytest.raises(PermissionDenied):
        services.staff_create(actor=users.provider_admin, organisation=district.other_provider, **staff_values())


def test_staff_update_rehashes_a_changed_id_number(district, users):
    staff = services.staff_create(actor=users.provider_admin, organisation=district.provider, **staff_values())
    new_number = new_id_number("F")
    services.staff_update(actor=users.provider_admin, staff=staff, id_number=new_number)
    from carecircle.core.sensitive import lookup_hash

    assert StaffMember.objects.get(pk=staff.pk).id_number_hash == lookup_hash(new_number)


def test_revealing_a_number_needs_a_reason_and_is_audited(district, users):
    staff = services.staff_create(actor=users.provider_admin, organisation=district.provider, **staff_values())
    with pytest.raises(ValidationError):
        services.staff_reveal(actor=users.provider_admin, staff=staff, field="id_number", reason=" ")
    with pytest.raises(PermissionDenied):
        services.staff_reveal(actor=users.street_staff, staff=staff, field="id_number", reason="核对")
    value = services.staff_reveal(actor=users.provider_admin, staff=staff, field="phone", reason="排班联系")
    assert value == "13912345678"
    assert AuditEvent.objects.filter(action="providers.staff_reveal", reason="排班联系").count() == 1


# --- certificates ---------------------------------------------------------------------------------

def test_certificates_expire_after_they_are_issued(district, users):
    staff = make_staff(district.provider)
    with pytest.raises(ValidationError) as error:
        services.certificate_add(actor=users.provider_admin, staff=staff, qualification="care_worker_4",
                                 number="C-1", issued_on=dt.date(2024, 5, 1), expires_on=dt.date(2024, 5, 1))
    assert "必须晚于" in error.value.message_dict["expires_on"][0]
    cert = services.certificate_add(actor=users.provider_admin, staff=staff, qualification="care_worker_4",
                                    number="C-1", issued_on=dt.date(2024, 5, 1), expires_on=dt.date(2027, 5, 1))
    with pytest.raises(ValidationError):
        services.certificate_add(actor=users.provider_admin, staff=staff, qualification="care_worker_4",
                                 number="C-1", issued_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError):
        services.certificate_remove(actor=users.provider_admin, certificate=cert, reason="")
    services.certificate_remove(actor=users.provider_admin, certificate=cert, reason="录入错误")
    assert not Certificate.objects.exists()
