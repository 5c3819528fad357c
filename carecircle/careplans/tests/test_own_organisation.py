"""A provider plans, answers and generates for its own organisation only; those who work for none are not
limited by that rule (their region scope bounds them)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from carecircle.careplans import services
from carecircle.careplans.models import CarePlan, OrderStatus
from carecircle.core.roles import Role
from carecircle.providers.models import ServiceArea

from .test_orders import NOW, place


@pytest.fixture
def other_admin(district):
    from carecircle.accounts.models import User

    return User.objects.create_user(username="kangle", password="Test-pass-2026", role=Role.PROVIDER_ADMIN,
                                    organisation=district.other_provider)


def test_a_plan_is_made_only_for_the_own_organisation(level4, district, users):
    ServiceArea.objects.create(organisation=district.other_provider, community=district.a1)
    with pytest.raises(PermissionDenied, match="只能为本机构制定照护计划"):
        services.care_plan_create(actor=users.provider_admin, elder=level4, organisation=district.other_provider,
                                  on=dt.date(2026, 11, 23), weekdays=[0, 2, 4])
    assert not CarePlan.objects.exists()


def test_only_the_offered_organisation_answers_an_order(policy, district, users, other_admin):
    from carecircle.accounts.models import User

    order = place(users, policy.elders.a1)
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    # A superuser sees the order but works for no organisation: the offer is not theirs to accept.
    with pytest.raises(PermissionDenied, match="不是派给本机构"):
        services.service_order_accept(actor=root, order=order, now=NOW)
    with pytest.raises(PermissionDenied):
        services.service_order_accept(actor=other_admin, order=order, now=NOW)
    services.service_order_accept(actor=users.provider_admin, order=order, now=NOW)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
