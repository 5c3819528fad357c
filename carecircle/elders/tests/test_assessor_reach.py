"""Assessors reach exactly the elders their own agency has assessment orders for."""
from carecircle.accounts.models import User
from carecircle.assessment.services import assessment_order_create
from carecircle.core.isolation import is_visible, visible_to
from carecircle.core.roles import Role
from carecircle.elders.models import Elder, EmergencyContact
from carecircle.providers.models import Organisation


def test_an_assessor_sees_no_elder_before_an_order(users, district):
    assert not visible_to(users.assessor, Elder).exists()


def test_an_order_opens_that_elder_to_the_agency_and_no_other(users, district):
    other_agency = Organisation.objects.create(name="公信评估中心", kind="assessment_agency",
                                               credit_code="91310104MA1FL0009X", region=district.district)
    other_assessor = User.objects.create_user(username="assessor_other", password="Test-pass-2026",
                                              role=Role.ASSESSOR, organisation=other_agency)
    assessment_order_create(elder=district.elders.b1, actor=users.district_admin, programme="ltci",
                            reason="application", agency=district.agency)

    assert list(visible_to(users.assessor, Elder)) == [district.elders.b1]
    assert not is_visible(users.assessor, district.elders.a1)
    assert not visible_to(other_assessor, Elder).exists()
    # The link is for assessors only: the agency's record does not open the elder to other roles.
    assert not is_visible(users.caregiver, district.elders.b1)
    # Contacts are not reached through the order (only what the visit needs).
    assert not visible_to(users.assessor, EmergencyContact).exists()


def test_two_orders_list_the_elder_once(users, district):
    from carecircle.assessment.models import AssessmentOrder

    order = assessment_order_create(elder=district.elders.a2, actor=users.district_admin, programme="ltci",
                                    reason="application", agency=district.agency)
    AssessmentOrder.objects.filter(pk=order.pk).update(status="cancelled")
    assessment_order_create(elder=district.elders.a2, actor=users.district_admin, programme="ltci",
                            reason="change", agency=district.agency)
    assert visible_to(users.assessor, Elder).count() == 1
