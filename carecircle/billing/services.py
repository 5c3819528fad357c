"""Writes of the settlement: closing a district's month, the claims' steps, corrections, adjustments, payments.

`settle_month` is idempotent: a closed month is returned as it stands; an open one (new, or reopened with a
recorded reason) is built again from the visits: its draft claims are rebuilt line for line, and a visit's item
is on a claim line once, ever (a database constraint). Every write is one transaction with an audit event.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, locks, sql
from carecircle.core.isolation import CHANGE, is_visible
from carecircle.core.money import to_money
from carecircle.core.roles import has_capability
from carecircle.core.validators import parse_month
from carecircle.core.workflow import IllegalStep
from carecircle.engines.settlement import part, to_bp, to_fen, to_yuan

from . import subsidies, valuation
from .models import (Basis, Claim, ClaimLine, ClaimProgramme, ClaimStatus, HeldVisit, HoldReason, LineKind,
                     LineStatus, Payer, Payment, Reopening, RunStatus, SettlementRun)
from .plugin import AuditAction
from .workflow import CLAIM_FLOW, RUN_FLOW

ZERO = Decimal("0.00")
# Held for these reasons, a visit is taken up again by a later run once it is verified.
RETRY_REASONS = (HoldReason.OPEN_EXCEPTION, HoldReason.NOT_VERIFIED, HoldReason.CLAIM_CLOSED)


def _require(actor, capability: str, obj=None) -> None:
    if actor is None:
        return
    if not has_capability(actor, capability):
        raise PermissionDenied(_("您没有进行此项结算操作的权限。"))
    if obj is not None and not is_visible(actor, obj, CHANGE):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


# --------------------------------------------------------------------------------------------- the month

def settle_month(*, actor, region, month: dt.date) -> SettlementRun:
    """Close the district's month: build its claims from the verified visits, delivered orders, meal-subsidy
    claims and facility subsidies, and hold what cannot be paid yet. Running it again on a closed month changes
    nothing and gives the same figures."""
    month = parse_month(month)
    if region.kind != "district":
        raise ValidationError({"region": [_("结算按区进行：请选择一个区")]})
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": [_("不能结算尚未开始的月份")]})
    _require(actor, "billing.settle", None)
    if actor is not None and not is_visible(actor, region):
        raise PermissionDenied(_("该区不在您的管辖范围内。"))
    try:
        with transaction.atomic():
            run, _created = SettlementRun.objects.get_or_create(region=region, month=month)
    except IntegrityError:  # two closings at once: the other one made the row
        run = SettlementRun.objects.get(region=region, month=month)
    with transaction.atomic():
        # One closing per district at a time: two months of one district may both take up an earlier held visit.
        locks.hold("billing.settle", region.pk)
        run = SettlementRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.CLOSED:
            return run
        _build(run, actor)
        run.status, run.closed_at, run.closed_by = RunStatus.CLOSED, timezone.now(), actor
        run.save(update_fields=["status", "closed_at", "closed_by", "total", "fund", "subsidy", "self_pay",
                                "visits_settled", "visits_held", "lines"])
        audit.record(actor=actor, action=AuditAction.SETTLE, subject=run, changes={"summary": run_summary(run)},
                     region=region)
    return run


def reopen_month(*, actor, run: SettlementRun, reason: str) -> SettlementRun:
    """A closed month opened again (recorded with its reason); the next `settle` rebuilds its draft claims."""
    _require(actor, "billing.approve", None)
    if actor is not None and not is_visible(actor, run.region):
        raise PermissionDenied(_("该区不在您的管辖范围内。"))
    with transaction.atomic():
        run = SettlementRun.objects.select_for_update().get(pk=run.pk)
        RUN_FLOW.check(run, actor, "reopen", reason=reason)
        run.status = RunStatus.OPEN
        run.save(update_fields=["status"])
        Reopening.objects.create(run=run, reason=reason.strip()[:500], reopened_by=actor)
        audit.record(actor=actor, action=AuditAction.REOPEN, subject=run, reason=reason,
                     changes={"status": [RunStatus.CLOSED, RunStatus.OPEN]}, region=run.region)
    return run


def _build(run: SettlementRun, actor) -> None:
    drafts = Claim.objects.filter(run=run, status=ClaimStatus.DRAFT)
    ClaimLine.objects.filter(claim__in=drafts).exclude(kind=LineKind.ADJUSTMENT).delete()
    HeldVisit.objects.filter(run=run).delete()
    Basis.objects.filter(run=run).exclude(pk__in=_bases_in_use(run)).delete()
    window = valuation.Window(run.region, run.month, valuation.month_end(run.month))
    window.earliest = valuation.earliest_held(run.region, run.month)
    tables = valuation.policy_tables(window)
    bases = Basis.objects.bulk_create([Basis(run=run, rules=rules) for rules in tables.book.rules])
    basis_ids = [(number, basis.pk) for number, basis in enumerate(bases)]
    try:
        valuation.build_scratch(window, tables)
        claims = _claims_for_scratch(run)
        _hold(run)
        _insert_visit_lines(claims, basis_ids)
    finally:
        valuation.drop_scratch()
    _order_lines(run, window)
    _meal_lines(run)
    _facility_lines(run)
    Claim.objects.filter(run=run, status=ClaimStatus.DRAFT, lines_count=0).exclude(
        pk__in=ClaimLine.objects.filter(claim__run=run).values("claim_id")).delete()
    _refresh_totals(run)


def _bases_in_use(run):
    used = set(ClaimLine.objects.filter(claim__run=run).exclude(price_basis=None).values_list("price_basis_id",
                                                                                              flat=True))
    used |= set(ClaimLine.objects.filter(claim__run=run).exclude(split_basis=None).values_list("split_basis_id",
                                                                                               flat=True))
    return used


def _claim(run, organisation_id, programme) -> Claim:
    claim, _created = Claim.objects.get_or_create(run=run, organisation_id=organisation_id, programme=programme)
    return claim


def _claims_for_scratch(run) -> dict:
    """(organisation, programme) → claim for the month's payable rows; rows whose claim has left draft (the month
    was reopened after the provider submitted) wait for the next month's run."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT org_id, programme FROM {valuation.SCRATCH} WHERE hold IS NULL")
        pairs = cursor.fetchall()
    claims, closed = {}, []
    for organisation_id, programme in pairs:
        claim = _claim(run, organisation_id, programme)
        if claim.status == ClaimStatus.DRAFT:
            claims[(organisation_id, programme)] = claim.pk
        else:
            closed.append((organisation_id, programme))
    if closed:
        values, params = sql.values(closed, ("bigint", "text"), empty=(-1, ""))
        with connection.cursor() as cursor:
            cursor.execute(f"WITH closed (org_id, programme) AS ({values}) UPDATE {valuation.SCRATCH} SET hold = %s "
                           "WHERE hold IS NULL AND EXISTS (SELECT 1 FROM closed c WHERE c.org_id = "
                           f"{valuation.SCRATCH}.org_id AND c.programme = {valuation.SCRATCH}.programme)",
                           [*params, HoldReason.CLAIM_CLOSED])
    return claims


def _hold(run) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_heldvisit (run_id, visit_id, visit_date, work_order_id, organisation_id, elder_id, "
            f"reason) SELECT %s, visit_id, MIN(visit_date), MIN(work_order_id), MIN(org_id), MIN(elder_id), MIN(hold) "
            f"FROM {valuation.SCRATCH} WHERE hold IS NOT NULL GROUP BY visit_id", [run.pk])


def _insert_visit_lines(claims: dict, basis_ids) -> None:
    claim_values, claim_params = sql.values([(o, p, c) for (o, p), c in claims.items()], ("bigint", "text", "bigint"),
                                            empty=(-1, "", -1))
    basis_values, basis_params = sql.values(basis_ids, ("bigint", "bigint"), empty=(-1, -1))
    share = ("(CAST({0} AS numeric) / 10000)" if sql.is_postgres() else "({0} / 10000.0)")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_claimline (claim_id, kind, status, visit_id, visit_date, work_order_id, elder_id, "
            "community_id, item_id, quantity, unit_price, amount, fund, subsidy, self_pay, fund_share, subsidy_share, "
            "subsidy_wanted, self_pay_confirmed, price_basis_id, split_basis_id, reject_reason, note, source_key) "
            f"WITH claims (org_id, programme, claim_id) AS ({claim_values}), bases (num, id) AS ({basis_values}), "
            f"{valuation.split_ctes()} "
            f"SELECT c.claim_id, %s, %s, x.visit_id, x.visit_date, x.work_order_id, x.elder_id, x.community_id, "
            f"x.item_id, x.quantity, {sql.yuan('x.price_fen')}, {sql.yuan('x.amount_fen')}, {sql.yuan('x.fund_fen')}, "
            f"{sql.yuan('x.sub_fen')}, {sql.yuan('x.amount_fen - x.fund_fen - x.sub_fen')}, "
            f"{share.format('x.fund_bp')}, "
            f"CASE WHEN x.budget_fen IS NULL THEN NULL ELSE {share.format('x.sub_bp')} END, "
            f"{sql.yuan('x.wanted_fen')}, x.self_pay_confirmed = 1, pb.id, sb.id, '', '', '' "
            "FROM split x JOIN claims c ON c.org_id = x.org_id AND c.programme = x.programme "
            "LEFT JOIN bases pb ON pb.num = x.price_basis LEFT JOIN bases sb ON sb.num = x.split_basis",
            [*claim_params, *basis_params, LineKind.VISIT, LineStatus.COUNTED])


def _order_lines(run, window) -> None:
    """Delivered on-demand orders of the district's elders: their lines as priced when ordered (the quote fixed
    the payer split then); an order's work order is named on each line."""
    from carecircle.careplans.models import ServiceOrder
    from carecircle.catalog.models import ServiceItem
    from carecircle.workorders.models import WorkOrder

    orders = (ServiceOrder.objects.filter(status="done", service_date__gte=window.earliest,
                                          service_date__lte=window.end,
                                          elder__community__path__startswith=run.region.path)
              .exclude(organisation=None)
              .exclude(pk__in=ClaimLine.objects.filter(kind=LineKind.ORDER).exclude(order=None).values("order_id"))
              .select_related("elder"))
    items = {item.code: item.pk for item in ServiceItem.objects.all()}
    orders = list(orders.order_by("service_date", "pk"))
    work_orders = {}
    for order_id, work_order_id in (WorkOrder.objects.filter(order__in=orders).order_by("-pk")
                                    .values_list("order_id", "pk")):
        work_orders[order_id] = work_order_id  # the first of an order's work orders wins
    claims = {}
    lines = []
    for order in orders:
        if order.organisation_id not in claims:
            claims[order.organisation_id] = _claim(run, order.organisation_id, ClaimProgramme.ORDER)
        claim = claims[order.organisation_id]
        if claim.status != ClaimStatus.DRAFT:
            continue
        work_order = work_orders.get(order.pk)
        quoted = order.quote_lines.get("lines", []) if isinstance(order.quote_lines, dict) else order.quote_lines
        for row in quoted:
            if row.get("item") not in items:
                continue
            lines.append(ClaimLine(
                claim=claim, kind=LineKind.ORDER, order=order, work_order_id=work_order, elder_id=order.elder_id,
                community_id=order.elder.community_id, item_id=items[row["item"]], visit_date=order.service_date,
                quantity=Decimal(str(row["quantity"])), unit_price=to_money(row["unit_price"]),
                amount=to_money(row["amount"]), fund=to_money(row["fund"]), subsidy=to_money(row["subsidy"]),
                self_pay=to_money(row["self_pay"]), note=_("按下单时的报价结算")))
    ClaimLine.objects.bulk_create(lines, batch_size=2000)


def _meal_lines(run) -> None:
    """The canteens' approved meal-subsidy claims of the month, one line each, paid by the subsidy."""
    from carecircle.meals.models import MealClaim

    claims = (MealClaim.objects.filter(month=run.month, status="approved",
                                       canteen__facility__community__path__startswith=run.region.path)
              .select_related("canteen__facility"))
    already = set(ClaimLine.objects.filter(kind=LineKind.MEALS).values_list("source_key", flat=True))
    lines = []
    for meal_claim in claims:
        marker = f"meals:{meal_claim.pk}"
        if marker in already:
            continue
        claim = _claim(run, meal_claim.canteen.facility.organisation_id, ClaimProgramme.MEALS)
        if claim.status != ClaimStatus.DRAFT:
            continue
        amount = to_money(meal_claim.subsidy + meal_claim.delivery_subsidy)
        lines.append(ClaimLine(claim=claim, kind=LineKind.MEALS, community_id=meal_claim.canteen.facility.community_id,
                               quantity=Decimal(meal_claim.meals or 1), unit_price=ZERO, amount=amount,
                               subsidy=amount, source_key=marker, note=_("食堂助餐补贴申报（已审核）")))
    ClaimLine.objects.bulk_create(lines)


def _facility_lines(run) -> None:
    lines = []
    for row in subsidies.facility_subsidies(region=run.region, month=run.month):
        claim = _claim(run, row.organisation_id, ClaimProgramme.FACILITY)
        if claim.status != ClaimStatus.DRAFT:
            continue
        basis = Basis.objects.create(run=run, rules=row.rules)
        lines.append(ClaimLine(claim=claim, kind=LineKind.FACILITY, community_id=row.community_id,
                               quantity=row.quantity, unit_price=row.unit_price, amount=row.amount,
                               subsidy=row.amount, split_basis=basis, source_key=row.note))
    ClaimLine.objects.bulk_create(lines)


def _refresh_totals(run) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.claim_id, COUNT(*), SUM({sql.fen('l.amount')}), SUM({sql.fen('l.fund')}), "
            f"SUM({sql.fen('l.subsidy')}), SUM({sql.fen('l.self_pay')}) FROM billing_claimline l "
            "JOIN billing_claim c ON c.id = l.claim_id WHERE c.run_id = %s AND l.status = %s GROUP BY l.claim_id",
            [run.pk, LineStatus.COUNTED])
        sums = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT l.claim_id, COUNT(*) FROM billing_claimline l JOIN billing_claim c ON c.id = l.claim_id "
                       "WHERE c.run_id = %s AND l.status = %s GROUP BY l.claim_id", [run.pk, LineStatus.REJECTED])
        rejected = dict(cursor.fetchall())
        cursor.execute("SELECT COUNT(DISTINCT l.visit_id) FROM billing_claimline l JOIN billing_claim c "
                       "ON c.id = l.claim_id WHERE c.run_id = %s AND l.kind = %s", [run.pk, LineKind.VISIT])
        visits = cursor.fetchone()[0]
    totals = [0, 0, 0, 0]
    lines = 0
    for claim in Claim.objects.filter(run=run):
        count, amount, fund, subsidy, self_pay = sums.get(claim.pk, (0, 0, 0, 0, 0))
        claim.lines_count, claim.rejected_count = count, rejected.get(claim.pk, 0)
        claim.total, claim.fund, claim.subsidy, claim.self_pay = (to_yuan(v or 0) for v in (amount, fund, subsidy,
                                                                                            self_pay))
        claim.save(update_fields=["lines_count", "rejected_count", "total", "fund", "subsidy", "self_pay",
                                  "updated_at"])
        lines += count
        totals = [a + (b or 0) for a, b in zip(totals, (amount, fund, subsidy, self_pay))]
    run.total, run.fund, run.subsidy, run.self_pay = (to_yuan(v) for v in totals)
    run.lines = lines
    run.visits_settled = visits
    run.visits_held = HeldVisit.objects.filter(run=run).count()
    run.save(update_fields=["total", "fund", "subsidy", "self_pay", "lines", "visits_settled", "visits_held"])


def run_summary(run) -> dict:
    """The command's `--json` line and the page's heading figures (amounts as decimal strings)."""
    return {"month": f"{run.month:%Y-%m}", "total": f"{run.total:.2f}", "fund": f"{run.fund:.2f}",
            "subsidy": f"{run.subsidy:.2f}", "self_pay": f"{run.self_pay:.2f}",
            "visits_settled": run.visits_settled, "visits_held": run.visits_held, "lines": run.lines}


# --------------------------------------------------------------------------------------------- claims

def _locked_claim(claim) -> Claim:
    return Claim.objects.select_for_update().select_related("run", "organisation").get(pk=claim.pk)


def claim_step(*, actor, claim: Claim, action: str, reason: str = "") -> Claim:
    """submit (provider) · review (reviewer: returned to the provider when a line is rejected, else reviewed) ·
    approve (district) · pay (district, once the money has gone out)."""
    if action not in {"submit", "review", "approve", "pay"}:
        raise ValidationError({"action": [_("未知的操作")]})
    with transaction.atomic():
        claim = _locked_claim(claim)
        if actor is not None and not is_visible(actor, claim):
            raise PermissionDenied(_("该结算申报不在您的管辖范围内。"))
        step = CLAIM_FLOW.check(claim, actor, action, reason=reason)
        before = claim.status
        now = timezone.now()
        if action == "review":
            open_rejections = claim.lines.filter(status=LineStatus.REJECTED, corrections__isnull=True).exists()
            claim.status = ClaimStatus.RETURNED if open_rejections else ClaimStatus.REVIEWED
            claim.reviewed_at = now
        else:
            claim.status = step.target
            if action == "submit":
                claim.submitted_at = now
            elif action == "approve":
                claim.approved_at = now
            else:
                claim.paid_at = now
        claim.save(update_fields=["status", "submitted_at", "reviewed_at", "approved_at", "paid_at", "updated_at"])
        audit.record(actor=actor, action=AuditAction.CLAIM_STEP, subject=claim, reason=reason,
                     changes={"status": [before, claim.status], "step": action})
    return claim


def line_reject(*, actor, line: ClaimLine, reason: str) -> ClaimLine:
    """A reviewer rejects one line of a submitted claim, with a reason; it no longer counts towards the claim."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写驳回原因")]})
    with transaction.atomic():
        claim = _locked_claim(line.claim)
        if actor is not None and not is_visible(actor, claim):
            raise PermissionDenied(_("该结算申报不在您的管辖范围内。"))
        CLAIM_FLOW.check(claim, actor, "reject_line", reason=reason)
        line = ClaimLine.objects.select_for_update().get(pk=line.pk)
        if line.status == LineStatus.REJECTED:
            raise IllegalStep(_("这条明细已经被驳回"))
        line.status, line.reject_reason = LineStatus.REJECTED, reason[:500]
        line.save(update_fields=["status", "reject_reason"])
        _refresh_claim(claim)
        audit.record(actor=actor, action=AuditAction.LINE_REJECT, subject=claim, reason=reason,
                     changes={"line": line.pk, "status": [LineStatus.COUNTED, LineStatus.REJECTED]})
    return line


def line_correct(*, actor, line: ClaimLine, quantity, note: str) -> ClaimLine:
    """The provider answers a rejected line of a returned claim with a corrected quantity: a new line, valued at
    the rejected line's unit price and shares (its subsidy never above the rejected line's), that replaces it.
    A quantity of 0 withdraws the line."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("请说明更正的内容")]})
    try:
        quantity = Decimal(str(quantity))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"quantity": [_("数量须为数字")]})
    if not quantity.is_finite() or quantity < 0 or quantity != quantity.quantize(Decimal("0.01")):
        raise ValidationError({"quantity": [_("数量须为不小于 0、最多两位小数的数字")]})
    with transaction.atomic():
        claim = _locked_claim(line.claim)
        if actor is not None and not is_visible(actor, claim, CHANGE):
            raise PermissionDenied(_("该结算申报不在您的管辖范围内。"))
        CLAIM_FLOW.check(claim, actor, "correct_line")
        line = ClaimLine.objects.select_for_update().get(pk=line.pk)
        if line.status != LineStatus.REJECTED:
            raise IllegalStep(_("只能更正被驳回的明细"))
        if line.corrections.exists():
            raise IllegalStep(_("这条明细已经更正过"))
        if quantity > line.quantity:
            raise ValidationError({"quantity": [_("更正后的数量不能多于原来的数量 %(q)s") % {"q": line.quantity}]})
        amount = to_fen(line.unit_price) * int(quantity * 100)
        amount = (amount + 50) // 100
        fund = part(amount, to_bp(line.fund_share)) if line.fund_share is not None else 0
        wanted = part(amount - fund, to_bp(line.subsidy_share)) if line.subsidy_share is not None else 0
        subsidy = min(wanted, to_fen(line.subsidy))
        corrected = ClaimLine.objects.create(
            claim=claim, kind=LineKind.CORRECTION, visit_id=line.visit_id, visit_date=line.visit_date,
            work_order_id=line.work_order_id, order_id=line.order_id, elder_id=line.elder_id,
            community_id=line.community_id, item_id=line.item_id, quantity=quantity, unit_price=line.unit_price,
            amount=to_yuan(amount), fund=to_yuan(fund), subsidy=to_yuan(subsidy),
            self_pay=to_yuan(amount - fund - subsidy), fund_share=line.fund_share, subsidy_share=line.subsidy_share,
            subsidy_wanted=to_yuan(wanted), self_pay_confirmed=line.self_pay_confirmed,
            price_basis_id=line.price_basis_id, split_basis_id=line.split_basis_id, replaces=line, note=note[:500],
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        _refresh_claim(claim)
        audit.record(actor=actor, action=AuditAction.LINE_CORRECT, subject=claim, reason=note,
                     changes={"line": line.pk, "correction": corrected.pk, "quantity": [str(line.quantity),
                                                                                         str(quantity)]})
    return corrected


PAYER_FIELDS = {Payer.FUND: "fund", Payer.SUBSIDY: "subsidy", Payer.SELF_PAY: "self_pay"}


def claim_adjust(*, actor, claim: Claim, amount, payer: str, reason: str, elder=None) -> ClaimLine:
    """A signed adjustment line (never an edit): positive adds to what one payer owes, negative takes away."""
    reason = (reason or "").strip()
    if payer not in PAYER_FIELDS:
        raise ValidationError({"payer": [_("请选择付款方")]})
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"amount": [_("金额须为数字，如 -12.50")]})
    if not value.is_finite() or value == 0 or value != value.quantize(Decimal("0.01")) or abs(value) > 10 ** 9:
        raise ValidationError({"amount": [_("金额须为不等于 0、最多两位小数的数字")]})
    with transaction.atomic():
        claim = _locked_claim(claim)
        if actor is not None and not is_visible(actor, claim):
            raise PermissionDenied(_("该结算申报不在您的管辖范围内。"))
        CLAIM_FLOW.check(claim, actor, "adjust", reason=reason)
        parts = {"fund": ZERO, "subsidy": ZERO, "self_pay": ZERO, PAYER_FIELDS[payer]: value}
        line = ClaimLine.objects.create(
            claim=claim, kind=LineKind.ADJUSTMENT, elder=elder, community_id=getattr(elder, "community_id", None),
            quantity=Decimal(1), unit_price=value, amount=value, note=reason[:500],
            created_by=actor if getattr(actor, "is_authenticated", False) else None, **parts)
        _refresh_claim(claim)
        audit.record(actor=actor, action=AuditAction.ADJUST, subject=claim, reason=reason,
                     changes={"line": line.pk, "amount": str(value), "payer": payer})
    return line


def _refresh_claim(claim: Claim) -> None:
    """One claim's figures again from its counted lines, then the month's as the sum of its claims (a month of a
    million lines is not read again for one rejected line)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), SUM({sql.fen('amount')}), SUM({sql.fen('fund')}), SUM({sql.fen('subsidy')}), "
            f"SUM({sql.fen('self_pay')}) FROM billing_claimline WHERE claim_id = %s AND status = %s",
            [claim.pk, LineStatus.COUNTED])
        count, amount, fund, subsidy, self_pay = cursor.fetchone()
    claim.lines_count = count
    claim.rejected_count = ClaimLine.objects.filter(claim=claim, status=LineStatus.REJECTED).count()
    claim.total, claim.fund, claim.subsidy, claim.self_pay = (to_yuan(v or 0) for v in (amount, fund, subsidy,
                                                                                        self_pay))
    claim.save(update_fields=["lines_count", "rejected_count", "total", "fund", "subsidy", "self_pay", "updated_at"])
    run = SettlementRun.objects.select_for_update().get(pk=claim.run_id)
    totals = Claim.objects.filter(run=run).aggregate(total=Sum("total"), fund=Sum("fund"), subsidy=Sum("subsidy"),
                                                     self_pay=Sum("self_pay"), lines=Sum("lines_count"))
    run.total, run.fund, run.subsidy, run.self_pay = (to_money(totals[k] or 0) for k in ("total", "fund", "subsidy",
                                                                                        "self_pay"))
    run.lines = totals["lines"] or 0
    run.save(update_fields=["total", "fund", "subsidy", "self_pay", "lines"])


def payment_record(*, actor, claim: Claim, payer: str, amount, received_on: dt.date, reference: str) -> Payment:
    """Money received for an approved claim from one payer; the reconciliation lists what differs."""
    reference = (reference or "").strip()
    errors = {}
    if payer not in PAYER_FIELDS:
        errors["payer"] = [_("请选择付款方")]
    try:
        value = Decimal(str(amount).strip())
        if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["amount"] = [_("到账金额须为大于 0、最多两位小数的数字")]
    if not isinstance(received_on, dt.date):
        errors["received_on"] = [_("请填写到账日期")]
    elif received_on > timezone.localdate():
        errors["received_on"] = [_("到账日期不能晚于今天")]
    if not reference:
        errors["reference"] = [_("请填写银行或基金的流水号")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim = _locked_claim(claim)
        if actor is not None and not is_visible(actor, claim):
            raise PermissionDenied(_("该结算申报不在您的管辖范围内。"))
        CLAIM_FLOW.check(claim, actor, "record_payment")
        if Payment.objects.filter(payer=payer, reference=reference).exists():
            raise ValidationError({"reference": [_("这个流水号已经登记过")]})
        try:
            with transaction.atomic():
                payment = Payment.objects.create(claim=claim, payer=payer, amount=value, received_on=received_on,
                                                 reference=reference[:100], recorded_by=actor)
        except IntegrityError:
            raise ValidationError({"reference": [_("这个流水号已经登记过")]})
        audit.record(actor=actor, action=AuditAction.PAYMENT, subject=claim,
                     changes={"payer": payer, "amount": str(value), "reference": reference})
    return payment


def completion_record(*, actor, facility, completed_on: dt.date, note: str = "") -> "Completion":
    """A new facility accepted as built: the next month's run pays its one-off construction subsidy."""
    from .models import Completion

    _require(actor, "billing.completion", facility)
    if not isinstance(completed_on, dt.date):
        raise ValidationError({"completed_on": [_("请填写竣工验收日期")]})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": [_("竣工验收日期不能晚于今天")]})
    with transaction.atomic():
        if Completion.objects.select_for_update().filter(facility=facility).exists():
            raise ValidationError({"facility": [_("该设施已经登记过竣工验收")]})
        try:
            with transaction.atomic():
                completion = Completion.objects.create(facility=facility, completed_on=completed_on,
                                                       note=(note or "").strip()[:300], recorded_by=actor)
        except IntegrityError:
            raise ValidationError({"facility": [_("该设施已经登记过竣工验收")]})
        audit.record(actor=actor, action=AuditAction.COMPLETION, subject=facility,
                     changes={"completed_on": completed_on.isoformat()})
    return completion
