"""The demo district's settlement. The canteens' meal-subsidy claims of last month are submitted and approved;
then last month is closed through the settlement service and its claims are taken along their way: most
submitted by the provider, reviewed, approved and paid by the district with the money received from the fund
and the subsidy recorded (one transfer a little short, so the reconciliation shows a difference), one claim
returned with two rejected lines (one already corrected by the provider, one still to answer), and the visits
held for an open exception listed for a later month. This month stays open: no run yet.

Everything goes through `carecircle.billing.services` with the demo's own accounts: the district administrator
settles, reviews, approves and records the payments; a provider's administrator submits and corrects its claims
(a provider without a demo login submits as the system).
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.billing import services
from carecircle.billing.models import Claim, ClaimLine, LineKind, LineStatus, Payer
from carecircle.core.roles import Role
from carecircle.meals import services as meals
from carecircle.meals.models import Canteen
from carecircle.regions.models import Region, RegionKind

from . import geography

# The fund's transfer for one claim arrives this much short: the reconciliation lists the difference.
SHORT_PAYMENT = Decimal("0.60")
REJECTIONS = (
    ("护理记录显示本次实际服务约半小时，申报工时偏多", "按护理记录更正为实际服务工时"),
    ("同一老人同一时段已有另一条服务记录，请核实是否重复申报", ""),
)


def previous_month(as_of: dt.date) -> dt.date:
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _active(role, **scope):
    return User.objects.filter(role=role, is_active=True, **scope).order_by("pk")


def demo_billing_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    """Settle the month before `as_of` and step its claims; returns what was made."""
    counts = {"meal_claims": 0, "claims": 0, "paid": 0, "returned": 0, "payments": 0, "held": 0, "lines": 0}
    month = previous_month(as_of)
    today = timezone.localdate()
    if month > today.replace(day=1):  # a demo dated ahead of the clock: that month has not begun yet
        return counts
    district = Region.objects.filter(code=geography.DISTRICT[0], kind=RegionKind.DISTRICT).first()
    admin = (_active(Role.DISTRICT_ADMIN, username="district_admin").first()
             or _active(Role.DISTRICT_ADMIN).first())
    if district is None or admin is None:
        return counts
    counts["meal_claims"] = _meal_claims(month, as_of, reviewer=admin)
    run = services.settle_month(actor=admin, region=district, month=month)
    claims = list(Claim.objects.filter(run=run).select_related("organisation").order_by("organisation__name",
                                                                                        "programme", "pk"))
    submitters = {}
    for claim in claims:
        if claim.organisation_id not in submitters:
            submitters[claim.organisation_id] = _active(Role.PROVIDER_ADMIN,
                                                        organisation_id=claim.organisation_id).first()
    returned = _claim_to_return(claims, submitters)
    received_on = min(max(as_of.replace(day=1), as_of - dt.timedelta(days=rng.randint(1, 4))), today)
    short_done = False
    for claim in claims:
        submitter = submitters[claim.organisation_id]
        claim = services.claim_step(actor=submitter, claim=claim, action="submit")
        if claim == returned:
            _return_with_rejections(rng, claim, reviewer=admin, provider=submitter)
            counts["returned"] += 1
            continue
        claim = services.claim_step(actor=admin, claim=claim, action="review")
        claim = services.claim_step(actor=admin, claim=claim, action="approve")
        for payer, owed in ((Payer.FUND, claim.fund), (Payer.SUBSIDY, claim.subsidy)):
            if owed <= 0:
                continue
            amount = owed
            if payer == Payer.FUND and not short_done and owed > SHORT_PAYMENT:
                amount, short_done = owed - SHORT_PAYMENT, True
            prefix = "YB" if payer == Payer.FUND else "CZ"
            services.payment_record(actor=admin, claim=claim, payer=payer, amount=amount, received_on=received_on,
                                    reference=f"{prefix}{month:%Y%m}{claim.pk:06d}")
            counts["payments"] += 1
        services.claim_step(actor=admin, claim=claim, action="pay")
        counts["paid"] += 1
    run.refresh_from_db()
    counts.update(claims=len(claims), held=run.visits_held, lines=run.lines)
    counts["family_bill"] = _family_parent_with_a_bill(run)
    return counts


def _family_parent_with_a_bill(run) -> int:
    """The family demo account also looks after a parent in LTCI home care, so that the portal shows last month's
    bill: the first elder of the family's street whose visits were paid in this run."""
    from carecircle.elders.models import ElderAccountLink

    family = _active(Role.FAMILY, username="family").first()
    if family is None:
        return 0
    linked = ElderAccountLink.objects.filter(user=family).select_related("elder__community").first()
    street_path = linked.elder.community.path.rsplit("/", 2)[0] + "/" if linked is not None else run.region.path
    paid = (ClaimLine.objects.filter(claim__run=run, kind=LineKind.VISIT, status=LineStatus.COUNTED)
            .exclude(elder__account_links__user=family).exclude(elder=None).select_related("elder")
            .order_by("elder_id"))
    line = paid.filter(community__path__startswith=street_path).first() or paid.first()
    if line is None:
        return 0
    relation = _("父亲") if line.elder.gender == "M" else _("母亲")
    ElderAccountLink.objects.get_or_create(user=family, elder=line.elder, defaults={"relation": relation})
    return 1


def _meal_claims(month: dt.date, as_of: dt.date, *, reviewer) -> int:
    """Each canteen with subsidised meals last month claims them (its operator's login, or the system where the
    operator has none) and the district approves: the settlement pays them as the meals programme."""
    made = 0
    for canteen in Canteen.objects.select_related("facility").order_by("pk"):
        figures = meals.claim_figures(canteen, month)
        if figures["meals"] <= 0 or figures["subsidy"] + figures["delivery_subsidy"] <= 0:
            continue
        operator = _active(Role.PROVIDER_ADMIN, organisation_id=canteen.facility.organisation_id).first()
        claim = meals.claim_submit(actor=operator, canteen=canteen, month=month, today=as_of)
        meals.claim_review(actor=reviewer, claim=claim, approve=True)
        made += 1
    return made


def _claim_to_return(claims, submitters):
    """The claim the reviewer returns: the demo provider's care-insurance claim when it has one (its login then
    shows the claim to correct), else the first claim with two visit lines."""
    def visit_lines(claim):
        return claim.lines.filter(kind=LineKind.VISIT, status=LineStatus.COUNTED, quantity__gt=0).count()

    with_login = [c for c in claims if submitters[c.organisation_id] is not None
                  and submitters[c.organisation_id].username == "provider_admin"]
    for claim in [*sorted(with_login, key=lambda c: c.programme != "ltci"), *claims]:
        if visit_lines(claim) >= 2:
            return claim
    return None


def _return_with_rejections(rng, claim, *, reviewer, provider):
    lines = list(ClaimLine.objects.filter(claim=claim, kind=LineKind.VISIT, status=LineStatus.COUNTED,
                                          quantity__gt=0).order_by("visit_date", "pk"))
    first, second = rng.sample(lines, 2)
    for line, (reason, _note) in zip((first, second), REJECTIONS):
        services.line_reject(actor=reviewer, line=line, reason=reason)
    services.claim_step(actor=reviewer, claim=claim, action="review")  # a rejected line: back to the provider
    first.refresh_from_db()
    half = (first.quantity / 2).quantize(Decimal("0.01"))
    services.line_correct(actor=provider, line=first, quantity=half, note=REJECTIONS[0][1])
