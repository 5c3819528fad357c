"""Valuing a month's visits, set-based: the policy in force is read once in Python into small tables (prices,
shares, caps, budgets, with the rules behind each), and the database values every visit item against them in one
statement into a scratch table, whose rows the run then turns into held visits, claims and lines.

The arithmetic is `carecircle.engines.settlement` done in SQL: whole fen, shares in basis points, half-up at the
line amount, then the fund part, then the subsidy part; the self-pay is the rest. The same code serves the real
run and the policy simulation (which reads the same visits with other values and writes nothing that lasts).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection

from carecircle.catalog.models import ContractPrice, ServiceItem
from carecircle.catalog.selectors import rule_record
from carecircle.catalog.selectors import read_policy
from carecircle.catalog.services import item_unit_price, subsidy_terms
from carecircle.core import sql
from carecircle.core.models import PolicyParameter
from carecircle.core.policy import parameter_in_force
from carecircle.elders.models import EconomicCategory
from carecircle.engines.funding import Rule
from carecircle.engines.settlement import to_bp, to_fen
from carecircle.regions.models import Region, RegionKind
from carecircle.workorders.models import WorkOrder, WorkOrderItem

SCRATCH = "billing_scratch"
# The work orders keep the table names they had in the care-plans app.
WORK_ORDERS = WorkOrder._meta.db_table
WORK_ORDER_ITEMS = WorkOrderItem._meta.db_table
LEVELS = range(0, 7)  # 0: no care level in force
POLICY_KEYS = (
    "ltci.eligible_levels", "ltci.home.weekly_hours_cap", "ltci.home.fund_share", "catalog.price.item",
    "catalog.price.hourly_by_qualification", "gov_purchase.subsidy_share", "gov_purchase.monthly_budget",
    "benefits.care_subsidy.monthly.min_living", "benefits.care_subsidy.monthly.low_income",
)


@dataclass
class Overrides:
    """Values that replace the policy in a simulation: the home-care fund share, the weekly hours by level."""

    fund_share: Decimal | None = None
    weekly_hours: dict = field(default_factory=dict)  # level (int) -> hours

    def __bool__(self):
        return self.fund_share is not None or bool(self.weekly_hours)


@dataclass
class Window:
    region: Region  # the district
    start: dt.date  # first day of the month
    end: dt.date  # last day of the month
    earliest: dt.date = None  # the earliest visit date valued (held visits of earlier months)

    def __post_init__(self):
        self.earliest = self.earliest or self.start


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- the policy tables

class BasisBook:
    """The distinct rule lists of a run, numbered; the caller stores them as Basis rows and maps the numbers."""

    def __init__(self):
        self.rules: list[list[dict]] = []
        self._index: dict[str, int] = {}

    def number(self, rules: list[Rule]) -> int:
        records = [rule_record(rule) for rule in rules]
        key = repr(records)
        if key not in self._index:
            self._index[key] = len(self.rules)
            self.rules.append(records)
        return self._index[key]


def _communities(region: Region) -> list[Region]:
    return list(Region.objects.filter(path__startswith=region.path, kind=RegionKind.COMMUNITY).order_by("path"))


def _periods(region: Region, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The stretches of [start, end] over which no policy value of the valuation and no contract price changes."""
    cuts = set(PolicyParameter.objects.filter(key__in=POLICY_KEYS, effective_from__gt=start, effective_from__lte=end)
               .values_list("effective_from", flat=True))
    for since, until in ContractPrice.objects.filter(effective_from__lte=end).values_list("effective_from",
                                                                                          "effective_until"):
        if start < since <= end:
            cuts.add(since)
        if until is not None and start <= until < end:
            cuts.add(until + dt.timedelta(days=1))
    days = sorted({start, *cuts})
    return [(day, (days[i + 1] - dt.timedelta(days=1)) if i + 1 < len(days) else end) for i, day in enumerate(days)]


def _zone_key(community: Region, on: dt.date) -> tuple:
    """Communities whose policy rows in force are the same rows value alike (most share the district's)."""
    return tuple(getattr(parameter_in_force(key, region=community, on=on), "pk", None) for key in POLICY_KEYS)


@dataclass
class Tables:
    items: list  # (item_id, is_ltci, is_gov)
    zones: list  # (community_id, zone)
    zone_prices: list  # (zone, item_id, p0, p1, price_fen, basis)
    contract_prices: list  # (org_id, item_id, p0, p1, price_fen, basis)
    shares: list  # (zone, p0, p1, level, category, fund_bp, cap_minutes, sub_bp, budget_fen, basis)
    book: BasisBook


def policy_tables(window: Window, *, overrides: Overrides | None = None) -> Tables:
    overrides = overrides or Overrides()
    book = BasisBook()
    items = list(ServiceItem.objects.all())
    item_rows = [(item.pk, "ltci" in item.programme_tags, "gov_purchase" in item.programme_tags) for item in items]
    communities = _communities(window.region)
    periods = _periods(window.region, window.earliest, window.end)
    zones, zone_rows, zone_prices, shares = {}, [], [], []
    for index, (p0, p1) in enumerate(periods):
        for community in communities:
            key = (index, _zone_key(community, p0))
            if key not in zones:
                zones[key] = (len(zones) + 1, community)
            if index == 0:
                zone_rows.append((community.pk, zones[key][0]))
    # A community's zone is the one of the first period; a later period's values are read for the same community.
    representative = {}
    for (index, _key), (zone, community) in zones.items():
        if index == 0:
            representative[zone] = community
    for zone, community in representative.items():
        for p0, p1 in periods:
            for item in items:
                try:
                    price, rule = item_unit_price(item, region=community, on=p0, provider=None)
                except ValidationError:
                    continue
                zone_prices.append((zone, item.pk, p0, p1, to_fen(price), book.number([rule])))
            policy = {key: read_policy(key, region=community, on=p0, required=False) for key in POLICY_KEYS}
            eligible = set(policy["ltci.eligible_levels"].value) if policy["ltci.eligible_levels"] else set()
            caps = policy["ltci.home.weekly_hours_cap"].value if policy["ltci.home.weekly_hours_cap"] else {}
            fund = policy["ltci.home.fund_share"]
            for level in LEVELS:
                fund_bp, cap, fund_rules = None, None, []
                if level in eligible and fund is not None and str(level) in caps:
                    share = overrides.fund_share if overrides.fund_share is not None else fund.value
                    fund_bp = to_bp(share)
                    hours = overrides.weekly_hours.get(level, caps[str(level)])
                    cap = int(Decimal(str(hours)) * 60)
                    fund_rules = [Rule("fund.share", {"share": share, "key": fund.key, "region": fund.region_name,
                                                      "since": fund.since.isoformat()}),
                                  Rule("entitlement.weekly_cap", {"level": level, "hours": hours})]
                for category in EconomicCategory.values:
                    sub_bp, budget_fen, sub_rules = _subsidy(community, p0, category, level or None)
                    shares.append((zone, p0, p1, level, category, fund_bp, cap, sub_bp, budget_fen,
                                   book.number([*fund_rules, *sub_rules])))
    contract_rows = []
    district_orgs = ContractPrice.objects.filter(effective_from__lte=window.end).select_related("organisation")
    for price in district_orgs:
        p0 = max(price.effective_from, window.earliest)
        p1 = min(price.effective_until or window.end, window.end)
        if p1 < p0:
            continue
        rule = Rule("price.contract", {"price": price.unit_price, "provider": price.organisation.name,
                                       "since": price.effective_from.isoformat()})
        contract_rows.append((price.organisation_id, price.item_id, p0, p1, to_fen(price.unit_price),
                              book.number([rule])))
    # The newest contract price wins where two overlap (as `contract_price_in_force`): later rows first.
    contract_rows.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
    return Tables(item_rows, zone_rows, zone_prices, _latest_only(contract_rows), shares, book)


def _latest_only(rows):
    """Of contract prices overlapping for one provider and item, each day keeps the newest (latest start)."""
    kept, seen = [], {}
    for row in rows:
        org, item, p0, p1 = row[:4]
        later_start = seen.get((org, item))
        if later_start is not None:
            p1 = min(p1, later_start - dt.timedelta(days=1))
        if p1 >= p0:
            kept.append((org, item, p0, p1, *row[4:]))
        seen[(org, item)] = p0 if later_start is None else min(later_start, p0)
    return kept


def _subsidy(community, on, category, level):
    """(share in basis points or None, monthly budget in fen or None, rules): the government-purchase subsidy of
    the elder's own part, exactly as the quote reads it."""
    share, budget, rules = subsidy_terms(category, region=community, on=on, care_level=level)
    if share is None:
        return None, None, rules
    return to_bp(share), to_fen(budget), rules


# --------------------------------------------------------------------------------------------- the scratch table

def _candidates_sql(window: Window, *, include_claimed: bool) -> tuple[str, list]:
    """The visits to value: the month's visits of plan work orders of the district's elders, and earlier visits
    held in an earlier run; those already on a claim line are left out (unless a simulation revalues all)."""
    not_claimed = "" if include_claimed else (
        " AND NOT EXISTS (SELECT 1 FROM billing_claimline l WHERE l.kind = 'visit' AND l.visit_id = v.id "
        "AND l.visit_date = v.date)")
    select = (
        "SELECT v.id AS visit_id, v.date AS visit_date, v.status AS v_status, v.work_order_id, "
        "v.organisation_id AS org_id, v.elder_id, v.checked_in_at, wo.duration_minutes AS minutes, "
        "COALESCE(pv.funding, 'plan') AS funding, COALESCE(cp.programme, 'ltci') AS programme, "
        "e.community_id, e.economic_category AS category, "
        "CASE WHEN e.status = 'deceased' THEN e.status_date END AS died_on, "
        "(SELECT cl.level FROM assessment_carelevel cl WHERE cl.elder_id = v.elder_id AND cl.programme = 'ltci' "
        "AND cl.valid_from <= v.date AND (cl.valid_until IS NULL OR cl.valid_until >= v.date) "
        "ORDER BY cl.valid_from DESC, cl.id DESC LIMIT 1) AS level "
        f"FROM visits_visit v JOIN {WORK_ORDERS} wo ON wo.id = v.work_order_id "
        "LEFT JOIN careplans_planvisit pv ON pv.id = wo.plan_visit_id "
        "LEFT JOIN careplans_careplan cp ON cp.id = pv.plan_id "
        "JOIN elders_elder e ON e.id = v.elder_id "
        "WHERE wo.source = 'plan' AND v.status IN ('verified', 'held', 'checked_out') "
        "AND e.community_id IN (SELECT id FROM regions_region WHERE path LIKE %s ESCAPE '\\')")
    prefix = sql.like_prefix(window.region.path)
    in_month = f"{select} AND v.date >= %s AND v.date <= %s{not_claimed}"
    params = [prefix, window.start, window.end]
    if include_claimed or window.earliest >= window.start:
        return in_month, params
    earlier = (f"{select} AND v.date >= %s AND v.date < %s AND EXISTS (SELECT 1 FROM billing_heldvisit h "
               "JOIN billing_settlementrun r ON r.id = h.run_id WHERE h.visit_id = v.id AND h.visit_date = v.date "
               f"AND r.region_id = %s AND h.reason IN ('open_exception', 'not_verified')){not_claimed}")
    return (f"{in_month} UNION ALL {earlier}",
            [*params, prefix, window.earliest, window.start, window.region.pk])


def earliest_held(region, start: dt.date) -> dt.date:
    """The earliest visit held in an earlier run that may now be paid (a later run takes it up)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(h.visit_date) FROM billing_heldvisit h JOIN billing_settlementrun r ON r.id = h.run_id "
            "WHERE r.region_id = %s AND h.visit_date < %s AND h.reason IN ('open_exception', 'not_verified') "
            "AND NOT EXISTS (SELECT 1 FROM billing_claimline l WHERE l.kind = 'visit' AND l.visit_id = h.visit_id "
            "AND l.visit_date = h.visit_date)", [region.pk, start])
        value = cursor.fetchone()[0]
    if value is None:
        return start
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def build_scratch(window: Window, tables: Tables, *, include_claimed: bool = False) -> None:
    """Fills the scratch table: one row per visit item to pay (hold NULL) and one per item of a visit that is held
    (hold naming why), with its price, amount and the fund share, subsidy share and budget that apply to it."""
    item_values, item_params = sql.values(tables.items, ("bigint", "boolean", "boolean"), empty=(-1, False, False))
    zone_values, zone_params = sql.values(tables.zones, ("bigint", "bigint"), empty=(-1, -1))
    zp_values, zp_params = sql.values(tables.zone_prices, ("bigint", "bigint", "date", "date", "bigint", "bigint"),
                                      empty=(-1, -1, dt.date.min, dt.date.min, 0, -1))
    cp_values, cp_params = sql.values(tables.contract_prices,
                                      ("bigint", "bigint", "date", "date", "bigint", "bigint"),
                                      empty=(-1, -1, dt.date.min, dt.date.min, 0, -1))
    share_values, share_params = sql.values(
        tables.shares, ("bigint", "date", "date", "bigint", "text", "bigint", "bigint", "bigint", "bigint", "bigint"),
        empty=(-1, dt.date.min, dt.date.min, -1, "", None, None, None, None, -1))
    candidates, candidate_params = _candidates_sql(window, include_claimed=include_claimed)
    week = sql.week_start("c.visit_date")
    prior = "" if include_claimed else (
        # Minutes of the same weeks already paid within the entitlement in an earlier run count first.
        ", prior AS (SELECT p.elder_id, p.week, SUM(p.minutes) AS minutes FROM (SELECT DISTINCT l.visit_id, "
        f"l.visit_date, l.elder_id, {sql.week_start('l.visit_date')} AS week, wo.duration_minutes AS minutes "
        f"FROM billing_claimline l JOIN {WORK_ORDERS} wo ON wo.id = l.work_order_id "
        "WHERE l.kind = 'visit' AND l.status = 'counted' AND l.fund_share IS NOT NULL "
        "AND l.visit_date >= %s AND l.visit_date <= %s) p GROUP BY p.elder_id, p.week)")
    prior_params = [] if include_claimed else [window.earliest - dt.timedelta(days=6), window.end]
    prior_join = "" if include_claimed else " LEFT JOIN prior ON prior.elder_id = c.elder_id AND prior.week = c.week"
    prior_minutes = "0" if include_claimed else "COALESCE(prior.minutes, 0)"
    used = sql.fen("o.subsidy")
    line_used = sql.fen("l.subsidy")
    used_cte = (
        # The month's subsidy budget already taken: delivered orders, and lines paid in an earlier run.
        f", used AS (SELECT u.elder_id, u.m, SUM(u.f) AS f FROM (SELECT o.elder_id, {sql.month_start('o.service_date')} "
        f"AS m, {used} AS f FROM careplans_serviceorder o WHERE o.status = 'done' AND o.service_date >= %s "
        "AND o.service_date <= %s" + ("" if include_claimed else
                                      f" UNION ALL SELECT l.elder_id, {sql.month_start('l.visit_date')} AS m, "
                                      f"{line_used} AS f FROM billing_claimline l WHERE l.kind IN ('visit', "
                                      "'correction') AND l.status = 'counted' AND l.visit_date >= %s "
                                      "AND l.visit_date <= %s") + ") u GROUP BY u.elder_id, u.m)")
    used_params = [window.earliest, window.end] + ([] if include_claimed else [window.earliest, window.end])
    fundable = "(s.programme = 'ltci' AND s.funding = 'plan')"
    statement = (
        f"CREATE TEMP TABLE {SCRATCH} AS "
        f"WITH items (item_id, is_ltci, is_gov) AS ({item_values}), "
        f"zones (community_id, zone) AS ({zone_values}), "
        f"zprice (zone, item_id, p0, p1, price_fen, basis) AS ({zp_values}), "
        f"cprice (org_id, item_id, p0, p1, price_fen, basis) AS ({cp_values}), "
        "shares (zone, p0, p1, level, category, fund_bp, cap_minutes, sub_bp, budget_fen, basis) "
        f"AS ({share_values}), "
        f"cand AS ({candidates}), "
        f"valued AS (SELECT c.*, {week} AS week, z.zone, sh.fund_bp, sh.cap_minutes, sh.sub_bp, sh.budget_fen, "
        "sh.basis AS split_basis, "
        "CASE WHEN c.v_status = 'verified' AND c.programme = 'ltci' AND c.funding = 'plan' "
        "AND sh.fund_bp IS NOT NULL THEN 1 ELSE 0 END AS counts "
        "FROM cand c JOIN zones z ON z.community_id = c.community_id "
        "LEFT JOIN shares sh ON sh.zone = z.zone AND c.visit_date >= sh.p0 AND c.visit_date <= sh.p1 "
        "AND sh.level = COALESCE(c.level, 0) AND sh.category = c.category)"
        f"{prior}{used_cte}, "
        "capped AS (SELECT c.*, CASE WHEN c.counts = 1 THEN SUM(c.counts * c.minutes) OVER (PARTITION BY c.elder_id, "
        f"c.week ORDER BY c.visit_date, c.checked_in_at, c.visit_id ROWS UNBOUNDED PRECEDING) + {prior_minutes} "
        f"END AS week_minutes FROM valued c{prior_join}), "
        "decided AS (SELECT s.*, CASE "
        "WHEN s.v_status = 'held' THEN 'open_exception' WHEN s.v_status <> 'verified' THEN 'not_verified' "
        "WHEN s.died_on IS NOT NULL AND s.visit_date > s.died_on THEN 'after_death' "
        f"WHEN {fundable} AND s.fund_bp IS NULL THEN 'no_entitlement' "
        "WHEN s.counts = 1 AND s.week_minutes > s.cap_minutes THEN 'beyond_cap' END AS hold FROM capped s) "
        "SELECT d.visit_id, d.visit_date, d.work_order_id, d.org_id, d.elder_id, d.community_id, d.programme, "
        "d.checked_in_at, d.hold, wi.item_id, wi.quantity, "
        f"{sql.fen('wi.quantity')} AS qty_centi, "
        "COALESCE(cp.price_fen, zp.price_fen) AS price_fen, COALESCE(cp.basis, zp.basis) AS price_basis, "
        f"CASE WHEN {fundable.replace('s.', 'd.')} AND it.is_ltci THEN d.fund_bp END AS fund_bp, "
        "CASE WHEN it.is_gov THEN d.sub_bp END AS sub_bp, d.budget_fen, d.split_basis, "
        f"CASE WHEN d.funding = 'self_pay' THEN 1 ELSE 0 END AS self_pay_confirmed, "
        f"{sql.month_start('d.visit_date')} AS m, COALESCE(u.f, 0) AS used_fen "
        f"FROM decided d LEFT JOIN {WORK_ORDER_ITEMS} wi ON wi.work_order_id = d.work_order_id "
        "LEFT JOIN visits_visititemresult r ON r.visit_id = d.visit_id AND r.visit_date = d.visit_date "
        "AND r.item_id = wi.item_id "
        "LEFT JOIN items it ON it.item_id = wi.item_id "
        "LEFT JOIN cprice cp ON cp.org_id = d.org_id AND cp.item_id = wi.item_id AND d.visit_date >= cp.p0 "
        "AND d.visit_date <= cp.p1 "
        "LEFT JOIN zprice zp ON zp.zone = d.zone AND zp.item_id = wi.item_id AND d.visit_date >= zp.p0 "
        "AND d.visit_date <= zp.p1 "
        f"LEFT JOIN used u ON u.elder_id = d.elder_id AND u.m = {sql.month_start('d.visit_date')} "
        "WHERE r.done IS NULL OR r.done = %s")
    params = [*item_params, *zone_params, *zp_params, *cp_params, *share_params, *candidate_params,
              *prior_params, *used_params, True]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        if sql.is_postgres():
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(statement, params)
        # A visit with an item that has no price is held whole; nothing of it is paid.
        cursor.execute(f"UPDATE {SCRATCH} SET hold = 'no_price' WHERE hold IS NULL AND visit_id IN "
                       f"(SELECT visit_id FROM {SCRATCH} WHERE hold IS NULL AND item_id IS NOT NULL "
                       "AND price_fen IS NULL)")
        # A verified visit whose items were all recorded as not done has nothing to pay and nothing to hold.
        cursor.execute(f"DELETE FROM {SCRATCH} WHERE hold IS NULL AND item_id IS NULL")
        if sql.is_postgres():
            cursor.execute(f"ANALYZE {SCRATCH}")


def drop_scratch() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def split_ctes() -> str:
    """Common table expressions over the scratch table's payable rows, ending in `split`: each row's amount, fund,
    subsidy wanted and granted (within the elder's monthly budget, taken in visit order) and self-pay, in fen."""
    return (
        "priced AS (SELECT s.*, (s.price_fen * s.qty_centi + 50) / 100 AS amount_fen FROM "
        f"{SCRATCH} s WHERE s.hold IS NULL), "
        "funded AS (SELECT p.*, CASE WHEN p.fund_bp IS NULL THEN 0 ELSE (p.amount_fen * p.fund_bp + 5000) / 10000 "
        "END AS fund_fen FROM priced p), "
        "wanting AS (SELECT f.*, CASE WHEN f.sub_bp IS NULL OR f.budget_fen IS NULL THEN 0 "
        "ELSE ((f.amount_fen - f.fund_fen) * f.sub_bp + 5000) / 10000 END AS wanted_fen FROM funded f), "
        "running AS (SELECT w.*, w.budget_fen - w.used_fen - (SUM(w.wanted_fen) OVER (PARTITION BY w.elder_id, w.m "
        "ORDER BY w.visit_date, w.checked_in_at, w.visit_id, w.item_id ROWS UNBOUNDED PRECEDING) - w.wanted_fen) "
        "AS left_fen FROM wanting w), "
        "split AS (SELECT r.*, CASE WHEN r.wanted_fen = 0 OR r.left_fen <= 0 THEN 0 WHEN r.left_fen < r.wanted_fen "
        "THEN r.left_fen ELSE r.wanted_fen END AS sub_fen FROM running r)")
