"""Reads of the settlement, always through visible_to: runs, claims, lines, held visits, statements' figures."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from carecircle.core.isolation import visible_to
from carecircle.core.money import to_money

from .models import (Claim, ClaimLine, ClaimProgramme, ClaimStatus, Completion, HeldVisit, LineKind, LineStatus,
                     Payer, Payment, SettlementRun)
from .words import describe_line

ZERO = Decimal("0.00")


def runs_for(user):
    return visible_to(user, SettlementRun).select_related("region")


def claims_for(user, *, month: dt.date | None = None, status: str = "", programme: str = "", q: str = ""):
    queryset = visible_to(user, Claim).select_related("run", "organisation")
    if month:
        queryset = queryset.filter(run__month=month)
    if status in ClaimStatus.values:
        queryset = queryset.filter(status=status)
    if programme in ClaimProgramme.values:
        queryset = queryset.filter(programme=programme)
    if q:
        queryset = queryset.filter(organisation__name__icontains=q.strip())
    return queryset


def lines_for(user, claim: Claim, *, status: str = "", kind: str = "", q: str = ""):
    queryset = visible_to(user, ClaimLine).filter(claim=claim).select_related(
        "item", "elder", "community", "price_basis", "split_basis", "work_order", "replaces")
    if status in LineStatus.values:
        queryset = queryset.filter(status=status)
    if kind in LineKind.values:
        queryset = queryset.filter(kind=kind)
    if q:
        queryset = queryset.filter(Q(elder__name__icontains=q.strip()) | Q(item__name__icontains=q.strip()))
    return queryset.order_by("visit_date", "elder_id", "id")


def held_for(user, run: SettlementRun):
    return visible_to(user, HeldVisit).filter(run=run).select_related("elder", "organisation", "work_order")


def line_rules(line: ClaimLine) -> list[str]:
    """Every sentence behind a line's figures, in the reader's language."""
    return describe_line(line)


def _sum(queryset, field):
    return to_money(queryset.aggregate(value=Sum(field))["value"] or 0)


def district_summary(user, run: SettlementRun) -> dict:
    """The month by programme, by street and by provider, each with fund / subsidy / self-pay, adding up to the
    run's total (rejected lines count nowhere)."""
    lines = visible_to(user, ClaimLine).filter(claim__run=run, status=LineStatus.COUNTED)
    fields = {"total": Sum("amount"), "fund": Sum("fund"), "subsidy": Sum("subsidy"), "self_pay": Sum("self_pay"),
              "lines": Count("id")}

    def rows(group, label):
        result = []
        for row in lines.values(*group).annotate(**fields).order_by(*group):
            result.append({"label": label(row), **{k: to_money(row[k] or 0) for k in ("total", "fund", "subsidy",
                                                                                      "self_pay")},
                           "lines": row["lines"]})
        return result

    from carecircle.regions.models import Region

    streets = {r.pk: r for r in Region.objects.filter(path__startswith=run.region.path, kind="street")}
    community_street = {}
    for community in Region.objects.filter(path__startswith=run.region.path, kind="community").select_related(
            "parent"):
        community_street[community.pk] = community.parent_id
    by_street = defaultdict(lambda: {"total": ZERO, "fund": ZERO, "subsidy": ZERO, "self_pay": ZERO, "lines": 0})
    for row in lines.values("community_id").annotate(**fields):
        street = streets.get(community_street.get(row["community_id"]))
        key = street.name if street else ""
        for name in ("total", "fund", "subsidy", "self_pay"):
            by_street[key][name] += to_money(row[name] or 0)
        by_street[key]["lines"] += row["lines"]
    totals = {k: to_money(v or 0) for k, v in lines.aggregate(**{k: v for k, v in fields.items()
                                                               if k != "lines"}).items()}
    return {
        "run": run, "totals": totals,
        "by_programme": rows(["claim__programme"], lambda r: ClaimProgramme(r["claim__programme"]).label),
        "by_street": [{"label": k, **v} for k, v in sorted(by_street.items())],
        "by_provider": rows(["claim__organisation__name"], lambda r: r["claim__organisation__name"]),
        "budget": budget_by_source(run, lines),
    }


def budget_by_source(run, lines) -> list[dict]:
    """The subsidies of the month by budget source (city / district / street), per programme, by the policy's
    shares; the street's part is what the city and the district do not bear."""
    from carecircle.core.policy import as_python, parameter_in_force

    def table(key):
        row = parameter_in_force(key, region=run.region, on=run.month)
        return as_python(key, row.value) if row is not None else {}

    city, district = table("billing.budget.city_share"), table("billing.budget.district_share")
    result = []
    for row in lines.values("claim__programme").annotate(subsidy=Sum("subsidy")).order_by("claim__programme"):
        subsidy = to_money(row["subsidy"] or 0)
        if subsidy == 0:
            continue
        programme = row["claim__programme"]
        city_part = to_money(subsidy * Decimal(str(city.get(programme, "0"))))
        district_part = to_money(subsidy * Decimal(str(district.get(programme, "0"))))
        result.append({"label": ClaimProgramme(programme).label, "subsidy": subsidy, "city": city_part,
                       "district": district_part, "street": subsidy - city_part - district_part})
    return result


def reconciliation(user, *, month: dt.date | None = None):
    """Per claim approved or paid: what each payer owes and what was received, with the difference."""
    claims = claims_for(user, month=month).filter(status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID))
    received = defaultdict(lambda: ZERO)
    for payment in visible_to(user, Payment).filter(claim__in=claims):
        received[(payment.claim_id, payment.payer)] += payment.amount
    rows = []
    for claim in claims.order_by("run__month", "organisation__name", "programme"):
        for payer, field in ((Payer.FUND, "fund"), (Payer.SUBSIDY, "subsidy")):
            owed = getattr(claim, field)
            got = received[(claim.pk, payer)]
            if owed == 0 and got == 0:
                continue
            rows.append({"claim": claim, "payer": payer.label, "payer_code": payer, "owed": owed, "received": got,
                         "difference": got - owed})
    return rows


def elder_bill(user, elder, month: dt.date) -> dict:
    """An elder's month: each visit and order with what the elder paid and why, and the totals by payer."""
    lines = (visible_to(user, ClaimLine).filter(elder=elder, status=LineStatus.COUNTED, claim__run__month=month)
             .select_related("item", "claim__organisation", "price_basis", "split_basis").order_by("visit_date", "id"))
    rows = [{"line": line, "rules": describe_line(line)} for line in lines]
    return {"elder": elder, "month": month, "rows": rows,
            "total": _sum(lines, "amount"), "fund": _sum(lines, "fund"), "subsidy": _sum(lines, "subsidy"),
            "self_pay": _sum(lines, "self_pay")}


def portal_bills(user) -> list[dict]:
    """The months with a bill for each elder the user is linked to (newest first, the last six)."""
    lines = visible_to(user, ClaimLine).filter(status=LineStatus.COUNTED).exclude(elder=None)
    months = (lines.values("elder_id", "elder__name", "claim__run__month").annotate(self_pay=Sum("self_pay"))
              .order_by("-claim__run__month", "elder_id"))[:6]
    return [{"elder_id": row["elder_id"], "elder_name": row["elder__name"], "month": row["claim__run__month"],
             "self_pay": to_money(row["self_pay"] or 0)} for row in months]


def completions_for(user):
    return visible_to(user, Completion).select_related("facility", "facility__organisation")
