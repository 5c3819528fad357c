"""Every write of the allowances and the preferential card: one transaction, one audit event each.

Runs are made per district and month. A run is frozen once approved: making it again, adjusting it or
changing a line answers `IllegalStep` (HTTP 409). Making a run that is not yet approved again gives the same
lines (manual adjustments are kept), so a repeated run never duplicates a payment.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, locks
from carecircle.core.isolation import is_visible
from carecircle.core.money import to_money
from carecircle.core.policy import parameter_in_force, policy_value
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import mask_id_number
from carecircle.core.sql import bulk_insert, members
from carecircle.core.sql import values as sql_values  # a local `values` names the SQL text
from carecircle.core.workflow import IllegalStep
from carecircle.elders.identity import IdNumberError, age_on, parse_id_number
from carecircle.elders.models import Elder, ElderStatus
from carecircle.engines.benefits import (
    age_in_month,
    band_for,
    band_schedule,
    bands_from_table,
    entitlement_for,
    month_add,
    month_of,
    reconcile,
)

from .models import (
    CheckStatus,
    ApplicationStatus,
    BenefitApplication,
    CardStatus,
    Channel,
    CheckKind,
    CheckOutcome,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    LineKind,
    LineStatus,
    Notice,
    NoticeKind,
    PaymentLine,
    PaymentRun,
    PreferentialCard,
    Programme,
    RegistryCheck,
    RegistryFinding,
    RunStatus,
)
from .plugin import AuditAction
from .workflow import APPLICATION_FLOW, RUN_FLOW

BANDS_KEY = "benefits.age_allowance.bands"
RUN_METHOD = None  # "sql" or "rows" for every run (the tests make both on either database); None: by database
PAID_STATES = (LineStatus.PENDING, LineStatus.PAID, LineStatus.TO_RECOVER)


def _require(actor, capability):
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj, action="view"):
    if actor is not None and not is_visible(actor, obj, action=action):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


# --- programmes as policy ------------------------------------------------------------------------------------

class Programmes:
    """The policy in force for one region, read once per month asked."""

    def __init__(self, region):
        self.region = region
        self._bands = {}

    def bands(self, month: dt.date):
        if month not in self._bands:
            row = parameter_in_force(BANDS_KEY, region=self.region, on=month)
            if row is None:
                self._bands[month] = ([], None)
            else:
                table = policy_value(BANDS_KEY, region=self.region, on=month)
                self._bands[month] = (bands_from_table(table), row)
        return self._bands[month]

    def rule(self, month: dt.date, band) -> dict:
        _bands, row = self.bands(month)
        if row is None or band is None:
            return {}
        return {"key": f"{BANDS_KEY}[{band.min_age}]", "value": f"{band.amount:.2f}", "region": row.region.name,
                "effective_from": row.effective_from.isoformat()}

    def residence(self, key: str, month: dt.date) -> set:
        return set(policy_value(key, region=self.region, on=month))


def _district_of(region):
    from carecircle.regions.models import Region

    if region.kind == "district" or region.parent_id is None:
        return region
    return Region.objects.filter(path__in=region.ancestor_paths(), kind="district").first() or region


def _elders_in(region):
    return Elder.objects.filter(community__path__startswith=region.path)


def _notice(elder, kind, month, body):
    notice, _created = Notice.objects.get_or_create(elder=elder, kind=kind, month=month, defaults={"body": body})
    return notice


# --- enrolment ----------------------------------------------------------------------------------------------

@transaction.atomic
def enrolments_sweep(*, actor, region, month: dt.date, catch_up: bool = False) -> dict:
    """The monthly job: an elder who reaches the allowance's starting age this month is enrolled, one who
    reaches a higher band's age moves up; each gets a notice. `catch_up` also enrols every elder already past
    the starting age (the first roll of a deployment)."""
    _require(actor, "benefits.run")
    month = month_of(month)
    programmes = Programmes(region)
    bands, _row = programmes.bands(month)
    summary = {"enrolled": 0, "moved_up": 0}
    if not bands or not policy_value("benefits.age_allowance.auto_enrol", region=region, on=month):
        return summary
    residence = programmes.residence("benefits.age_allowance.residence", month)
    first = bands[0].min_age
    elders = _elders_in(region).filter(status=ElderStatus.ACTIVE, registration__in=residence)
    if catch_up:
        elders = elders.filter(birth_date__lt=month_add(dt.date(month.year - first, month.month, 1), 1))
    else:
        born_this_month = Q()
        for band in bands:  # born in this month, `min_age` years ago: date ranges, so the index serves them
            first_day = dt.date(month.year - band.min_age, month.month, 1)
            born_this_month |= Q(birth_date__gte=first_day, birth_date__lt=month_add(first_day, 1))
        elders = elders.filter(born_this_month)
    enrolled = {e.elder_id: e for e in Enrolment.objects.filter(elder__in=elders).select_for_update()}
    new, moved, notices = [], [], []
    for elder in elders.select_related("community").order_by("pk").iterator(chunk_size=5000):
        band = band_for(age_in_month(elder.birth_date, month), bands)
        if band is None:
            continue
        current = enrolled.get(elder.pk)
        words = {"name": elder.name, "month": f"{month:%Y-%m}", "band": band.min_age, "amount": f"{band.amount:.2f}"}
        if current is None:
            new.append(Enrolment(elder=elder, band=band.min_age, start_month=month, source=EnrolmentSource.AUTOMATIC))
            notices.append(Notice(elder=elder, kind=NoticeKind.ENROLLED, month=month, body=_(
                "%(name)s：您自 %(month)s 起享受老年综合津贴（%(band)s 周岁档，每月 %(amount)s 元），"
                "按月发放，无需申请。") % words))
        elif current.status == EnrolmentStatus.ACTIVE and band.min_age > current.band:
            current.elder = elder
            moved.append((current, current.band))
            current.band = band.min_age
            notices.append(Notice(elder=elder, kind=NoticeKind.BAND_UP, month=month, body=_(
                "%(name)s：您自 %(month)s 起老年综合津贴调整为 %(band)s 周岁档，每月 %(amount)s 元。") % words))
    Enrolment.objects.bulk_create(new, batch_size=2000)
    Enrolment.objects.bulk_update([e for e, _old in moved], ["band"], batch_size=1000)
    Notice.objects.bulk_create(notices, batch_size=2000, ignore_conflicts=True)
    audit.record_many(actor=actor, action=AuditAction.ENROL, entries=(
        (e, {"band": [None, e.band], "start_month": [None, month.isoformat()]}, "", e.elder.community) for e in new))
    audit.record_many(actor=actor, action=AuditAction.BAND_MOVE, entries=(
        (e, {"band": [old, e.band]}, "", e.elder.community) for e, old in moved))
    summary["enrolled"], summary["moved_up"] = len(new), len(moved)
    return summary


@transaction.atomic
def enrolment_stop(*, actor, elder, on: dt.date, reason: str, change: str) -> Enrolment | None:
    """A death or a move away: paid for that month, stopped from the next (any payment after it becomes a
    recovery line in the next run). Valid cards are cancelled. Repeating it changes nothing."""
    enrolment = Enrolment.objects.select_for_update().filter(elder=elder).first()
    PreferentialCard.objects.filter(elder=elder, status=CardStatus.VALID).update(status=CardStatus.CANCELLED)
    if enrolment is None or (enrolment.status == EnrolmentStatus.STOPPED and enrolment.stop_on == on):
        return enrolment
    before = audit.snapshot(enrolment, ["status", "stop_on"])
    enrolment.status, enrolment.stop_on = EnrolmentStatus.STOPPED, on
    enrolment.stop_reason = (reason or "")[:200]
    enrolment.save(update_fields=["status", "stop_on", "stop_reason"])
    _notice(elder, NoticeKind.STOPPED, month_of(on), _stop_text(elder, on, change))
    audit.record(actor=actor, action=AuditAction.STOP, subject=enrolment, reason=reason,
                 changes=audit.diff(before, audit.snapshot(enrolment, ["status", "stop_on"])))
    return enrolment


def _stop_text(elder, on, change, *, templates=None):
    """The stop notice's words. `templates` (from `_stop_templates`) spares a file of 50,000 stops as many
    catalogue lookups."""
    templates = templates or _stop_templates()
    return templates[change == ElderStatus.DECEASED] % {
        "name": elder.name, "on": on.isoformat(), "month": f"{month_add(month_of(on), 1):%Y-%m}"}


def _stop_templates() -> dict:
    return {True: _("%(name)s 的老年综合津贴因死亡（%(on)s）自 %(month)s 起停发。"),
            False: _("%(name)s 的老年综合津贴因户籍迁出（%(on)s）自 %(month)s 起停发。")}


@transaction.atomic
def enrolments_stop_many(*, actor, stops) -> int:
    """`enrolment_stop` for many elders at once (a registry file): `stops` is a list of (elder, on, reason,
    change). Valid cards are cancelled, the enrolments stopped, the notices and audit events written in bulk.
    Returns how many enrolments were stopped."""
    by_elder = {elder.pk: (elder, on, reason, change) for elder, on, reason, change in stops}
    chosen = RawSQL(*members(by_elder))
    PreferentialCard.objects.filter(elder_id__in=chosen, status=CardStatus.VALID).update(status=CardStatus.CANCELLED)
    # Read as plain values (locked): a file of 50,000 deaths builds no model instance per enrolment.
    changed = []  # (enrolment id, elder id, status before, stop_on before)
    for pk, elder_id, status, stop_on in (Enrolment.objects.select_for_update().filter(elder_id__in=chosen)
                                          .order_by("pk").values_list("pk", "elder_id", "status", "stop_on")):
        if status == EnrolmentStatus.STOPPED and stop_on == by_elder[elder_id][1]:
            continue
        changed.append((pk, elder_id, status, stop_on))
    for start in range(0, len(changed), 5000):  # UPDATE … FROM (VALUES …): one statement per 5,000 stops
        values, params = sql_values([(pk, by_elder[elder_id][1], (by_elder[elder_id][2] or "")[:200])
                                  for pk, elder_id, _s, _o in changed[start:start + 5000]],
                                 ("bigint", "date", "varchar(200)"))
        with connection.cursor() as cursor:
            cursor.execute(f"WITH stops (id, stop_on, reason) AS ({values}) UPDATE benefits_enrolment SET status = %s, "
                           "stop_on = stops.stop_on, stop_reason = stops.reason FROM stops "
                           "WHERE benefits_enrolment.id = stops.id", [*params, EnrolmentStatus.STOPPED])
    # The enrolments are locked above, so no other stop can write these notices meanwhile; one already written
    # (an earlier stop of the same month) is left as it is.
    months = {elder_id: month_of(by_elder[elder_id][1]) for _pk, elder_id, _s, _o in changed}
    existing = set(Notice.objects.filter(elder_id__in=chosen, kind=NoticeKind.STOPPED)
                   .values_list("elder_id", "month"))
    now, templates = timezone.now(), _stop_templates()
    bulk_insert(Notice, ["elder", "kind", "month", "body", "created_at"], [
        (elder_id, NoticeKind.STOPPED.value, months[elder_id],
         _stop_text(by_elder[elder_id][0], by_elder[elder_id][1], by_elder[elder_id][3], templates=templates), now)
        for _pk, elder_id, _s, _o in changed if (elder_id, months[elder_id]) not in existing])
    audit.record_many(actor=actor, action=AuditAction.STOP, entries=(
        (audit.Ref(Enrolment._meta.label_lower, pk, by_elder[elder_id][0].name),
         audit.diff({"status": status, "stop_on": stop_on.isoformat() if stop_on else None},
                    {"status": EnrolmentStatus.STOPPED.value, "stop_on": by_elder[elder_id][1].isoformat()}),
         (by_elder[elder_id][2] or "")[:200], by_elder[elder_id][0].community_id)
        for pk, elder_id, status, stop_on in changed))
    return len(changed)


@transaction.atomic
def enrolment_resume(*, actor, elder, reason: str = "") -> Enrolment | None:
    """A record set back to active (a mistaken death or move): payments resume and the months are owed again."""
    enrolment = Enrolment.objects.select_for_update().filter(elder=elder, status=EnrolmentStatus.STOPPED).first()
    if enrolment is None:
        return None
    enrolment.status, enrolment.stop_on, enrolment.stop_reason = EnrolmentStatus.ACTIVE, None, ""
    enrolment.save(update_fields=["status", "stop_on", "stop_reason"])
    audit.record(actor=actor, action=AuditAction.ENROL, subject=enrolment, reason=reason,
                 changes={"status": ["stopped", "active"]})
    return enrolment


# --- payment runs -------------------------------------------------------------------------------------------

def _lock_run(run) -> PaymentRun:
    return PaymentRun.objects.select_for_update().select_related("region").get(pk=run.pk)


def _settled_months(region, before: dt.date) -> set:
    """Months of this district whose run is approved or paid: only they can owe arrears or recoveries."""
    return set(PaymentRun.objects.filter(region=region, month__lt=before,
                                         status__in=(RunStatus.APPROVED, RunStatus.PAID))
               .values_list("month", flat=True))


def _refresh_totals(run):
    lines = PaymentLine.objects.filter(run=run)
    payable = lines.filter(amount__gt=0)
    run.total = to_money(payable.aggregate(t=Sum("amount"))["t"] or 0)
    run.recovery_total = to_money(-(lines.filter(amount__lt=0).aggregate(t=Sum("amount"))["t"] or 0))
    run.beneficiaries = payable.values("elder").distinct().count()


@transaction.atomic
def run_make(*, actor, region, month: dt.date, method: str | None = None) -> PaymentRun:
    """Make (or make again, while not approved) the district's run for the month.

    Two ways to the same lines (`method`): "sql" (the default on PostgreSQL) writes the month's regular lines
    with one INSERT … SELECT whose bands are the dated policy's birth-date ranges (`band_schedule`), and
    finds with one query the beneficiaries whose settled months differ from what is owed; "rows" (the default on
    SQLite) walks every enrolment in Python. Both take their bands, amounts and rules from the same engine and
    policy, and both hand the differing months to the same `_reconciliation_lines`; a test makes both on the
    same data and compares every line."""
    _require(actor, "benefits.run")
    region = _district_of(region)
    if actor is not None:
        _require_visible(actor, region, action="change")
    month = month_of(month)
    method = method or RUN_METHOD or ("sql" if connection.vendor == "postgresql" else "rows")
    if method not in ("sql", "rows"):
        raise ValueError(method)
    locks.hold("benefits.run", region.pk, month.isoformat())
    run, created = PaymentRun.objects.get_or_create(region=region, month=month)
    run = _lock_run(run)
    RUN_FLOW.check(run, actor, "remake", message=_("%(month)s 的发放批次已审批，不能再重新生成。")
                   % {"month": f"{month:%Y-%m}"} if run.is_frozen else None)
    PaymentLine.objects.filter(run=run).exclude(kind=LineKind.ADJUSTMENT).delete()
    lookback = policy_value("benefits.age_allowance.arrears_months", region=region, on=month)
    context = _RunContext(run=run, region=region, month=month, programmes=Programmes(region),
                          settled=_settled_months(region, month), window_start=month_add(month, -lookback))
    if method == "sql":
        count = _make_lines_sql(context)
    else:
        count = _make_lines_rows(context)
    _refresh_totals(run)
    run.status, run.made_at = RunStatus.DRAFT, timezone.now()
    run.save(update_fields=["status", "made_at", "total", "recovery_total", "beneficiaries"])
    audit.record(actor=actor, action=AuditAction.RUN_MAKE, subject=run,
                 changes={"month": f"{month:%Y-%m}", "lines": count, "total": f"{run.total:.2f}",
                          "again": not created})
    return run


@dataclass
class _RunContext:
    run: PaymentRun
    region: object
    month: dt.date
    programmes: Programmes
    settled: set
    window_start: dt.date

    def enrolments(self):
        """Everyone the run may owe something: on the district's roll, unless stopped before the window."""
        return (Enrolment.objects.filter(elder__community__path__startswith=self.region.path)
                .exclude(status=EnrolmentStatus.STOPPED, stop_on__lt=self.window_start))

    def earlier_lines(self):
        return PaymentLine.objects.filter(run__region=self.region,
                                          run__status__in=(RunStatus.APPROVED, RunStatus.PAID),
                                          for_month__gte=self.window_start, for_month__lt=self.month)


def _stop_of(enrolment):
    return enrolment.stop_on if enrolment.status == EnrolmentStatus.STOPPED else None


def _paid_and_failed(context, elder_ids=None):
    """Per elder and settled month: the amount that went out (paid, pending or to recover) and the months
    whose payment failed."""
    paid = defaultdict(lambda: defaultdict(Decimal))
    failed = defaultdict(set)
    if context.settled:
        earlier = context.earlier_lines()
        if elder_ids is not None:
            earlier = earlier.filter(elder_id__in=elder_ids)
        for elder_id, for_month, amount, status in earlier.values_list("elder_id", "for_month", "amount", "status"):
            if status in PAID_STATES:
                paid[elder_id][for_month] += amount
            else:
                failed[elder_id].add(for_month)
    return paid, failed


def _regular_line(context, enrolment, elder):
    bands, _row = context.programmes.bands(context.month)
    current = entitlement_for(birth=elder.birth_date, month=context.month, bands=bands,
                              start_month=enrolment.start_month, stop_on=_stop_of(enrolment))
    if current.amount <= 0:
        return None
    return PaymentLine(run=context.run, elder_id=elder.pk, kind=LineKind.REGULAR, for_month=context.month,
                       band=current.band.min_age, amount=current.amount,
                       rule=context.programmes.rule(context.month, current.band))


def _reconciliation_lines(context, enrolment, elder, paid: dict, failed: set) -> list:
    """Arrears, retries of failed payments, differences and recoveries of one person's settled months."""
    programmes, stop_on = context.programmes, _stop_of(enrolment)
    owed, entitlements = {}, {}
    for past in sorted(m for m in context.settled if m >= max(context.window_start, enrolment.start_month)):
        ent = entitlement_for(birth=elder.birth_date, month=past, bands=programmes.bands(past)[0],
                              start_month=enrolment.start_month, stop_on=stop_on)
        owed[past], entitlements[past] = ent.amount, ent
    got = {m: v for m, v in paid.items() if m in context.settled}
    result = reconcile(owed=owed, paid=got)
    lines = []
    for past, amount in result.arrears:
        ent = entitlements[past]
        kind = LineKind.RETRY if past in failed else LineKind.ARREARS
        lines.append(PaymentLine(run=context.run, elder_id=elder.pk, kind=kind, for_month=past,
                                 band=ent.band.min_age, amount=amount, rule=programmes.rule(past, ent.band)))
    for past, difference in result.adjustments:
        ent = entitlements[past]
        kind = LineKind.ARREARS if difference > 0 else LineKind.RECOVERY
        lines.append(PaymentLine(run=context.run, elder_id=elder.pk, kind=kind, for_month=past,
                                 band=ent.band.min_age if ent.band else None, amount=difference,
                                 status=LineStatus.PENDING if difference > 0 else LineStatus.TO_RECOVER,
                                 rule=programmes.rule(past, ent.band), note=_("按应发金额差额调整")))
    for past, amount in result.recoveries:
        ent = entitlements.get(past)
        note = (_("%(on)s 后停发，该月已发放") % {"on": stop_on.isoformat()}) if stop_on else _("该月不应发放")
        lines.append(PaymentLine(run=context.run, elder_id=elder.pk, kind=LineKind.RECOVERY, for_month=past,
                                 band=None, amount=-amount, status=LineStatus.TO_RECOVER, note=note,
                                 rule={"key": "benefits.stop", "reason": ent.reason if ent else "stopped"}))
    return lines


def _make_lines_rows(context) -> int:
    """Every enrolment in Python: its regular line and its reconciliation."""
    paid, failed = _paid_and_failed(context)
    lines = []
    for enrolment in context.enrolments().select_related("elder").order_by("elder_id").iterator(chunk_size=5000):
        elder = enrolment.elder
        regular = _regular_line(context, enrolment, elder)
        if regular is not None:
            lines.append(regular)
        lines += _reconciliation_lines(context, enrolment, elder, paid[elder.pk], failed[elder.pk])
    PaymentLine.objects.bulk_create(lines, batch_size=2000)
    return len(lines)


def _schedule_rows(context, months):
    """(month, band, amount, rule as JSON, born_from, born_before) for each band of each month: the dated policy
    in force that month, as birth-date ranges."""
    rows = []
    for m in months:
        bands, _row = context.programmes.bands(m)
        for bounds in band_schedule(bands, m):
            rows.append((m, bounds.band.min_age, bounds.band.amount,
                         json.dumps(context.programmes.rule(m, bounds.band), ensure_ascii=False),
                         bounds.born_from, bounds.born_before))
    return rows


SCHEDULE_COLUMNS = "schedule (m, band, amount, rule, born_from, born_before)"
SCHEDULE_TYPES = ("date", "integer", "numeric", "jsonb", "date", "date")


def _roll_sql(context):
    """The enrolments of the district's elders (the same set as `_RunContext.enrolments`), with birth dates."""
    prefix = context.region.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("roll AS (SELECT e.elder_id, e.start_month, e.status, e.stop_on, el.birth_date "
            "FROM benefits_enrolment e JOIN elders_elder el ON el.id = e.elder_id "
            "WHERE el.community_id IN (SELECT id FROM regions_region WHERE path LIKE %s ESCAPE '\\') "
            "AND NOT (e.status = %s AND e.stop_on IS NOT NULL AND e.stop_on < %s))",
            [prefix, EnrolmentStatus.STOPPED, context.window_start])


# Owed in the schedule's month: born in the band's range, enrolled from that month on, not stopped before it.
OWED_SQL = ("FROM roll r JOIN schedule s ON r.birth_date >= s.born_from AND r.birth_date < s.born_before "
            "AND r.start_month <= s.m AND (r.status <> %s OR r.stop_on IS NULL OR r.stop_on >= s.m)")


def _make_lines_sql(context) -> int:
    """The month's regular lines in one INSERT … SELECT; the reconciliation only for the people whose settled
    months differ from what is owed (found by one query that compares owed and paid month by month)."""
    run, month = context.run, context.month
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the month's hash joins and sums stay in memory (this transaction)
            cursor.execute("SET LOCAL work_mem = '256MB'")
    roll, roll_params = _roll_sql(context)
    schedule = _schedule_rows(context, [month])
    count = 0
    if schedule:
        values, params = sql_values(schedule, SCHEDULE_TYPES)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH {SCHEDULE_COLUMNS} AS ({values}), {roll} "
                "INSERT INTO benefits_paymentline (run_id, elder_id, kind, for_month, band, amount, rule, status, "
                "failure_reason, note) "
                f"SELECT %s, r.elder_id, %s, s.m, s.band, s.amount, s.rule, %s, '', '' {OWED_SQL}",
                [*params, *roll_params, run.pk, LineKind.REGULAR, LineStatus.PENDING, EnrolmentStatus.STOPPED])
            count += cursor.rowcount
    months = sorted(m for m in context.settled if m >= context.window_start)
    if not months:
        return count
    differing = _differing_elders(context, months)
    if not differing:
        return count
    paid, failed = _paid_and_failed(context, elder_ids=differing)
    lines = []
    for enrolment in (context.enrolments().filter(elder_id__in=differing).select_related("elder")
                      .order_by("elder_id")):
        lines += _reconciliation_lines(context, enrolment, enrolment.elder, paid[enrolment.elder_id],
                                       failed[enrolment.elder_id])
    PaymentLine.objects.bulk_create(lines, batch_size=2000)
    return count + len(lines)


def _differing_elders(context, months) -> list:
    """The people for whom some settled month in the window went out at a different amount than is owed (owed:
    the band of that month's policy by birth date, from the start month up to the stop). Someone paid but no
    longer on the roll may be among them: the caller reconciles only those on the roll, as the per-row path."""
    roll, roll_params = _roll_sql(context)
    schedule = _schedule_rows(context, months) or [(months[0], 0, Decimal("0"), "{}", dt.date.min, dt.date.min)]
    values, schedule_params = sql_values(schedule, SCHEDULE_TYPES)
    month_values, month_params = sql_values([(m,) for m in months], ("date",))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {SCHEDULE_COLUMNS} AS ({values}), settled (m) AS ({month_values}), {roll} "
            "SELECT DISTINCT elder_id FROM (SELECT elder_id, m, SUM(owed) AS owed, SUM(got) AS got FROM ("
            f"SELECT r.elder_id, s.m, s.amount AS owed, 0 AS got {OWED_SQL} "
            "UNION ALL "
            "SELECT l.elder_id, l.for_month AS m, 0 AS owed, l.amount AS got FROM benefits_paymentline l "
            "JOIN benefits_paymentrun pr ON pr.id = l.run_id JOIN settled sm ON sm.m = l.for_month "
            "WHERE pr.region_id = %s AND pr.status IN (%s, %s) AND l.status IN (%s, %s, %s)"
            ") d GROUP BY elder_id, m) t WHERE ROUND(owed - got, 2) <> 0",
            [*schedule_params, *month_params, *roll_params, EnrolmentStatus.STOPPED, context.region.pk,
             RunStatus.APPROVED, RunStatus.PAID, *PAID_STATES])
        return [row[0] for row in cursor.fetchall()]


def run_summary(run) -> dict:
    """The command's and the page's summary: beneficiaries, total and the amount per band of this month."""
    by_band = (PaymentLine.objects.filter(run=run, kind=LineKind.REGULAR).values("band")
               .annotate(total=Sum("amount")).order_by("band"))
    return {"month": f"{run.month:%Y-%m}", "beneficiaries": run.beneficiaries, "total": f"{run.total:.2f}",
            "by_band": {str(row["band"]): f"{to_money(row['total']):.2f}" for row in by_band}}


@transaction.atomic
def run_step(*, actor, run, action: str, reason: str = "") -> PaymentRun:
    """check / return_to_draft / approve. The row is locked first: of two approvals at once the second meets
    the approved run and gets a 409."""
    if action not in ("check", "return_to_draft", "approve"):
        raise ValidationError(_("未知的操作"))
    _require_visible(actor, run)
    run = _lock_run(run)
    step = RUN_FLOW.check(run, actor, action, reason=reason)
    before = run.status
    run.status = step.target
    fields = ["status"]
    if action == "approve":
        run.approved_by, run.approved_at = actor, timezone.now()
        fields += ["approved_by", "approved_at"]
        for line in PaymentLine.objects.filter(run=run, kind=LineKind.RECOVERY).select_related("elder"):
            _notice(line.elder, NoticeKind.RECOVERY, line.for_month,
                    _("%(name)s 家属：经与死亡及户籍信息比对，%(name)s 的老年综合津贴已于 %(stop)s 停发，"
                      "%(month)s 已发放的 %(amount)s 元属于多发，请于收到本告知书后 30 日内退回至街道"
                      "民政窗口或原发放账户。如有异议，请携带相关证明到街道说明。")
                    % {"name": line.elder.name, "stop": line.note, "month": f"{line.for_month:%Y-%m}",
                       "amount": f"{-line.amount:.2f}"})
    run.save(update_fields=fields)
    audit.record(actor=actor, action=AuditAction.RUN_STEP, subject=run, reason=reason,
                 changes={"status": [before, run.status], "step": action})
    return run


@transaction.atomic
def run_adjust(*, actor, run, elder, amount, for_month: dt.date, reason: str) -> PaymentLine:
    """A manual adjustment line (positive: to pay; negative: to recover), only while the run is not approved."""
    _require_visible(actor, run)
    _require_visible(actor, elder)
    run = _lock_run(run)
    RUN_FLOW.check(run, actor, "adjust", reason=reason)
    try:
        amount = to_money(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"amount": [_("金额须为最多两位小数的数字")]})
    if amount == 0 or abs(amount) > Decimal("100000"):
        raise ValidationError({"amount": [_("调整金额不能为 0，且不超过 100000 元")]})
    if not elder.community.path.startswith(run.region.path):
        raise ValidationError({"elder": [_("该老人不属于本批次的区域")]})
    line = PaymentLine.objects.create(run=run, elder=elder, kind=LineKind.ADJUSTMENT, for_month=month_of(for_month),
                                      amount=amount, note=reason.strip()[:200],
                                      status=LineStatus.PENDING if amount > 0 else LineStatus.TO_RECOVER,
                                      rule={"key": "benefits.adjustment", "reason": reason.strip()[:200]})
    _refresh_totals(run)
    run.save(update_fields=["total", "recovery_total", "beneficiaries"])
    audit.record(actor=actor, action=AuditAction.RUN_ADJUST, subject=run, reason=reason,
                 changes={"elder": elder.pk, "amount": f"{amount:.2f}", "for_month": f"{line.for_month:%Y-%m}"})
    return line


# --- bank files ---------------------------------------------------------------------------------------------

BANK_COLUMNS = ("明细编号", "收款人姓名", "身份证号", "金额", "所属月份", "类型")
RETURN_COLUMNS = ("明细编号", "金额", "结果", "失败原因")
RETURN_ALIASES = {"line": "明细编号", "amount": "金额", "result": "结果", "reason": "失败原因"}
RESULT_WORDS = {"成功": LineStatus.PAID, "success": LineStatus.PAID, "失败": LineStatus.FAILED,
                "failed": LineStatus.FAILED}


def bank_lines(run):
    return (PaymentLine.objects.filter(run=run, amount__gt=0).select_related("elder")
            .order_by("elder__community__path", "elder_id", "for_month", "id"))


def bank_rows(run):
    """The bank payment file's rows (documented in docs/architecture.md, "Benefits"): one per payable line."""
    for line in bank_lines(run):
        yield [str(line.pk), line.elder.name, line.elder.id_number, f"{line.amount:.2f}", f"{line.for_month:%Y-%m}",
               line.get_kind_display()]


def _read_table(upload) -> list[list[str]]:
    name = (getattr(upload, "name", "") or "").lower()
    data = upload.read()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception:  # noqa: BLE001 - any unreadable workbook is the same answer to the person
            raise ValidationError({"file": [_("无法读取该 Excel 文件，请确认是 .xlsx 格式")]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError({"file": [_("文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV")]})
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _strip_apostrophe(value: str) -> str:
    return value[1:] if value.startswith("'") else value


@transaction.atomic
def run_return_import(*, actor, run, upload) -> dict:
    """The bank's return file matched back line by line: every row valid or nothing written. A failed payment
    is paid again in the next month's run (a "retry" line); when no line is left pending the run is paid."""
    _require_visible(actor, run)
    run = _lock_run(run)
    RUN_FLOW.check(run, actor, "record_return")
    table = [row for row in _read_table(upload) if any(row)]
    if not table:
        raise ValidationError({"file": [_("文件是空的")]})
    header = [RETURN_ALIASES.get(h.strip().lower(), h.strip()) for h in table[0]]
    missing = [c for c in RETURN_COLUMNS[:3] if c not in header]
    unknown = [h for h in header if h and h not in RETURN_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("缺少列：%(cols)s") % {"cols": "、".join(missing)})
        if unknown:
            problems.append(_("无法识别的列：%(cols)s") % {"cols": "、".join(unknown)})
        raise ValidationError({"file": problems})
    col = {name: header.index(name) for name in RETURN_COLUMNS if name in header}
    lines = {str(line.pk): line for line in bank_lines(run)}
    seen, errors, updates = set(), [], []
    for number, row in enumerate(table[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        ref = _strip_apostrophe(row[col["明细编号"]])
        line = lines.get(ref)
        if line is None:
            errors.append(_("第 %(n)d 行：明细编号“%(ref)s”不在本批次的银行文件中") % {"n": number, "ref": ref[:30]})
            continue
        if ref in seen:
            errors.append(_("第 %(n)d 行：明细编号 %(ref)s 重复出现") % {"n": number, "ref": ref})
            continue
        seen.add(ref)
        try:
            amount = to_money(_strip_apostrophe(row[col["金额"]]))
        except (InvalidOperation, ValueError):
            errors.append(_("第 %(n)d 行：金额“%(v)s”不是数字") % {"n": number, "v": row[col["金额"]][:20]})
            continue
        if amount != line.amount:
            errors.append(_("第 %(n)d 行：金额 %(v)s 与发放金额 %(a)s 不符") % {
                "n": number, "v": f"{amount:.2f}", "a": f"{line.amount:.2f}"})
            continue
        status = RESULT_WORDS.get(row[col["结果"]].strip().lower())
        if status is None:
            errors.append(_("第 %(n)d 行：结果须为“成功”或“失败”，现为“%(v)s”") % {"n": number, "v": row[col["结果"]][:20]})
            continue
        reason = row[col["失败原因"]][:200] if "失败原因" in col else ""
        if status == LineStatus.FAILED and not reason:
            reason = _("银行未说明原因")
        updates.append((line, status, reason if status == LineStatus.FAILED else ""))
    if errors:
        raise ValidationError({"file": errors})
    counts = {"paid": 0, "failed": 0}
    for line, status, reason in updates:
        line.status, line.failure_reason = status, reason
        counts["paid" if status == LineStatus.PAID else "failed"] += 1
    PaymentLine.objects.bulk_update([u[0] for u in updates], ["status", "failure_reason"], batch_size=2000)
    before = run.status
    if not PaymentLine.objects.filter(run=run, amount__gt=0, status=LineStatus.PENDING).exists():
        run.status = RunStatus.PAID
        run.save(update_fields=["status"])
    audit.record(actor=actor, action=AuditAction.RUN_RETURN, subject=run,
                 changes={"rows": len(updates), **counts, "status": [before, run.status]})
    return counts


# --- applications -------------------------------------------------------------------------------------------

def _eligibility(elder, programme, on: dt.date) -> tuple[bool, list[str]]:
    """Whether the elder qualifies now, and the sentences of the check (age from the ID number, residence,
    the register's status)."""
    region = elder.community
    notes = []
    try:
        facts = parse_id_number(elder.id_number, today=on)
        birth = facts.birth_date
        notes.append(_("身份证号核验通过，出生日期 %(d)s") % {"d": birth.isoformat()})
    except IdNumberError as error:
        return False, [_("身份证号无法核验：%(e)s") % {"e": error.message}]
    ok = True
    if elder.status != ElderStatus.ACTIVE:
        ok = False
        notes.append(_("档案状态为“%(s)s”，不能申请") % {"s": elder.get_status_display()})
    if programme == Programme.AGE_ALLOWANCE:
        bands = bands_from_table(policy_value(BANDS_KEY, region=region, on=on))
        residence = set(policy_value("benefits.age_allowance.residence", region=region, on=on))
        minimum = bands[0].min_age if bands else None
        age = age_in_month(birth, month_of(on))
    else:
        kinds = policy_value("benefits.card.kinds", region=region, on=on)
        residence = set(policy_value("benefits.card.residence", region=region, on=on))
        minimum = min(kinds.values()) if kinds else None
        age = age_on(birth, on)
    notes.append(_("年龄 %(age)d 周岁") % {"age": age})
    if minimum is None or age < minimum:
        ok = False
        notes.append(_("未达到 %(min)s 周岁") % {"min": minimum})
    if elder.registration not in residence:
        ok = False
        notes.append(_("户籍类型“%(r)s”不符合条件") % {"r": elder.get_registration_display()})
    else:
        notes.append(_("户籍类型“%(r)s”符合条件") % {"r": elder.get_registration_display()})
    return ok, notes


@transaction.atomic
def application_submit(*, actor, elder, programme: str, channel: str) -> BenefitApplication:
    """Online by the elder or the family (`benefits.apply`), or at the street's window (`benefits.change`);
    the register is checked at once and the result kept with the application."""
    if programme not in Programme.values:
        raise ValidationError({"programme": [_("请选择申请项目")]})
    _require(actor, "benefits.submit")
    if channel == Channel.PORTAL:
        _require(actor, "benefits.apply")
    else:
        channel = Channel.WINDOW
        _require(actor, "benefits.change")
    _require_visible(actor, elder, action="change")
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    if BenefitApplication.objects.filter(elder=elder, programme=programme, status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationError({"programme": [_("该项目已有一份申请正在办理，请等待结果")]})
    if programme == Programme.AGE_ALLOWANCE and Enrolment.objects.filter(
            elder=elder, status=EnrolmentStatus.ACTIVE).exists():
        raise ValidationError({"programme": [_("该老人已在享受老年综合津贴，无需申请")]})
    if programme == Programme.CARD and PreferentialCard.objects.filter(elder=elder, status=CardStatus.VALID).exists():
        raise ValidationError({"programme": [_("该老人已持有有效的老年优待证；遗失请办理挂失补办")]})
    ok, notes = _eligibility(elder, programme, timezone.localdate())
    if not ok:
        raise ValidationError({"programme": notes})
    application = BenefitApplication.objects.create(elder=elder, programme=programme, channel=channel,
                                                    check_result="；".join(str(n) for n in notes),
                                                    submitted_by=actor)
    audit.record(actor=actor, action=AuditAction.APPLICATION_SUBMIT, subject=application,
                 changes={"programme": programme, "channel": channel})
    return application


@transaction.atomic
def application_decide(*, actor, application, action: str, reason: str = "") -> BenefitApplication:
    _require_visible(actor, application, action="change")
    application = BenefitApplication.objects.select_for_update().select_related("elder").get(pk=application.pk)
    step = APPLICATION_FLOW.check(application, actor, action, reason=reason)
    today = timezone.localdate()
    if action == "approve":
        ok, notes = _eligibility(application.elder, application.programme, today)
        if not ok:
            raise ValidationError({"reason": notes})
        if application.programme == Programme.AGE_ALLOWANCE:
            _enrol_from_application(actor=actor, application=application)
        else:
            card_issue(actor=actor, elder=application.elder)
    application.status, application.decided_at = step.target, timezone.now()
    application.decision_reason = (reason or "").strip()[:200]
    application.save(update_fields=["status", "decided_at", "decision_reason"])
    audit.record(actor=actor, action=AuditAction.APPLICATION_DECIDE, subject=application, reason=reason,
                 changes={"status": ["submitted", application.status]})
    return application


def _enrol_from_application(*, actor, application):
    """Paid from the month of the application (at the earliest the month the starting age is reached): months
    already settled are paid as arrears in the next run."""
    elder = application.elder
    submitted = month_of(timezone.localtime(application.submitted_at).date())
    bands = bands_from_table(policy_value(BANDS_KEY, region=elder.community, on=submitted))
    reached = month_add(dt.date(elder.birth_date.year + bands[0].min_age, elder.birth_date.month, 1), 0)
    start = max(submitted, reached)
    band = band_for(age_in_month(elder.birth_date, month_of(timezone.localdate())), bands)
    enrolment = Enrolment.objects.select_for_update().filter(elder=elder).first()
    if enrolment is None:
        enrolment = Enrolment.objects.create(elder=elder, band=band.min_age, start_month=start,
                                             source=EnrolmentSource.APPLICATION)
    else:
        enrolment.status, enrolment.stop_on, enrolment.band = EnrolmentStatus.ACTIVE, None, band.min_age
        enrolment.save(update_fields=["status", "stop_on", "band"])
    _notice(elder, NoticeKind.ENROLLED, start,
            _("%(name)s：您的老年综合津贴申请已通过，自 %(month)s 起按 %(band)s 周岁档每月 %(amount)s 元发放；"
              "已过去的月份在下一次发放时补发。") % {"name": elder.name, "month": f"{start:%Y-%m}",
                                                   "band": band.min_age, "amount": f"{band.amount:.2f}"})
    audit.record(actor=actor, action=AuditAction.ENROL, subject=enrolment,
                 changes={"band": band.min_age, "start_month": start, "application": application.pk})


# --- the preferential card ----------------------------------------------------------------------------------

def _card_kind(elder, on):
    kinds = policy_value("benefits.card.kinds", region=elder.community, on=on)
    age = age_on(elder.birth_date, on)
    reached = [(minimum, kind) for kind, minimum in kinds.items() if age >= minimum]
    if not reached:
        raise ValidationError(_("未达到申领老年优待证的年龄"))
    return max(reached)[1]


def _new_card(elder, kind, today, replaces=None):
    card = PreferentialCard.objects.create(elder=elder, kind=kind, number=f"pending-{elder.pk}-{timezone.now().timestamp()}",
                                           issued_on=today, replaces=replaces)
    card.number = f"{elder.community.code[:6]}{today:%Y}{kind}{card.pk:07d}"
    card.save(update_fields=["number"])
    return card


@transaction.atomic
def card_issue(*, actor, elder) -> PreferentialCard:
    _require(actor, "benefits.change")
    _require_visible(actor, elder, action="change")
    today = timezone.localdate()
    if PreferentialCard.objects.filter(elder=elder, status=CardStatus.VALID).exists():
        raise ValidationError(_("该老人已持有有效的老年优待证"))
    card = _new_card(elder, _card_kind(elder, today), today)
    _notice(elder, NoticeKind.CARD_ISSUED, month_of(today),
            _("%(name)s：您的老年优待证已办结，证号 %(number)s，可在网上打印或到街道领取。")
            % {"name": elder.name, "number": card.number})
    audit.record(actor=actor, action=AuditAction.CARD_ISSUE, subject=card, changes={"number": card.number})
    return card


@transaction.atomic
def card_report_loss(*, actor, card, reason: str = "", reissue: bool = True) -> PreferentialCard | None:
    """Loss: the old number stops being valid at once; with `reissue` a new number is issued in its place."""
    _require(actor, "benefits.card_loss")
    _require_visible(actor, card, action="change")
    card = PreferentialCard.objects.select_for_update().select_related("elder__community").get(pk=card.pk)
    if card.status != CardStatus.VALID:
        raise IllegalStep(_("该证件状态为“%(s)s”，不能挂失") % {"s": card.get_status_display()})
    card.status = CardStatus.REPLACED if reissue else CardStatus.LOST
    card.save(update_fields=["status"])
    audit.record(actor=actor, action=AuditAction.CARD_LOSS, subject=card, reason=reason,
                 changes={"status": ["valid", card.status]})
    if not reissue:
        return None
    today = timezone.localdate()
    new = _new_card(card.elder, _card_kind(card.elder, today), today, replaces=card)
    audit.record(actor=actor, action=AuditAction.CARD_ISSUE, subject=new, reason=reason,
                 changes={"number": new.number, "replaces": card.number})
    return new


@transaction.atomic
def card_print(*, actor, card) -> PreferentialCard:
    _require_visible(actor, card)
    card = PreferentialCard.objects.select_for_update().get(pk=card.pk)
    if card.status != CardStatus.VALID:
        raise IllegalStep(_("只有有效的证件可以打印"))
    card.printed_times += 1
    card.save(update_fields=["printed_times"])
    audit.record(actor=actor, action=AuditAction.CARD_PRINT, subject=card, changes={"times": card.printed_times})
    return card


# --- registry cross-checks ----------------------------------------------------------------------------------

# The usual column headings of the files other departments send, and the field each one holds. Any other
# heading is shown in the preview and ignored unless the person maps it to a field there.
CHECK_COLUMNS = {
    "姓名": "name", "name": "name",
    "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "id_number": "id_number",
    "死亡日期": "date", "去世时间": "date", "迁出日期": "date", "date": "date",
    "户籍类型": "registration", "户口类型": "registration", "registration": "registration",
    "火化时间": "extra", "火化单位": "extra", "居住地址": "extra", "迁往地": "extra", "住址": "extra",
}
CHECK_FIELDS = ("name", "id_number", "date", "registration")
# What each kind of file must hold.
REQUIRED_FIELDS = {CheckKind.DEATH: ("name", "id_number", "date"), CheckKind.HOUSEHOLD: ("name", "id_number", "date"),
                   CheckKind.POPULATION: ("name", "id_number")}
REGISTRATION_WORDS = {"本市户籍": "local", "本地户籍": "local", "户籍": "local", "local": "local",
                      "居住证": "resident", "常住外地户籍": "resident", "外省市户籍": "resident", "resident": "resident"}


def field_label(field: str) -> str:
    return {"name": _("姓名"), "id_number": _("身份证号"), "date": _("日期"), "registration": _("户籍类型")}[field]


def _parse_date(value: str):
    value = value.strip().replace("/", "-").replace(".", "-")
    if " " in value:
        value = value.split(" ")[0]
    return dt.date.fromisoformat(value)


def _auto_columns(header) -> dict:
    columns = {}
    for heading in header:
        field = CHECK_COLUMNS.get(heading.strip())
        if field in CHECK_FIELDS and field not in columns:
            columns[field] = heading.strip()
    return columns


def _check_rows(kind, table, columns, today):
    """Each data row checked: (row results for the preview, the valid rows as (line, name, facts, date, reg))."""
    header = [h.strip() for h in table[0]]
    index = {field: header.index(heading) for field, heading in columns.items() if heading in header}
    results, valid, seen = [], [], {}
    for number, row in enumerate(table[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        cell = {field: row[i].strip() for field, i in index.items()}
        entry = {"line": number, "name": cell.get("name", "")[:50], "id_masked": "", "date": "", "errors": [],
                 "outcome": "", "detail": ""}
        problems = entry["errors"]
        facts = when = registration = None
        try:
            facts = parse_id_number(cell.get("id_number", ""), today=today)
            entry["id_masked"] = mask_id_number(facts.number)
        except IdNumberError as error:
            problems.append(error.message)
        if not entry["name"]:
            problems.append(_("缺少姓名"))
        if "date" in REQUIRED_FIELDS[kind] or cell.get("date"):
            try:
                when = _parse_date(cell.get("date", ""))
                entry["date"] = when.isoformat()
            except ValueError:
                problems.append(_("日期“%(v)s”不是有效日期") % {"v": cell.get("date", "")[:20]})
            else:
                if when > today or (facts is not None and when < facts.birth_date):
                    problems.append(_("日期 %(d)s 不可能（晚于今天或早于出生日期）") % {"d": when})
        if cell.get("registration"):
            registration = REGISTRATION_WORDS.get(cell["registration"])
            if registration is None:
                problems.append(_("户籍类型“%(v)s”无法识别（本市户籍或居住证）") % {"v": cell["registration"][:20]})
        # A duplicate is a second good row of the same person (a bad row is reported for its own problem).
        if not problems and facts.number in seen:
            problems.append(_("与第 %(m)d 行是同一个身份证号") % {"m": seen[facts.number]})
        elif not problems:
            seen[facts.number] = number
        if not problems:
            valid.append((number, entry["name"], facts, when, registration))
        results.append(entry)
    return results, valid


def _predict(kind, region, valid, today):
    """Per valid row, what applying it would do: matched (and the status it changes), not found, conflicting,
    or (population data) eligible for the allowance and not enrolled."""
    from carecircle.core.sensitive import lookup_hash

    hashes = {lookup_hash(facts.number): row for row in valid for facts in [row[2]]}
    # Matched on the hash: nothing to decrypt, and only what the outcome and the change need.
    wanted = ["name", "birth_date", "status", "status_date", "registration", "id_number_hash", "community__path"]
    related = ["community"]
    if kind == CheckKind.POPULATION:
        wanted, related = wanted + ["allowance_enrolment__id"], related + ["allowance_enrolment"]
    found = (Elder.objects.filter(id_number_hash__in=RawSQL(*members(hashes, "text")))
             .exclude(status=ElderStatus.MERGED).select_related(*related).only(*wanted))
    elders = {e.id_number_hash: e for e in found}
    start_age, residence = None, ()
    if kind == CheckKind.POPULATION:
        bands = bands_from_table(policy_value("benefits.age_allowance.bands", region=region, on=today))
        residence = tuple(policy_value("benefits.age_allowance.residence", region=region, on=today))
        start_age = bands[0].min_age if bands else None
    outcomes = {}
    for key, (number, name, facts, when, registration) in hashes.items():
        elder = elders.get(key)
        inside = elder is not None and elder.community.path.startswith(region.path)
        if inside and (elder.name != name or elder.birth_date != facts.birth_date):
            outcomes[number] = (CheckOutcome.CONFLICT, elder,
                                _("档案姓名为“%(a)s”，文件为“%(b)s”；请核实后在档案中处理") % {"a": elder.name, "b": name})
            continue
        if kind == CheckKind.POPULATION:
            reg = registration or (elder.registration if inside else "local")
            enrolled = inside and getattr(elder, "allowance_enrolment", None) is not None
            eligible = (start_age is not None and age_in_month(facts.birth_date, month_of(today)) >= start_age
                        and reg in residence)
            if eligible and not enrolled:
                outcomes[number] = (CheckOutcome.ELIGIBLE, elder if inside else None,
                                    _("已达发放年龄，未纳入发放：请联系本人办理") if inside
                                    else _("已达发放年龄，本辖区档案中没有此人：请联系本人建档并办理"))
            else:
                outcomes[number] = (CheckOutcome.MATCHED if inside else CheckOutcome.NOT_FOUND,
                                    elder if inside else None, "")
            continue
        if not inside:
            outcomes[number] = (CheckOutcome.NOT_FOUND, None, _("本辖区档案中没有该身份证号的老人"))
        else:
            outcomes[number] = (CheckOutcome.MATCHED, elder, "")
    return outcomes


@transaction.atomic
def registry_check_preview(*, actor, region, kind: str, upload=None, check=None, columns: dict | None = None):
    """Reads a death / cremation, household-move or police population file (or re-reads a previewed one with
    other column choices) and checks every row without changing anything: the preview lists each row with its
    problems or what applying it would do. The rows are kept encrypted until the check is applied or discarded."""
    return _preview(actor=actor, region=region, kind=kind, upload=upload, check=check, columns=columns)[0]


def _preview(*, actor, region, kind, upload=None, check=None, columns=None, one_step=False):
    """The preview, and the checked rows behind it ((results, valid), None when a required column is missing).
    `one_step`: the file is applied in the same transaction, which matches its rows then and needs no copy of
    them kept for later."""
    _require(actor, "benefits.change")
    _require_visible(actor, region, action="change")
    if kind not in CheckKind.values:
        raise ValidationError({"kind": [_("请选择比对数据的类型")]})
    if check is None:
        table = [row for row in _read_table(upload) if any(cell.strip() for cell in row)]
        filename = getattr(upload, "name", "")[:255]
    else:
        if check.status != CheckStatus.PREVIEWED:
            raise IllegalStep(_("这份比对已经处理，不能再改列对应"))
        table, filename = json.loads(check.rows), check.filename
    if len(table) < 2:
        raise ValidationError({"file": [_("文件中没有数据行")]})
    header = [h.strip() for h in table[0]]
    chosen = dict(_auto_columns(header))
    for field, heading in (columns or {}).items():
        if field not in CHECK_FIELDS:
            continue
        if heading and heading not in header:
            raise ValidationError({"columns": [_("文件中没有“%(h)s”这一列") % {"h": heading}]})
        if heading:
            chosen[field] = heading
        else:
            chosen.pop(field, None)
    today = timezone.localdate()
    missing = [field_label(f) for f in REQUIRED_FIELDS[kind] if f not in chosen]
    results, valid = ([], []) if missing else _check_rows(kind, table, chosen, today)
    outcomes = _predict(kind, region, valid, today) if valid and not one_step else {}
    for entry in results:
        if entry["line"] in outcomes:
            outcome, _elder, detail = outcomes[entry["line"]]
            entry["outcome"], entry["detail"] = outcome, detail
    preview = {
        "header": header, "missing": missing,
        "ignored": [h for h in header if h not in chosen.values()],
        "rows": results, "total": len(table) - 1, "valid": len(valid), "invalid": len(results) - len(valid),
        "outcomes": {o: sum(1 for e in results if e["outcome"] == o) for o in CheckOutcome.values},
    }
    if check is None:
        check = RegistryCheck.objects.create(kind=kind, filename=filename, region=region, created_by=actor,
                                             status=CheckStatus.PREVIEWED, columns=chosen, preview=preview,
                                             rows="" if one_step else json.dumps(table, ensure_ascii=False))
    else:
        check.columns, check.preview = chosen, preview
        check.save(update_fields=["columns", "preview"])
    audit.record(actor=actor, action=AuditAction.CHECK_PREVIEW, subject=check,
                 changes={k: v for k, v in preview.items() if k not in ("rows", "header")})
    return check, (None if missing else (results, valid))


@transaction.atomic
def registry_check_apply(*, actor, check, mode: str = "all_or_nothing") -> RegistryCheck:
    """Applies a previewed check: `all_or_nothing` refuses a file with any bad row (listing each), `valid_rows`
    applies the good rows and reports the others. Matched deaths and moves change the elder's status (which stops
    the allowance from the next month); rows not on the register, disagreeing with it, or (population data)
    eligible and not enrolled become findings for a person to resolve."""
    _require(actor, "benefits.change")
    _require_visible(actor, check, action="change")
    if mode not in ("all_or_nothing", "valid_rows"):
        raise ValidationError({"mode": [_("请选择导入方式")]})
    check = RegistryCheck.objects.select_for_update().get(pk=check.pk)
    if check.status != CheckStatus.PREVIEWED:
        raise IllegalStep(_("这份比对已经处理过了"))
    missing = [field_label(f) for f in REQUIRED_FIELDS[check.kind] if f not in check.columns]
    if missing:
        raise ValidationError({"file": [_("缺少列：%(cols)s") % {"cols": "、".join(missing)}]})
    checked = _check_rows(check.kind, json.loads(check.rows), check.columns, timezone.localdate())
    return _apply_checked(actor=actor, check=check, checked=checked, mode=mode)


def _apply_checked(*, actor, check, checked, mode) -> RegistryCheck:
    """`registry_check_apply` once the rows are checked: `checked` is `_check_rows`' (results, valid)."""
    from carecircle.elders.services import elders_record_departures

    region, kind, today = check.region, check.kind, timezone.localdate()
    results, valid = checked
    bad = [entry for entry in results if entry["errors"]]
    if bad and mode == "all_or_nothing":
        raise ValidationError({"file": [_("第 %(n)d 行：%(e)s") % {"n": e["line"], "e": "；".join(e["errors"])}
                                        for e in bad]})
    outcomes = _predict(kind, region, valid, today) if valid else {}
    summary = {"rows": len(valid), "skipped": len(bad), "matched": 0, "not_found": 0, "conflict": 0, "eligible": 0,
               "applied": 0}
    status = ElderStatus.DECEASED if kind == CheckKind.DEATH else ElderStatus.MOVED_OUT
    findings, changes = [], []
    reason_text = (_("死亡信息比对（%(file)s 第 %(n)d 行）") if kind == CheckKind.DEATH
                   else _("户籍迁出信息比对（%(file)s 第 %(n)d 行）"))
    for number, name, facts, when, _registration in valid:
        outcome, elder, detail = outcomes[number]
        summary[outcome] += 1
        if outcome != CheckOutcome.MATCHED:
            findings.append(RegistryFinding(check_run=check, elder=elder,
                                            region=elder.community if elder is not None else region,
                                            outcome=outcome, row_number=number, name=name[:50], event_date=when,
                                            detail=detail[:300]))
            continue
        if kind != CheckKind.POPULATION and elder.status == ElderStatus.ACTIVE:
            reason = reason_text % {"file": check.filename, "n": number}
            changes.append((elder, status, when, reason))
    if changes:
        # The register changes in bulk (its outbox events reach the other apps after commit); the allowance
        # stops here at once as well (the event that follows finds it done), so a run made right after the
        # import already leaves these elders out.
        elders_record_departures(actor=actor, changes=changes)
        enrolments_stop_many(actor=actor, stops=[(elder, on, reason, status) for elder, status, on, reason in changes])
        summary["applied"] = len(changes)
    RegistryFinding.objects.bulk_create(findings)
    check.summary, check.status, check.rows = summary, CheckStatus.APPLIED, ""
    check.save(update_fields=["summary", "status", "rows"])
    audit.record(actor=actor, action=AuditAction.CHECK_IMPORT, subject=check, changes={**summary, "mode": mode})
    return check


@transaction.atomic
def registry_check_discard(*, actor, check) -> RegistryCheck:
    _require(actor, "benefits.change")
    _require_visible(actor, check, action="change")
    check = RegistryCheck.objects.select_for_update().get(pk=check.pk)
    if check.status != CheckStatus.PREVIEWED:
        raise IllegalStep(_("这份比对已经处理过了"))
    check.status, check.rows = CheckStatus.DISCARDED, ""
    check.save(update_fields=["status", "rows"])
    audit.record(actor=actor, action=AuditAction.CHECK_DISCARD, subject=check)
    return check


def registry_check_import(*, actor, region, kind: str, upload) -> RegistryCheck:
    """Preview and apply in one step, all or nothing (the benchmark and the demo use it): any bad row refuses the
    whole file, listing each."""
    with transaction.atomic():
        # Read and checked once: the rows go straight from the preview to the apply step.
        check, checked = _preview(actor=actor, region=region, kind=kind, upload=upload, one_step=True)
        if checked is None:
            raise ValidationError({"file": [_("缺少列：%(cols)s") % {"cols": "、".join(check.preview["missing"])}]})
        return _apply_checked(actor=actor, check=check, checked=checked, mode="all_or_nothing")


@transaction.atomic
def finding_resolve(*, actor, finding, resolution: str) -> RegistryFinding:
    _require(actor, "benefits.change")
    _require_visible(actor, finding, action="change")
    finding = RegistryFinding.objects.select_for_update().get(pk=finding.pk)
    resolution = (resolution or "").strip()
    if len(resolution) < 2:
        raise ValidationError({"resolution": [_("请写明如何处理（至少 2 个字）")]})
    if finding.resolved:
        raise IllegalStep(_("该差异已处理"))
    finding.resolved, finding.resolution = True, resolution[:200]
    finding.save(update_fields=["resolved", "resolution"])
    audit.record(actor=actor, action=AuditAction.FINDING_RESOLVE, subject=finding, reason=resolution)
    return finding


# --- the budget line --------------------------------------------------------------------------------------------

@transaction.atomic
def budget_line_set(*, actor, region, year: int, amount, source: str) -> "BudgetLine":
    """The district's allowance budget for a year (set again: the new amount, audited with the old)."""
    from .models import BudgetLine

    _require(actor, "benefits.approve")
    _require_visible(actor, region, action="change")
    errors = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [_("年度须为 2000 至 2100 之间的年份")]
    try:
        value = Decimal(str(amount).strip())
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value >= 10 ** 13:
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["amount"] = [_("预算金额须为不小于 0、最多两位小数的数字")]
    source = (source or "").strip()
    if not source:
        errors["source"] = [_("请填写预算的依据（如预算批复文号）")]
    if errors:
        raise ValidationError(errors)
    line = BudgetLine.objects.select_for_update().filter(region=region, year=year).first()
    old = str(line.amount) if line else None
    if line is None:
        line = BudgetLine(region=region, year=year)
    line.amount, line.source, line.updated_by = value, source[:200], actor
    line.save()
    audit.record(actor=actor, action=AuditAction.BUDGET_SET, subject=line, reason=source,
                 changes={"amount": [old, str(value)]})
    return line
