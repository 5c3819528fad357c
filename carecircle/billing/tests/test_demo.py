"""The settlement of the generated demo district (`carecircle seed_demo`, tiny scale): last month closed with its
claims along their way, figures that add up, the same figures on every run, a held visit paid the month after
its exception is resolved, and a reset that leaves no settlement behind."""
import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from carecircle.accounts.models import User
from carecircle.billing import selectors, services
from carecircle.billing.models import (Basis, Claim, ClaimLine, HeldVisit, LineKind, LineStatus, Payment,
                                       SettlementRun)
from carecircle.meals.models import MealClaim
from carecircle.regions.models import Region
from carecircle.visits.models import ExceptionStatus, ResolutionCode, Visit, VisitException

# Ten days into June: the visits reach back to 1 May (further than four weeks), so May settles whole.
AS_OF = dt.date(2026, 6, 10)
MAY, JUNE = dt.date(2026, 5, 1), dt.date(2026, 6, 1)
AMOUNTS = ("total", "fund", "subsidy", "self_pay")


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--scale", "tiny", "--seed", "7", "--as-of", AS_OF.isoformat(), "--no-progress",
                 "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    return SimpleNamespace(district=Region.objects.get(kind="district"),
                           admin=User.objects.get(username="district_admin"),
                           provider=User.objects.get(username="provider_admin"))


def test_the_demo_district_settles_last_month(demo):
    """One seeding (the slow part), the promises checked on it in turn; those that write come last."""
    run = last_month_is_closed_and_this_month_open(demo)
    claims_are_paid_returned_and_reconciled(demo, run)
    held_visits_wait_for_their_exceptions(run)
    summary_adds_up_by_payer_street_and_provider(demo, run)
    elder_bill_shows_what_was_paid_and_why(demo, run)
    settle_command_prints_the_same_json_twice(run)
    settling_again_gives_the_same_figures(demo, run)
    held_visit_is_paid_next_month_once_resolved(demo, run)
    reset_leaves_no_settlement()


def last_month_is_closed_and_this_month_open(demo):
    run = SettlementRun.objects.get(region=demo.district, month=MAY)
    assert run.status == "closed" and run.closed_by == demo.admin
    assert not SettlementRun.objects.filter(month=JUNE).exists()
    # The visits cover the whole month, its first week included (four weeks back would stop in mid-May).
    first_week = Visit.objects.filter(date__gte=MAY, date__lt=MAY + dt.timedelta(days=7), status="verified")
    assert first_week.exists()
    assert ClaimLine.objects.filter(claim__run=run, kind=LineKind.VISIT,
                                    visit_date__lt=MAY + dt.timedelta(days=7)).exists()
    assert run.visits_settled > 0 and run.lines > 0
    return run


def claims_are_paid_returned_and_reconciled(demo, run):
    claims = list(Claim.objects.filter(run=run))
    statuses = Counter(claim.status for claim in claims)
    assert statuses["returned"] == 1 and statuses["paid"] >= 1
    assert statuses["paid"] == len(claims) - 1  # every other claim went all the way
    returned = next(claim for claim in claims if claim.status == "returned")
    assert returned.organisation == demo.provider.organisation and returned.programme == "ltci"
    rejected = list(returned.lines.filter(status=LineStatus.REJECTED))
    assert len(rejected) == 2 and all(line.reject_reason for line in rejected)
    corrected = [line for line in rejected if line.corrections.exists()]
    assert len(corrected) == 1  # one answered, one still open
    [correction] = corrected[0].corrections.all()
    assert correction.kind == LineKind.CORRECTION and correction.status == LineStatus.COUNTED
    assert correction.quantity < corrected[0].quantity and correction.created_by == demo.provider
    counted = returned.lines.filter(status=LineStatus.COUNTED)
    assert returned.total == sum(line.amount for line in counted) and returned.rejected_count == 2
    for claim in claims:
        if claim.status != "paid":
            continue
        received = {payment.payer: payment.amount for payment in claim.payments.all()}
        assert set(received) == {payer for payer, owed in (("fund", claim.fund), ("subsidy", claim.subsidy))
                                 if owed > 0}
    # The canteens' approved meal-subsidy claims of May are paid as the meals programme, by the subsidy alone.
    meals = [claim for claim in claims if claim.programme == "meals"]
    assert meals and MealClaim.objects.filter(month=MAY, status="approved").count() == sum(
        claim.lines_count for claim in meals)
    assert all(claim.status == "paid" and claim.fund == 0 and claim.subsidy == claim.total > 0 for claim in meals)
    rows = selectors.reconciliation(demo.admin, month=MAY)
    assert rows and [row["difference"] for row in rows if row["difference"]] == [Decimal("-0.60")]


def held_visits_wait_for_their_exceptions(run):
    held = list(HeldVisit.objects.filter(run=run))
    assert held and len(held) == run.visits_held
    assert "open_exception" in {h.reason for h in held}
    for h in held:
        assert h.visit_date.replace(day=1) == MAY
        assert not ClaimLine.objects.filter(visit_id=h.visit_id).exists()
        if h.reason == "open_exception":
            assert VisitException.objects.filter(visit_id=h.visit_id, status=ExceptionStatus.OPEN).exists()


def summary_adds_up_by_payer_street_and_provider(demo, run):
    summary = selectors.district_summary(demo.admin, run)
    totals = summary["totals"]
    assert {key: totals[key] for key in AMOUNTS} == {key: getattr(run, key) for key in AMOUNTS}
    assert totals["fund"] + totals["subsidy"] + totals["self_pay"] == totals["total"]
    for group in ("by_programme", "by_street", "by_provider"):
        rows = summary[group]
        assert rows and all(row["label"] for row in rows), group
        for key in AMOUNTS:
            assert sum(row[key] for row in rows) == getattr(run, key), (group, key)
        assert sum(row["lines"] for row in rows) == run.lines, group


def elder_bill_shows_what_was_paid_and_why(demo, run):
    line = (ClaimLine.objects.filter(claim__run=run, kind=LineKind.VISIT, status=LineStatus.COUNTED,
                                     self_pay__gt=0).order_by("pk").first())
    bill = selectors.elder_bill(demo.admin, line.elder, MAY)
    lines = ClaimLine.objects.filter(elder=line.elder, claim__run=run, status=LineStatus.COUNTED)
    assert len(bill["rows"]) == lines.count()
    for key in AMOUNTS[1:]:
        assert bill[key] == sum(getattr(l, key) for l in lines)
    assert bill["total"] == bill["fund"] + bill["subsidy"] + bill["self_pay"] and bill["self_pay"] > 0
    for row in bill["rows"]:
        rules = row["rules"]
        assert len(rules) >= 3  # the price, the fund's share, what the elder pays
        assert f"{row['line'].self_pay:.2f}" in rules[-1] or row["line"].kind == LineKind.CORRECTION
    # The family demo account looks after a parent in LTCI home care: the portal shows last month's bill.
    family = User.objects.get(username="family")
    bills = selectors.portal_bills(family)
    assert bills and bills[0]["month"] == MAY
    from carecircle.elders.models import Elder

    parent = Elder.objects.get(pk=bills[0]["elder_id"])
    assert selectors.elder_bill(family, parent, MAY)["rows"]


def settle_command_prints_the_same_json_twice(run):
    outputs = []
    for _time in range(2):
        out = StringIO()
        call_command("settle", "--month", "2026-05", "--json", stdout=out)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    printed = json.loads(outputs[0])
    assert set(printed) == {"month", "total", "fund", "subsidy", "self_pay", "visits_settled", "visits_held",
                            "lines"}
    assert printed == services.run_summary(run) and printed["month"] == "2026-05"
    for key in AMOUNTS:
        assert isinstance(printed[key], str) and Decimal(printed[key]) == getattr(run, key)


def settling_again_gives_the_same_figures(demo, run):
    before = services.run_summary(run)
    lines = ClaimLine.objects.count()
    again = services.settle_month(actor=demo.admin, region=demo.district, month=MAY)
    assert again.pk == run.pk and services.run_summary(again) == before
    assert ClaimLine.objects.count() == lines


def held_visit_is_paid_next_month_once_resolved(demo, run):
    from carecircle.visits.services import exception_approve, exception_resolve

    # The provider explains, the district approves (a second person), through the visits service.
    waiting = (HeldVisit.objects.filter(run=run, reason="open_exception").exclude(elder__status="deceased")
               .order_by("visit_date", "pk"))
    held, resolver = waiting.filter(organisation=demo.provider.organisation).first(), demo.provider
    if held is None:  # another provider's visit: a colleague at the district explains it
        held = waiting.first()
        resolver = User.objects.create_user(username="district_colleague", password="Colleague-2026!x",
                                            role="district_admin", scope_region=demo.district)
    for exception in VisitException.objects.filter(visit_id=held.visit_id, status=ExceptionStatus.OPEN):
        exception_resolve(actor=resolver, exception=exception, reason_code=exception.reason_code or "other",
                          resolution_code=ResolutionCode.CONFIRMED_BY_CALL, note="电话回访老人，确认服务已完成")
        exception_approve(actor=demo.admin, exception=exception)
    assert Visit.objects.get(pk=held.visit_id).status == "verified"
    may = services.run_summary(run)
    june = services.settle_month(actor=demo.admin, region=demo.district, month=JUNE)
    lines = list(ClaimLine.objects.filter(visit_id=held.visit_id, kind=LineKind.VISIT).select_related("claim"))
    assert lines and all(line.claim.run_id == june.pk and line.visit_date == held.visit_date for line in lines)
    assert june.visits_settled >= 1
    run.refresh_from_db()
    assert services.run_summary(run) == may  # the closed month is as it was


def reset_leaves_no_settlement():
    from carecircle.demo.services import demo_data_reset

    summary = demo_data_reset(actor=None)
    assert summary["billing.SettlementRun"] == 2 and summary["billing.ClaimLine"] > 0
    for model in (SettlementRun, Claim, ClaimLine, HeldVisit, Payment, Basis):
        assert not model.objects.exists(), model.__name__
