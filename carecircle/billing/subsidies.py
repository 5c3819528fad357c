"""Facility subsidies of a month, read from the dated policy: the operating subsidy by facility type (× the star
coefficient where the policy links them), the subsidy per bed, and the one-off construction subsidy of a facility
accepted as built."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps

from carecircle.catalog.selectors import rule_record
from carecircle.core.money import to_money
from carecircle.core.policy import as_python, parameter_in_force
from carecircle.engines.funding import Rule
from carecircle.providers.models import Facility

CENT = Decimal("0.01")


@dataclass
class SubsidyRow:
    organisation_id: int
    community_id: int
    facility_id: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    rules: list
    note: str


def _value(key, region, on, default=None):
    row = parameter_in_force(key, region=region, on=on)
    return (as_python(key, row.value), row) if row is not None else (default, None)


def _cite(row) -> dict:
    return {"key": row.key, "region": row.region.name, "since": row.effective_from.isoformat()}


def _stars_by_facility(facilities, on) -> dict[int, int] | None:
    """Facility id → stars of its rating in force (0: none); None when ratings are not part of this platform."""
    if not apps.is_installed("carecircle.inspections"):
        return None
    from carecircle.inspections.selectors import ratings_in_force

    ratings = ratings_in_force([facility.pk for facility in facilities], on)
    return {facility.pk: ratings[facility.pk].stars if facility.pk in ratings else 0 for facility in facilities}


def facility_subsidies(*, region, month: dt.date) -> list[SubsidyRow]:
    from .models import ClaimLine, Completion, LineKind

    paid_completions = set(ClaimLine.objects.filter(kind=LineKind.FACILITY, source_key__startswith="construction:")
                           .values_list("source_key", flat=True))
    rows = []
    facilities = list(Facility.objects.filter(community__path__startswith=region.path, is_active=True)
                      .select_related("community").order_by("pk"))
    stars_of = _stars_by_facility(facilities, month)
    for facility in facilities:
        community = facility.community
        operating, operating_row = _value("billing.facility.operating_annual", community, month, {})
        annual = operating.get(facility.kind)
        if annual is not None and to_money(annual) > 0:
            monthly = (to_money(annual) / 12).quantize(CENT, rounding=ROUND_HALF_UP)
            rules = [Rule("facility.operating", {"annual": to_money(annual), "monthly": monthly,
                                                 "kind": facility.get_kind_display(), **_cite(operating_row)})]
            linked, _row = _value("billing.facility.star_linked", community, month, False)
            amount = monthly
            if linked and stars_of is not None:
                stars = stars_of[facility.pk]
                table, coefficient_row = _value("inspections.subsidy.coefficient", community, month, {})
                coefficient = Decimal(str(table.get(str(stars), "0")))
                amount = (monthly * coefficient).quantize(CENT, rounding=ROUND_HALF_UP)
                rules.append(Rule("facility.stars", {"stars": stars, "coefficient": coefficient, "amount": amount}))
            if amount > 0:
                rules = [rule_record(rule) for rule in rules]
                rows.append(SubsidyRow(facility.organisation_id, community.pk, facility.pk, Decimal(1), amount, amount,
                                       rules, f"operating:{facility.pk}"))
        beds_table, beds_row = _value("billing.facility.bed_monthly", community, month, {})
        per_bed = beds_table.get(facility.kind)
        if per_bed is not None and facility.beds > 0 and to_money(per_bed) > 0:
            amount = to_money(to_money(per_bed) * facility.beds)
            rows.append(SubsidyRow(facility.organisation_id, community.pk, facility.pk, Decimal(facility.beds),
                                   to_money(per_bed), amount,
                                   [rule_record(Rule("facility.beds", {"beds": facility.beds, "price": to_money(per_bed),
                                                                       "amount": amount, **_cite(beds_row)}))],
                                   f"beds:{facility.pk}"))
    last_day = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - dt.timedelta(days=1)
    for completion in Completion.objects.filter(completed_on__lte=last_day,
                                                facility__community__path__startswith=region.path).select_related(
            "facility", "facility__community"):
        marker = f"construction:{completion.pk}"
        if marker in paid_completions:
            continue
        facility = completion.facility
        table, row = _value("billing.facility.construction", facility.community, completion.completed_on, {})
        grant = table.get(facility.kind)
        if grant is None or to_money(grant) <= 0:
            continue
        amount = to_money(grant)
        rows.append(SubsidyRow(facility.organisation_id, facility.community_id, facility.pk, Decimal(1), amount, amount,
                               [rule_record(Rule("facility.construction", {
                                   "amount": amount, "kind": facility.get_kind_display(),
                                   "completed": completion.completed_on.isoformat(), **_cite(row)}))], marker))
    return rows
