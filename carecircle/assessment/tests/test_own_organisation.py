"""Assessors schedule only the orders of their own agency; the district schedules any order it can see."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from carecircle.assessment import services
from carecircle.assessment.models import OrderStatus

APPOINTMENT = dt.datetime(2026, 11, 24, 9)


def test_only_the_orders_agency_schedules_it(team, district, users):
    order = services.assessment_order_create(elder=district.elders.a2, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    with pytest.raises(PermissionDenied, match="不属于您的机构"):
        services.assessment_order_schedule(order=order, actor=team.outsider, assessors=[team.first, team.second],
                                           appointment_at=APPOINTMENT)
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED
    services.assessment_order_schedule(order=order, actor=users.district_admin, assessors=[team.first, team.second],
                                       appointment_at=APPOINTMENT)
    order.refresh_from_db()
    assert order.status == OrderStatus.SCHEDULED


def test_the_order_page_offers_scheduling_to_the_agency_and_the_region(team, district, users, client):
    order = services.assessment_order_create(elder=district.elders.a2, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    from carecircle.accounts.models import User

    root = User.objects.create_superuser("root", password="Root-pass-2026")
    # A superuser neither works for the agency nor holds a region: the page offered them no scheduling before.
    for user, offered in ((team.first, True), (users.district_admin, True), (root, False)):
        client.force_login(user)
        response = client.get(f"/assessment/orders/{order.pk}/")
        assert response.status_code == 200
        assert response.context["can_schedule"] is offered
