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
