"""Organisation, contact, facility and staff names follow the shared rule (core.validators): no invisible or
direction-changing characters, at most the model's length — on the service, the API and the pages."""
import pytest
from django.core.exceptions import ValidationError

from carecircle.providers import services
from carecircle.providers.models import Facility, Organisation, StaffMember

from .test_services import NEW_CODE, facility_values, org_values

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff"])
def test_organisation_and_contact_names(district, users, char):
    with pytest.raises(ValidationError) as refused:
        services.organisation_create(actor=users.district_admin, **org_values(district, name=f"安康{char}服务中心"))
    assert f"U+{ord(char):04X}" in refused.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as refused:
        services.organisation_create(actor=users.district_admin,
                                     **org_values(district, contact_name=f"王{char}五"))
    assert "contact_name" in refused.value.message_dict
    assert not Organisation.objects.filter(credit_code=NEW_CODE).exists()


def test_organisation_name_length_edges(district, users):
    with pytest.raises(ValidationError):
        services.organisation_create(actor=users.district_admin, **org_values(district, name="安" * 201))
    org = services.organisation_create(actor=users.district_admin, **org_values(district, name="安" * 200))
    assert len(org.name) == 200


def test_facility_names(district, users):
    with pytest.raises(ValidationError) as refused:
        services.facility_create(actor=users.provider_admin, organisation=district.provider,
                                 **facility_values(district, name="日间\u202e照料中心"))
    assert "U+202E" in refused.value.message_dict["name"][0]
    assert not Facility.objects.exists()


def test_staff_names(district, users):
    from .conftest import new_id_number

    with pytest.raises(ValidationError) as refused:
        services.staff_create(actor=users.provider_admin, organisation=district.provider, name="陈\u200d美华",
                              gender="F", id_number=new_id_number("F"), position="caregiver", phone="13912345678")
    assert "U+200D" in refused.value.message_dict["name"][0]
    assert not StaffMember.objects.exists()
