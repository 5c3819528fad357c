"""Absences: checked on the way in (dates, kind, the policy's longest period)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.careplans import services

from .conftest import MONDAY, set_level


@pytest.fixture
def plan(policy, users):
    set_level(policy.elders.a1, 4, dt.date(2026, 9, 1))
    return services.care_plan_create(actor=users.provider_admin, elder=policy.elders.a1, on=dt.date(2026, 9, 1),
                                     items=[("ltci-b01", 1)], dialect="上海话", preferred_gender="F")


def test_bad_absences_are_named(plan, users):
    with pytest.raises(ValidationError, match="早于开始日期"):
        services.elder_absence_record(actor=users.provider_admin, elder=plan.elder, kind="travel",
                                      starts_on=MONDAY, ends_on=MONDAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="类型"):
        services.elder_absence_record(actor=users.provider_admin, elder=plan.elder, kind="holiday",
                                      starts_on=MONDAY, ends_on=MONDAY)
    with pytest.raises(PermissionDenied):
        services.elder_absence_record(actor=users.family, elder=plan.elder, kind="travel", starts_on=MONDAY,
                                      ends_on=MONDAY)


def test_the_longest_absence_is_the_policy_value_in_force(plan, policy, users):
    from carecircle.core.services import policy_parameter_set

    elder = plan.elder
    services.elder_absence_record(actor=users.provider_admin, elder=elder, kind="hospital", starts_on=MONDAY,
                                  ends_on=MONDAY + dt.timedelta(days=366))
    with pytest.raises(ValidationError, match="366 天"):
        services.elder_absence_record(actor=users.provider_admin, elder=elder, kind="hospital", starts_on=MONDAY,
                                      ends_on=MONDAY + dt.timedelta(days=367))
    policy_parameter_set(actor=users.district_admin, key="careplans.absence.max_days", region=policy.district,
                         value=30, effective_from=MONDAY, source="区民政局通知（测试）", confidence="official",
                         reason="缩短一次登记的期间")
    with pytest.raises(ValidationError, match="30 天"):
        services.elder_absence_record(actor=users.provider_admin, elder=elder, kind="travel", starts_on=MONDAY,
                                      ends_on=MONDAY + dt.timedelta(days=31))
