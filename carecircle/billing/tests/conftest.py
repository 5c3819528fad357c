"""A district whose elders have care levels, weekly plans and visits in November 2026, ready to settle."""
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from carecircle.conftest import seed_policy

PRICING_KEYS = (
    "ltci.eligible_levels", "ltci.home.visits_per_week", "ltci.home.hours_per_visit", "ltci.home.weekly_hours_cap",
    "ltci.home.continuity_bonus.levels", "ltci.home.continuity_bonus.first_tier_months",
    "ltci.home.continuity_bonus.hours_per_month", "ltci.home.continuity_bonus.cash_per_month",
    "ltci.home.fund_share", "ltci.institution.fund_share", "ltci.institution.eligible_levels",
    "catalog.price.hourly_by_qualification", "catalog.price.item", "catalog.package.price",
    "gov_purchase.subsidy_share", "gov_purchase.monthly_budget", "benefits.care_subsidy.monthly.min_living",
    "benefits.care_subsidy.monthly.low_income",
)
BILLING_KEYS = ("billing.facility.operating_annual", "billing.facility.construction", "billing.facility.bed_monthly",
                "billing.facility.star_linked", "billing.budget.city_share", "billing.budget.district_share")
NOVEMBER = dt.date(2026, 11, 1)
_minutes = itertools.count(0)


@pytest.fixture(autouse=True)
def _chinese_first():
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


class Builder:
    """Makes care levels, plans and visits the way the chain leaves them (rows written directly: test set-up)."""

    def __init__(self, district):
        from carecircle.catalog.models import ServiceItem
        from carecircle.catalog.services import catalogue_seed
        from carecircle.visits.tests.conftest import make_staff

        if not ServiceItem.objects.exists():
            catalogue_seed()
        self.district = district
        self.caregiver = make_staff(district.provider, name="王芳")
        self.other_caregiver = make_staff(district.other_provider, name="赵敏")
        self.plans = {}

    def level(self, elder, level, *, since=dt.date(2026, 1, 1), until=None):
        from carecircle.assessment.models import CareLevel

        return CareLevel.objects.create(elder=elder, programme="ltci", level=level, source="manual",
                                        valid_from=since, valid_until=until)

    def plan(self, elder, *, organisation=None, programme="ltci", level=4):
        from carecircle.careplans.models import CarePlan

        key = (elder.pk, programme)
        if key not in self.plans:
            self.plans[key] = CarePlan.objects.create(
                elder=elder, organisation=organisation or self.district.provider, programme=programme,
                care_level=level, visits_per_week_entitled=5, minutes_per_visit_entitled=60, weekly_minutes_cap=300,
                valid_from=dt.date(2026, 1, 1))
        return self.plans[key]

    def visit(self, elder, day, *, items=(("ltci-home-hour", "1"),), minutes=60, status="verified", funding="plan",
              programme="ltci", organisation=None, at=None):
        from carecircle.careplans.models import PlanVisit
        from carecircle.catalog.models import ServiceItem
        from carecircle.visits.models import Visit
        from carecircle.workorders.models import WorkOrder, WorkOrderItem

        organisation = organisation or self.district.provider
        plan = self.plan(elder, organisation=organisation, programme=programme)
        slot = PlanVisit.objects.create(plan=plan, weekday=day.isoweekday(), window_start=dt.time(9),
                                        window_end=dt.time(11), duration_minutes=minutes, funding=funding)
        start = timezone.make_aware(dt.datetime.combine(day, at or dt.time(9, next(_minutes) % 50)))
        caregiver = self.caregiver if organisation == self.district.provider else self.other_caregiver
        order = WorkOrder.objects.create(organisation=organisation, elder=elder, date=day, window_start=dt.time(9),
                                         window_end=dt.time(11), duration_minutes=minutes, source="plan",
                                         plan_visit=slot, status="done", caregiver=caregiver, planned_start=start)
        for code, quantity in items:
            WorkOrderItem.objects.create(work_order=order, item=ServiceItem.objects.get(code=code), quantity=quantity)
        visit = Visit.objects.create(work_order=order, organisation=organisation, elder=elder, caregiver=caregiver,
                                     date=day, status=status, checked_in_at=start,
                                     checked_out_at=start + dt.timedelta(minutes=minutes),
                                     verified_at=start + dt.timedelta(minutes=minutes) if status == "verified" else None)
        return visit


@pytest.fixture
def priced(district):
    seed_policy(*PRICING_KEYS, *BILLING_KEYS)
    return Builder(district)


@pytest.fixture
def today_after_november(monkeypatch):
    """The platform's today is in December 2026, so November can be closed."""
    import carecircle.billing.services as services

    monkeypatch.setattr(services.timezone, "localdate", lambda *a, **k: dt.date(2026, 12, 7))
    return dt.date(2026, 12, 7)


def settle(district, month=NOVEMBER, actor=None):
    from carecircle.billing.services import settle_month

    return settle_month(actor=actor, region=district.district, month=month)


__all__ = ["Builder", "NOVEMBER", "settle"]
