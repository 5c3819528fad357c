"""Every read, taking the acting user, through visible_to."""
import datetime as dt

from django.db.models import Count, Sum
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.elders.models import Elder, ElderStatus
from carecircle.engines.benefits import bands_from_table, month_add, month_of

from .models import (
    BenefitApplication,
    CardStatus,
    Enrolment,
    LineKind,
    Notice,
    PaymentLine,
    PaymentRun,
    PreferentialCard,
    RegistryCheck,
    RegistryFinding,
)


def runs_for(user):
    return visible_to(user, PaymentRun).select_related("region")


def lines_for(user, run=None):
    qs = visible_to(user, PaymentLine).select_related("elder", "elder__community", "run")
    return qs.filter(run=run) if run is not None else qs


def enrolments_for(user):
    return visible_to(user, Enrolment).select_related("elder", "elder__community")


def notices_for(user):
    return visible_to(user, Notice).select_related("elder")


def applications_for(user):
    return visible_to(user, BenefitApplication).select_related("elder", "elder__community")


def cards_for(user):
    return visible_to(user, PreferentialCard).select_related("elder", "elder__community")


def checks_for(user):
    return visible_to(user, RegistryCheck).select_related("region")


def findings_for(user):
    return visible_to(user, RegistryFinding).select_related("elder", "region", "check_run")


def run_statistics(user, run):
    """What the reader may see of a run: per band and per street, counts and amounts (their scope only)."""
    lines = lines_for(user, run)
    by_band = (lines.filter(kind=LineKind.REGULAR).values("band").annotate(n=Count("id"), total=Sum("amount"))
               .order_by("band"))
    by_kind = lines.values("kind").annotate(n=Count("id"), total=Sum("amount")).order_by("kind")
    by_street = (lines.filter(amount__gt=0).values("elder__community__parent__name")
                 .annotate(n=Count("elder", distinct=True), total=Sum("amount"))
                 .order_by("elder__community__parent__name"))
    return {"by_band": list(by_band), "by_kind": list(by_kind), "by_street": list(by_street)}


def eligible_not_enrolled(user, *, on: dt.date | None = None):
    """Active elders past the allowance's starting age who are on no roll: to be contacted (those in the
    population data but not paid)."""
    on = on or timezone.localdate()
    elders = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE, allowance_enrolment__isnull=True)
    scope = getattr(user, "scope_region", None)
    if scope is None:
        return elders.none()
    try:
        bands = bands_from_table(policy_value("benefits.age_allowance.bands", region=scope, on=on))
        residence = policy_value("benefits.age_allowance.residence", region=scope, on=on)
    except MissingPolicyParameter:
        return elders.none()
    if not bands:
        return elders.none()
    month = month_of(on)
    cutoff = month_add(dt.date(month.year - bands[0].min_age, month.month, 1), 1)
    return elders.filter(birth_date__lt=cutoff, registration__in=residence).select_related("community")


def portal_summary(user):
    """For the elder's or family's home: each linked elder's allowance, last lines, cards and applications."""
    enrolments = {e.elder_id: e for e in enrolments_for(user)}
    result = []
    for elder in visible_to(user, Elder).exclude(status=ElderStatus.MERGED).order_by("pk"):
        result.append({
            "elder": elder,
            "enrolment": enrolments.get(elder.pk),
            "lines": list(lines_for(user).filter(elder=elder, run__status__in=("approved", "paid"))
                          .order_by("-for_month", "-id")[:3]),
            "cards": list(cards_for(user).filter(elder=elder, status=CardStatus.VALID)),
            "applications": list(applications_for(user).filter(elder=elder)[:3]),
        })
    return result


def year_statistics(user, *, year: int) -> dict:
    """A year of allowance payments in the reader's scope: per month the people paid and the amount, per band and
    per street month by month, and what the approved runs paid against the district's budget line."""
    from collections import defaultdict

    from carecircle.core.money import to_money

    from .models import BudgetLine, PaymentLine, RunStatus

    lines = visible_to(user, PaymentLine).filter(run__month__year=year).exclude(status="failed")
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    by_month = {row["run__month"]: row for row in lines.values("run__month").annotate(
        people=Count("elder", distinct=True), total=Sum("amount"))}
    by_band, bands = defaultdict(dict), set()
    for row in lines.filter(kind="regular").values("band", "run__month").annotate(n=Count("id"), total=Sum("amount")):
        by_band[row["band"]][row["run__month"]] = row
        bands.add(row["band"])
    by_street, streets = defaultdict(dict), set()
    for row in lines.values("elder__community__parent__name", "run__month").annotate(total=Sum("amount")):
        name = row["elder__community__parent__name"] or ""
        by_street[name][row["run__month"]] = to_money(row["total"] or 0)
        streets.add(name)
    paid = to_money(lines.filter(run__status__in=(RunStatus.APPROVED, RunStatus.PAID)).aggregate(
        total=Sum("amount"))["total"] or 0)
    scope = getattr(user, "scope_region", None)
    budget = None
    if scope is not None:
        budget = (visible_to(user, BudgetLine).filter(year=year, region__path__in=[scope.path,
                                                                                  *scope.ancestor_paths()])
                  .order_by("-region__path").first())
    return {
        "year": year, "months": months,
        "monthly": [{"month": m, "people": by_month.get(m, {}).get("people", 0),
                     "total": to_money(by_month.get(m, {}).get("total") or 0)} for m in months],
        "bands": [{"band": band, "cells": [by_band[band].get(m, {}).get("n", 0) for m in months],
                   "total": to_money(sum((by_band[band][m]["total"] or 0) for m in by_band[band]))}
                  for band in sorted(bands)],
        "streets": [{"name": name, "cells": [by_street[name].get(m, to_money(0)) for m in months],
                     "total": sum(by_street[name].values(), to_money(0))} for name in sorted(streets)],
        "paid": paid, "budget": budget,
        "left": (budget.amount - paid) if budget is not None else None,
        "used_share": (paid / budget.amount * 100).quantize(to_money(0)) if budget is not None and budget.amount
        else None,
    }
