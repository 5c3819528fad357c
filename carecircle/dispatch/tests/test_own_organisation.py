"""The dispatch board plans for the user's own organisation: its lists and its writes stop at it."""
import pytest
from django.core.exceptions import PermissionDenied

from carecircle.core.roles import Role
from carecircle.dispatch import selectors, services

from .conftest import make_order, make_shift, make_staff


@pytest.fixture
def other(board, district):
    from carecircle.accounts.models import User

    admin = User.objects.create_user(username="kangle", password="Test-pass-2026", role=Role.PROVIDER_ADMIN,
                                     organisation=district.other_provider)
    staff = make_staff(district.other_provider, name="孙康乐")
    return admin, staff, make_shift(admin, staff), make_order(district.other_provider, district.elders.b1,
                                                                 "09:00", "10:00")


def test_the_board_lists_only_the_own_organisation(board, other, users):
    admin, staff, shift, order = other
    assert set(selectors.shifts_for(board.actor, board.day)) == set(vars(board.shifts).values())
    assert list(selectors.shifts_for(admin, board.day)) == [shift]
    assert list(selectors.work_orders_for(admin, board.day)) == [order]
    assert order not in set(selectors.work_orders_for(board.actor, board.day))
    assert list(selectors.caregivers_for(admin)) == [staff]
    assert staff not in set(selectors.caregivers_for(board.actor))


def test_a_provider_plans_only_for_its_own_organisation(board, other, district, users):
    admin = other[0]
    with pytest.raises(PermissionDenied, match="只能为本机构排班派单"):
        services.shifts_copy_last_week(actor=admin, date=board.day, organisation=board.org)
    with pytest.raises(PermissionDenied):
        make_shift(admin, board.staff.li, start="18:00", end="20:00")
    assert services.shifts_copy_last_week(actor=admin, date=board.day)["created"] == 0
