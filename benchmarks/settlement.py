"""Monthly settlement of verified visits at scale:
`.venv/bin/python benchmarks/settlement.py [--visits N] [--database URL] [--rebuild] [--skip-build]`.

Builds its own PostgreSQL database (default postgres://postgres@127.0.0.1:5432/carecircle_bench_settlement,
created when missing; never DATABASE_URL, so a development database is never emptied), migrated, with the
policy parameters and the service catalogue seeded as the product seeds them (`policy_parameters_seed`,
`catalogue_seed`), then loads by COPY, in one transaction with every constraint checked:

* one district of 13 streets and 260 communities, 30 home-care providers (each serving its communities, with a
  contract, a few contract prices and its caregivers and nurses with their certificates);
* about N / 23.5 elders (40,000 or so for a million visits; economic categories mostly general, some minimum
  living allowance, low income, near poverty, extreme poverty), each with an LTCI care level (levels 1 to 6,
  mostly 2 to 6; level 1 is not eligible and has no plan); 2 % of the eligible change level on 15 November 2026
  (the level and the plan in force end on the 14th, a new plan replaces the old one);
* one active LTCI care plan per eligible elder with its weekly visits as the entitlement allows (visits per
  week and hours per visit read from the seeded policy), plus self-paid weekly visits beyond it (about 5 %);
  each plan visit is billed as the hourly LTCI item (`ltci-home-hour`, or `ltci-nursing-hour` for a nurse)
  for its duration, and half of them also list one LTCI task item;
* for November 2026 exactly N work orders made from the plans (status done, the plan visit's items) and one
  visit each: verified (checked in and out, confirmed with the PIN, verified), or, for 1 % of them, held with an
  open exception on a late start; one item result per work-order item.

The data is kept and reused (`--rebuild` drops the database and builds it again; `--skip-build` does not
look at the data at all, it only migrates). Then, each once:

a. a bare GROUP BY over the same rows (one SQL statement: visits of the month × work orders × their items,
   counted and summed by provider and item);
b. `carecircle settle --month 2026-11 --json` as a subprocess, from an empty billing (its tables emptied first);
c. the same command again: the closed month made again must answer the same JSON and change no claim line;
d. b / a, against the goal: ≤ 60 s, ≤ 3 × the bare GROUP BY; the re-run ≤ 60 s and changing nothing.

Steps b and c are skipped, saying so, when the `settle` command does not exist. Writes
docs/benchmarks-settlement.md (with the machine, PostgreSQL's version, the load average before each step).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from allowance_run import NAMES, _elder_row  # noqa: E402  (the same register rows as the allowance run)

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks-settlement.md"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/carecircle_bench_settlement"

MONTH = dt.date(2026, 11, 1)
NEXT_MONTH = dt.date(2026, 12, 1)
CHANGE_DAY = dt.date(2026, 11, 15)  # the level changes of 2 % of the elders take effect on this day
DAYS = [MONTH + dt.timedelta(days=d) for d in range((NEXT_MONTH - MONTH).days)]
ORGANISATIONS = 30
LEVEL_WEIGHTS = ((1, 2), (2, 14), (3, 16), (4, 22), (5, 24), (6, 22))
ECONOMIC_WEIGHTS = (("general", 85), ("min_living", 7), ("low_income", 5), ("near_poverty", 2),
                    ("extreme_poverty", 1))
LEVEL_CHANGE_SHARE = 0.02
SELF_PAY_SHARE = 0.05
HELD_PER_HUNDRED = 1
NURSING_SHARE = 0.08  # elders at level 4 or more whose visits need a registered nurse
VISITS_PER_CAREGIVER_DAY = 6
TZ = "+08"  # Asia/Shanghai, no daylight saving

GROUP_BY = ("SELECT wo.organisation_id, i.item_id, count(*), sum(i.quantity) FROM visits_visit v "
            "JOIN careplans_workorder wo ON wo.id = v.work_order_id "
            "JOIN careplans_workorderitem i ON i.work_order_id = wo.id "
            f"WHERE v.date >= '{MONTH}' AND v.date < '{NEXT_MONTH}' AND v.status = 'verified' GROUP BY 1, 2")


# --- the database -----------------------------------------------------------------------------------------------

def _admin(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def prepare_database(url: str, visits: int, rebuild: bool, skip_build: bool) -> str:
    """Create the database when missing; drop it first on --rebuild or when it holds another month's data
    (a build that failed leaves nothing, being one transaction). Returns "kept", "new" or "skipped"."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    if skip_build:
        if not exists:
            raise SystemExit(f"--skip-build: database {name} does not exist; run without it first")
        return "skipped"
    if exists and not rebuild:
        with psycopg.connect(url) as conn:
            built = conn.execute("SELECT to_regclass('visits_visit') IS NOT NULL").fetchone()[0] and conn.execute(
                "SELECT count(*) FROM visits_visit WHERE date >= %s AND date < %s", [MONTH, NEXT_MONTH]
            ).fetchone()[0]
        if built == visits:
            return "kept"
        print(f"database {name} holds {built or 0:,} visits of the month, not {visits:,}: building it again",
              flush=True)
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "new"


def configure(database: str):
    os.environ["DATABASE_URL"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = "carecircle.settings.dev"
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def regions():
    """City, district, 13 streets of 20 communities each (the allowance run's codes and names)."""
    from carecircle.regions.models import Region

    city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "kind": "city"})
    district, _ = Region.objects.get_or_create(code="310104", defaults={"name": "徐汇区", "kind": "district",
                                                                        "parent": city})
    communities = []
    for s in range(13):
        street, _ = Region.objects.get_or_create(code=f"310104{s + 1:03d}",
                                                 defaults={"name": f"街道{s + 1}", "kind": "street", "parent": district})
        for c in range(20):
            community, _ = Region.objects.get_or_create(code=f"{street.code}{c + 1:03d}",
                                                        defaults={"name": f"社区{s + 1}-{c + 1}", "kind": "community",
                                                                  "parent": street})
            communities.append(community.pk)
    return district, communities


def seed_reference_data() -> tuple[str, list[str]]:
    """Policy parameters and catalogue, by the product's own seeding services (values already there are kept).

    Should the shipped seed itself fail its validation, the rows that pass are seeded (by the same service) and the
    failure is returned for the report: (the error, the keys left out)."""
    from django.core.exceptions import ValidationError

    from carecircle.catalog.services import catalogue_seed
    from carecircle.core.policy import seed_values, validate_value
    from carecircle.core.policy_seed import policy_parameters_seed

    problem, left_out = "", []
    try:
        policy_parameters_seed()
    except ValidationError as error:
        problem = "; ".join(error.messages)
        rows = []
        for row in seed_values():
            try:
                validate_value(row["key"], row.get("value"))
            except ValidationError:
                left_out.append(row["key"])
                continue
            rows.append(row)
        policy_parameters_seed(raw_values=rows)
        print(f"the shipped policy seed fails its own validation ({problem}); seeded without {left_out}", flush=True)
    catalogue_seed()
    return problem, left_out


def ensure_partitions():
    """The month's partitions of the visit tables (the nightly task's function, from November 2026 on)."""
    from django.db import connection, transaction

    from carecircle.core.partitions import ensure_month_partitions, is_partitioned, partition_name

    from carecircle.visits.services import PARTITIONED

    for table, key in PARTITIONED:
        if is_partitioned(connection, table):
            with transaction.atomic():
                ensure_month_partitions(connection, table, key, first_month=MONTH)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partition_name("visits_visit", MONTH)])
        return cursor.fetchone()[0]


# --- the plan of the data ---------------------------------------------------------------------------------------

def _pick(rng, weights):
    total = sum(w for _v, w in weights)
    x = rng.random() * total
    for value, weight in weights:
        x -= weight
        if x < 0:
            return value
    return weights[-1][0]


def _days(weekday: int, start: dt.date, until: dt.date | None) -> list[int]:
    return [d for d, day in enumerate(DAYS)
            if day.weekday() == weekday and day >= start and (until is None or day <= until)]


def _weekdays(count: int, shift: int) -> list[int]:
    if count >= 7:
        return list(range(7))
    step = 7 / count
    return sorted({(int(k * step) + shift) % 7 for k in range(count)})


class Plan:
    """What the COPY passes write, decided once: elders, levels, plans, plan visits and their days."""

    def __init__(self, visits: int, district, communities, items: dict, seed: int = 2026):
        from carecircle.core.policy import policy_value

        rng = random.Random(seed)
        self.visits = visits
        per_week = {int(k): int(v) for k, v in policy_value("ltci.home.visits_per_week", region=district,
                                                             on=MONTH).items()}
        hours_per_visit = policy_value("ltci.home.hours_per_visit", region=district, on=MONTH)
        weekly_cap = {int(k): int(v) for k, v in policy_value("ltci.home.weekly_hours_cap", region=district,
                                                              on=MONTH).items()}
        eligible = {int(v) for v in policy_value("ltci.eligible_levels", region=district, on=MONTH)}
        self.minutes = int(round(float(hours_per_visit) * 60))
        self.home_hour, self.nursing_hour = items["ltci-home-hour"], items["ltci-nursing-hour"]
        basic = [pk for code, pk in sorted(items.items()) if code.startswith("ltci-b")]
        clinical = [pk for code, pk in sorted(items.items()) if code.startswith("ltci-c")]

        staff_total = max(2 * ORGANISATIONS, math.ceil(visits / len(DAYS) / VISITS_PER_CAREGIVER_DAY))
        self.staff_per_org = math.ceil(staff_total / ORGANISATIONS)
        self.nurses_per_org = max(1, self.staff_per_org // 10)
        self.communities = communities

        self.elders = []   # (id, community index, economic category)
        self.levels = []   # (elder id, level, valid_from, valid_until)
        self.plans = []    # (id, elder id, org index, level, valid_from, valid_until, status, replaces id)
        self.slots = []    # [plan visit id, plan id, elder id, org, caregiver, weekday, start, minutes, funding,
        #                     items, days, qualification]
        self.changers = 0
        funded = 0
        i = 0
        while funded < (1 - SELF_PAY_SHARE) * visits:
            elder = i + 1
            community = i % len(communities)
            org = community % ORGANISATIONS
            self.elders.append((elder, community, _pick(rng, ECONOMIC_WEIGHTS)))
            level = _pick(rng, LEVEL_WEIGHTS)
            since = dt.date(2025, 1, 1) + dt.timedelta(days=i % 640)  # plans from January 2025 to October 2026
            i += 1
            if level not in eligible:
                self.levels.append((elder, level, since, None))
                continue
            nursing = level >= 4 and rng.random() < NURSING_SHARE / 0.68
            staff_index = (elder * 7) % (self.nurses_per_org if nursing else self.staff_per_org - self.nurses_per_org)
            caregiver = org * self.staff_per_org + 1 + (staff_index if nursing else self.nurses_per_org + staff_index)
            start = 8 * 60 + (elder * 37 % 9) * 60
            periods = [(level, since, None)]
            if rng.random() < LEVEL_CHANGE_SHARE:
                new_level = level + 1 if level < 6 else level - 1
                periods = [(level, since, CHANGE_DAY - dt.timedelta(days=1)), (new_level, CHANGE_DAY, None)]
                self.changers += 1
            previous = None
            for k, (lvl, frm, until) in enumerate(periods):
                plan_id = len(self.plans) + 1
                self.levels.append((elder, lvl, frm - dt.timedelta(days=14) if k == 0 else frm, until))
                self.plans.append((plan_id, elder, org, lvl, frm, until, "superseded" if until else "active",
                                   previous, per_week[lvl], weekly_cap[lvl] * 60))
                previous = plan_id
                for weekday in _weekdays(per_week[lvl], elder % 2):
                    days = _days(weekday, frm, until)
                    funded += len(days)
                    self.slots.append(self._slot(rng, plan_id, elder, org, caregiver, weekday, start, self.minutes,
                                                 "plan", nursing, basic, clinical, days))
        # Self-paid visits beyond the entitlement, one weekly visit more per elder in turn, to exactly N.
        total = funded
        by_plan = {}
        for slot in self.slots:
            by_plan.setdefault(slot[1], []).append(slot)
        plans = [p for p in self.plans if p[6] == "active" and p[7] is None and by_plan.get(p[0])]
        rounds = 0
        while total < visits and plans:
            for pk, elder, org, _level, frm, until, *_rest in plans:
                if total >= visits:
                    break
                own = by_plan[pk]
                first = own[0]
                used = {s[5] for s in own}
                free = [w for w in range(7) if w not in used]
                weekday = free[(elder + rounds) % len(free)] if free else (elder + rounds) % 7
                start = first[6] if free else first[6] + 3 * 60
                minutes = 2 * self.minutes if elder % 4 == 0 else self.minutes
                days = _days(weekday, frm, until)[:visits - total]
                total += len(days)
                slot = self._slot(rng, pk, elder, org, first[4], weekday, start, minutes, "self_pay",
                                  first[11] == "registered_nurse", basic, clinical, days)
                self.slots.append(slot)
                own.append(slot)
            rounds += 1
        for n, slot in enumerate(self.slots, start=1):
            slot[0] = n
        self.self_paid = sum(len(s[10]) for s in self.slots if s[8] == "self_pay")

    def _slot(self, rng, plan_id, elder, org, caregiver, weekday, start, minutes, funding, nursing, basic, clinical,
              days):
        hourly = self.nursing_hour if nursing else self.home_hour
        lines = [(hourly, f"{minutes / 60:.2f}")]
        if rng.random() < 0.5:
            lines.append((rng.choice(clinical if nursing else basic), "1.00"))
        return [None, plan_id, elder, org, caregiver, weekday, start, minutes, funding, lines, days,
                "registered_nurse" if nursing else ""]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _held(work_order: int) -> bool:
    return (work_order * 2654435761 >> 7) % 100 < HELD_PER_HUNDRED


# --- the build --------------------------------------------------------------------------------------------------

def build(visits: int, district, communities) -> tuple[float, dict]:
    """Everything by COPY in one transaction, every constraint checked as each COPY ends."""
    from django.db import connection

    from carecircle.catalog.models import ServiceItem
    from carecircle.core.sensitive import encrypt, lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.names import pinyin_forms

    started = time.monotonic()
    items = dict(ServiceItem.objects.filter(code__startswith="ltci-").values_list("code", "pk"))
    plan = Plan(visits, district, communities, items)
    print(f"planned: {len(plan.elders):,} elders, {len(plan.plans):,} plans, {len(plan.slots):,} plan visits, "
          f"{visits:,} work orders ({time.monotonic() - started:.0f} s)", flush=True)
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.isoformat()
    pinyin = {name: pinyin_forms(name) for name in NAMES}
    raw = connection.connection
    raw.autocommit = False
    counts = {}

    def copy(cursor, table, columns, rows):
        t0 = time.monotonic()
        n = 0
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)
                n += 1
        counts[table] = n
        print(f"  {table}: {n:,} rows ({time.monotonic() - t0:.0f} s)", flush=True)

    with raw.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Providers, their communities, contracts and caregivers.
        copy(cursor, "providers_organisation", ("id", "name", "kind", "credit_code", "region_id", "address",
                                                "contact_name", "contact_phone", "is_active", "created_at"),
             ((o + 1, f"基准居家照护服务社{o + 1}", "home_care", f"91310104BENCH{o + 1:05d}", district.pk,
               "", "", "", True, now) for o in range(ORGANISATIONS)))
        copy(cursor, "providers_servicearea", ("organisation_id", "community_id", "since"),
             ((c % ORGANISATIONS + 1, community, dt.date(2024, 1, 1)) for c, community in enumerate(communities)))
        copy(cursor, "providers_contract", ("id", "organisation_id", "region_id", "number", "programme", "starts_on",
                                            "ends_on", "status", "note"),
             ((o + 1, o + 1, district.pk, f"XH-LTCI-2026-{o + 1:03d}", "ltci", dt.date(2026, 1, 1),
               dt.date(2026, 12, 31), "active", "") for o in range(ORGANISATIONS)))
        prices = [(o + 1, o + 1, plan.home_hour, "52.00") for o in range(0, ORGANISATIONS, 3)]
        prices += [(o + 1, o + 1, plan.nursing_hour, "80.00") for o in range(0, ORGANISATIONS, 5)]
        copy(cursor, "catalog_contractprice", ("organisation_id", "contract_id", "item_id", "unit_price",
                                               "effective_from", "note", "created_at"),
             ((org, contract, item, price, dt.date(2026, 1, 1), "协议价", now) for org, contract, item, price in prices))
        staff = []
        for o in range(ORGANISATIONS):
            for k in range(plan.staff_per_org):
                pk = o * plan.staff_per_org + k + 1
                gender = "F" if pk % 5 else "M"
                birth = dt.date(1968, 1, 1) + dt.timedelta(days=pk % 7000)
                number = make_id_number("310105", birth, pk, gender)
                staff.append((pk, o + 1, k < plan.nurses_per_org, gender, number))
        copy(cursor, "providers_staffmember", ("id", "organisation_id", "name", "gender", "id_number", "id_number_hash",
                                               "phone", "position", "dialects", "hired_on", "is_active"),
             ((pk, org, NAMES[pk % len(NAMES)], gender, encrypt(number), lookup_hash(number), "",
               "nurse" if nurse else "caregiver", "", dt.date(2020, 1, 1), True)
              for pk, org, nurse, gender, number in staff))
        grades = ("care_worker_5", "care_worker_5", "care_worker_4", "care_worker_4", "care_worker_3")
        copy(cursor, "providers_certificate", ("staff_id", "qualification", "number", "issued_on", "expires_on"),
             ((pk, "registered_nurse" if nurse else grades[pk % len(grades)], f"CERT-{pk:06d}", dt.date(2022, 1, 1),
               dt.date(2028, 12, 31)) for pk, _org, nurse, _g, _n in staff))
        # Elders and their care levels.
        columns = ("id", "name", "name_pinyin", "name_initials", "gender", "birth_date", "id_number", "id_number_hash",
                   "id_number_last4_hash", "phone", "phone_hash", "address", "household_type", "registration",
                   "economic_category", "has_disability_certificate", "disability_certificate_number",
                   "chronic_conditions", "status", "created_at", "updated_at", "community_id")

        def elders():
            for pk, _community, category in plan.elders:
                name, gender, birth, _number, cipher, hashed, last4, community = _elder_row(pk - 1, communities, now)
                full, initials = pinyin[name]
                yield (pk, name, full, initials, gender, birth, cipher, hashed, last4, "", "", "bench", "alone",
                       "local", category, False, "", "[]", "active", now, now, community)

        copy(cursor, "elders_elder", columns, elders())
        copy(cursor, "assessment_carelevel", ("elder_id", "programme", "level", "source", "external_source",
                                              "valid_from", "valid_until", "created_at"),
             ((elder, "ltci", level, "external", "市评估系统（基准数据）", frm, until, now)
              for elder, level, frm, until in plan.levels))
        # Plans and their weekly visits.
        copy(cursor, "careplans_careplan", ("id", "elder_id", "organisation_id", "programme", "care_level",
                                            "visits_per_week_entitled", "minutes_per_visit_entitled",
                                            "weekly_minutes_cap", "bonus_minutes_per_month", "entitlement_rules",
                                            "status", "valid_from", "valid_until", "stop_reason", "replaces_id",
                                            "preferred_gender", "dialect", "serve_on_holidays", "note", "created_at",
                                            "updated_at"),
             ((pk, elder, org + 1, "ltci", level, per_week, plan.minutes, cap, 0, "[]", status, frm, until, "",
               replaces, "", "", False, "", now, now)
              for pk, elder, org, level, frm, until, status, replaces, per_week, cap in plan.plans))
        copy(cursor, "careplans_planvisit", ("id", "plan_id", "weekday", "window_start", "window_end", "fixed_time",
                                             "duration_minutes", "funding"),
             ((s[0], s[1], s[5], _hhmm(s[6]), _hhmm(s[6] + 120), False, s[7], s[8]) for s in plan.slots))
        copy(cursor, "careplans_planvisititem", ("visit_id", "item_id", "quantity"),
             ((s[0], item, quantity) for s in plan.slots for item, quantity in s[9]))

        # The month: one work order per plan visit and day, numbered in this order by every pass below.
        def occurrences():
            n = 0
            for s in plan.slots:
                for d in s[10]:
                    n += 1
                    yield n, s, d

        day_text = [day.isoformat() for day in DAYS]
        copy(cursor, "careplans_workorder", ("id", "organisation_id", "elder_id", "date", "window_start", "window_end",
                                             "fixed_time", "duration_minutes", "required_qualification",
                                             "preferred_gender", "dialect", "priority", "source", "plan_visit_id",
                                             "status", "suppressed_reason", "caregiver_id", "planned_start",
                                             "created_at", "updated_at"),
             ((n, s[3] + 1, s[2], day_text[d], _hhmm(s[6]), _hhmm(s[6] + 120), False, s[7], s[11], "", "", 0, "plan",
               s[0], "done", "", s[4], f"{day_text[d]} {_hhmm(s[6])}{TZ}", stamp, stamp)
              for n, s, d in occurrences()))
        copy(cursor, "careplans_workorderitem", ("work_order_id", "item_id", "quantity"),
             ((n, item, quantity) for n, s, d in occurrences() for item, quantity in s[9]))

        def visit_rows():
            for n, s, d in occurrences():
                day = day_text[d]
                held = _held(n)
                arrive = s[6] + (40 if held else (n % 15) - 5)
                leave = arrive + s[7]
                lat = f"31.{170000 + (s[2] * 97) % 30000:06d}"
                lng = f"121.{420000 + (s[2] * 89) % 40000:06d}"
                checked_in = f"{day} {_hhmm(arrive)}{TZ}"
                checked_out = f"{day} {_hhmm(leave)}{TZ}"
                verified = None if held else f"{day} {_hhmm(leave + 120)}{TZ}"
                yield (n, n, s[3] + 1, s[2], s[4], day, "held" if held else "verified", checked_in, lat, lng,
                       checked_out, lat, lng, f"{day} {_hhmm(leave - 1)}{TZ}", "pin", not held, verified,
                       checked_in, verified or checked_out)

        copy(cursor, "visits_visit", ("id", "work_order_id", "organisation_id", "elder_id", "caregiver_id", "date",
                                      "status", "checked_in_at", "checked_in_lat", "checked_in_lng", "checked_out_at",
                                      "checked_out_lat", "checked_out_lng", "confirmed_at", "confirm_method",
                                      "on_time", "verified_at", "created_at", "updated_at"), visit_rows())
        copy(cursor, "visits_visititemresult", ("visit_id", "visit_date", "item_id", "done", "note", "vitals",
                                                "recorded_at"),
             ((n, day_text[d], item, True, "", "{}", f"{day_text[d]} {_hhmm(s[6] + 60)}{TZ}")
              for n, s, d in occurrences() for item, _quantity in s[9]))
        held = [(n, s, d) for n, s, d in occurrences() if _held(n)]
        copy(cursor, "visits_visitflag", ("id", "visit_id", "visit_date", "rule", "action", "measured", "threshold",
                                          "facts", "reason", "created_at"),
             ((k, n, day_text[d], "late_start", "review", "40", "15", json.dumps({"late_minutes": 40}),
               "路上堵车", f"{day_text[d]} {_hhmm(s[6] + 40)}{TZ}") for k, (n, s, d) in enumerate(held, start=1)))
        copy(cursor, "visits_visitexception", ("visit_id", "visit_date", "flag_id", "status", "reason_code",
                                               "reason_text", "resolution_code", "resolution_note", "opened_at"),
             ((n, day_text[d], k, "open", "traffic", "路上堵车，迟到 40 分钟", "", "",
               f"{day_text[d]} {_hhmm(s[6] + 40)}{TZ}") for k, (n, s, d) in enumerate(held, start=1)))
        # Explicit ids were given: every identity goes on after the rows loaded.
        for table in ("providers_organisation", "providers_contract", "providers_staffmember", "elders_elder",
                      "careplans_careplan", "careplans_planvisit", "careplans_workorder", "visits_visit",
                      "visits_visitflag"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    t0 = time.monotonic()
    raw.commit()
    raw.autocommit = True
    print(f"  committed ({time.monotonic() - t0:.0f} s)", flush=True)
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  vacuum analyze ({time.monotonic() - t0:.0f} s)", flush=True)
    counts["level changes on 15 November"] = plan.changers
    counts["self-paid work orders"] = plan.self_paid
    counts["held visits"] = counts["visits_visitexception"]
    return time.monotonic() - started, counts


def data_counts() -> dict:
    from django.db import connection

    queries = {
        "elders": "SELECT count(*) FROM elders_elder",
        "elders by economic category": "SELECT json_object_agg(economic_category, n) FROM (SELECT economic_category, "
                                       "count(*) n FROM elders_elder GROUP BY 1 ORDER BY 1) t",
        "care levels on 1 November by level": "SELECT json_object_agg(level, n) FROM (SELECT level, count(*) n FROM "
                                              "assessment_carelevel WHERE valid_from <= '2026-11-01' AND (valid_until "
                                              "IS NULL OR valid_until >= '2026-11-01') GROUP BY 1 ORDER BY 1) t",
        "level changes on 15 November": "SELECT count(*) FROM assessment_carelevel WHERE valid_from = '2026-11-15'",
        "providers": "SELECT count(*) FROM providers_organisation",
        "caregivers and nurses": "SELECT count(*) FROM providers_staffmember",
        "contract prices": "SELECT count(*) FROM catalog_contractprice",
        "active plans": "SELECT count(*) FROM careplans_careplan WHERE status = 'active'",
        "plan visits (weekly)": "SELECT count(*) FROM careplans_planvisit",
        "work orders in November": f"SELECT count(*) FROM careplans_workorder WHERE date >= '{MONTH}' "
                                   f"AND date < '{NEXT_MONTH}'",
        "of which self-paid plan visits": "SELECT count(*) FROM careplans_workorder wo JOIN careplans_planvisit pv "
                                          "ON pv.id = wo.plan_visit_id WHERE pv.funding = 'self_pay'",
        "work-order items": "SELECT count(*) FROM careplans_workorderitem",
        "visits by status": "SELECT json_object_agg(status, n) FROM (SELECT status, count(*) n FROM visits_visit "
                            f"WHERE date >= '{MONTH}' AND date < '{NEXT_MONTH}' GROUP BY 1 ORDER BY 1) t",
        "open exceptions": "SELECT count(*) FROM visits_visitexception WHERE status = 'open'",
        "item results": "SELECT count(*) FROM visits_visititemresult",
        "November partition": f"SELECT count(*) FROM visits_visit_y{MONTH:%Y}m{MONTH:%m}",
    }
    out = {}
    with connection.cursor() as cursor:
        for label, sql in queries.items():
            cursor.execute(sql)
            out[label] = cursor.fetchone()[0]
    return out


# --- measuring --------------------------------------------------------------------------------------------------

def _proc_cpu(pid: int, children: bool = False) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # After the command's name: utime, stime are fields 14, 15 of stat; cutime, cstime 16, 17.
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def database_cpu() -> tuple[float, float]:
    """(this connection's backend, every PostgreSQL process that ended so far — parallel workers and other
    sessions, such as the settle command's — as the postmaster counts its reaped children)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return float("nan"), float("nan")
    return _proc_cpu(backend), _proc_cpu(postmaster, children=True)


class Step:
    def __init__(self, label):
        self.label = label
        self.load = os.getloadavg()
        self.at = dt.datetime.now(dt.timezone.utc)
        self.wall = self.python = self.database = None
        self.skipped = ""
        self.result = None
        self.error = ""

    def __enter__(self):
        time.sleep(0.2)
        self._db = database_cpu()
        self._self = time.process_time()
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self._t0
        time.sleep(0.3)  # the postmaster reaps the ended backends
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.python = time.process_time() - self._self + (children.ru_utime - self._children.ru_utime) + (
            children.ru_stime - self._children.ru_stime)
        backend, ended = database_cpu()
        self.database = (backend - self._db[0]) + (ended - self._db[1])
        print(f"{self.label}: {self.wall:.2f} s (CPU: Python {self.python:.2f} s, database {self.database:.2f} s; "
              f"load before {self.load[0]:.1f})", flush=True)
        return False


def group_by() -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(GROUP_BY)
        return cursor.fetchall()


def settle_available() -> bool:
    from django.core.management import get_commands

    return "settle" in get_commands()


SETTLE = ["settle", "--month", f"{MONTH:%Y-%m}", "--json"]


def settle(database: str) -> tuple[dict | None, str, str, int]:
    env = dict(os.environ, DATABASE_URL=database, DJANGO_SETTINGS_MODULE="carecircle.settings.dev",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "carecircle.manage", *SETTLE], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    parsed = None
    if done.returncode == 0 and lines:
        try:
            parsed = json.loads(lines[-1])
        except ValueError:
            parsed = None
    return parsed, done.stdout, done.stderr, done.returncode


def billing_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'billing\\_%%' "
                       "AND NOT c.relispartition ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def billing_state() -> dict:
    """Rows of every billing table, and of the claim lines a checksum of their content."""
    from django.db import connection

    state = {}
    with connection.cursor() as cursor:
        for table in billing_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            state[table] = cursor.fetchone()[0]
        if "billing_claimline" in state:
            cursor.execute("SELECT coalesce(max(id), 0), coalesce(sum(hashtext(t::text)::bigint), 0) "
                           "FROM billing_claimline t")
            top, checksum = cursor.fetchone()
            state["billing_claimline (max id, checksum)"] = [top, int(checksum)]
    return state


def billing_reset():
    """An empty billing, so the first settle of the month is the first (a kept database may hold a run)."""
    from django.db import connection

    tables = billing_tables()
    if tables:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    return tables


# --- the report -------------------------------------------------------------------------------------------------

def machine() -> dict:
    from django.db import connection

    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
        cursor.execute("SHOW max_parallel_workers_per_gather")
        parallel = cursor.fetchone()[0]
    return {"node": platform.node(), "nproc": os.cpu_count(), "ram_gib": int(memory) / 1024 / 1024,
            "pg": version.split(" on ")[0], "shared_buffers": buffers, "parallel": parallel,
            "python": platform.python_version(), "platform": platform.platform()}


def _row(step: Step, what: str, target: str) -> str:
    if step.skipped:
        return f"| {step.label} | {step.at:%H:%M:%S} | {step.load[0]:.1f} | skipped: {step.skipped} | — | — | {target} |"
    return (f"| {step.label} | {step.at:%H:%M:%S} | {step.load[0]:.1f} | {what} | {step.wall:.2f} | "
            f"{step.python:.2f} + {step.database:.2f} | {target} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build the data again")
    parser.add_argument("--skip-build", action="store_true",
                        help="use the database as it is (only migrate), without building or checking the data")
    parser.add_argument("--note", default="", help="a sentence added to the report (e.g. on the machine's load)")
    args = parser.parse_args()
    if args.visits < 1000:
        parser.error("--visits: at least 1000")
    command_line = " ".join(["python benchmarks/settlement.py", *(shlex.quote(a) for a in sys.argv[1:])])
    t0 = time.monotonic()
    state = prepare_database(args.database, args.visits, args.rebuild, args.skip_build)
    configure(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    district, communities = regions()
    seed_problem, seed_left_out = seed_reference_data()
    partition = ensure_partitions()
    print(f"database {args.database.rsplit('/', 1)[1]} ({state}), migrated, policy and catalogue seeded, "
          f"partition {partition} ({time.monotonic() - t0:.0f} s)", flush=True)
    build_s = 0.0
    if state == "new":
        build_s, _counts = build(args.visits, district, communities)
        print(f"built in {build_s:.0f} s", flush=True)
    counts = data_counts()
    info = machine()

    steps = []
    a = Step("a. bare GROUP BY (one SQL statement)")
    with a:
        a.result = group_by()
    steps.append(a)
    b = Step("b. `carecircle settle --month 2026-11 --json`")
    c = Step("c. the same again (the closed month)")
    available = settle_available()
    first = again = None
    before = after = {}
    emptied = []
    if not available:
        for step in (b, c):
            step.skipped = "no `settle` command on this checkout (the billing app is not there yet)"
            print(f"{step.label}: {step.skipped}", flush=True)
    else:
        emptied = billing_reset()
        b = Step(b.label)
        with b:
            first, out_b, err_b, rc_b = settle(args.database)
        b.result = first
        if first is None:
            b.error = f"exit code {rc_b}\n\nstdout:\n{out_b}\nstderr:\n{err_b}"
            print(b.error, flush=True)
        before = billing_state()
        c = Step(c.label)
        with c:
            again, out_c, err_c, rc_c = settle(args.database)
        c.result = again
        if again is None:
            c.error = f"exit code {rc_c}\n\nstdout:\n{out_c}\nstderr:\n{err_c}"
            print(c.error, flush=True)
        after = billing_state()
    steps += [b, c]

    ratio = b.wall / a.wall if b.wall and a.wall and first is not None else None
    lines_table = "billing_claimline" in before
    unchanged = (first is not None and again is not None and first == again and lines_table
                 and before.get("billing_claimline") == after.get("billing_claimline")
                 and before.get("billing_claimline (max id, checksum)") == after.get("billing_claimline (max id, checksum)"))
    verdict = []
    if first is None:
        verdict.append("settlement: " + ("not run (no `settle` command)" if not available else "**failed** (below)"))
    else:
        verdict.append(f"≤ 60 s: {'**met**' if b.wall <= 60 else '**not met**'} ({b.wall:.1f} s)")
        verdict.append(f"≤ 3 × the bare GROUP BY: {'**met**' if ratio <= 3 else '**not met**'} ({ratio:.2f} ×)")
        if again is not None:
            verdict.append(f"re-run ≤ 60 s: {'**met**' if c.wall <= 60 else '**not met**'} ({c.wall:.1f} s, "
                           f"{c.wall / b.wall:.2f} × the first run)")
        verdict.append("re-run changes nothing (same JSON; claim lines: same count, same highest id, same checksum): "
                       + ("**yes**" if unchanged else "**no**" if lines_table else
                          "cannot tell (no `billing_claimline` table)"))
    for line in verdict:
        print(line, flush=True)

    settled = (f"{first['visits_settled']:,} visits settled, {first['visits_held']:,} held, {first['lines']:,} lines, "
               f"total {first['total']} (fund {first['fund']}, subsidy {first['subsidy']}, self-pay {first['self_pay']})"
               if first and {"visits_settled", "visits_held", "lines", "total", "fund", "subsidy", "self_pay"} <= set(first)
               else json.dumps(first, ensure_ascii=False) if first else "")
    rows = [
        _row(a, f"{len(a.result):,} groups (provider × item) over the month's verified visits", "—"),
        _row(b, settled or "failed (below)", "≤ 60 s and ≤ 3 × a"),
        _row(c, ("same JSON" if first == again else "**different JSON**") + "; billing_claimline rows "
             f"{before.get('billing_claimline', '—')} → {after.get('billing_claimline', '—')}"
             if again is not None else "failed (below)", "≤ 60 s, changes nothing"),
    ]
    build_text = (f"Building the data by COPY took {build_s:.0f} s (migrations and seeding not counted; "
                  "not part of the timings)." if build_s else
                  "The data built by an earlier run was kept (not counted)." if state == "kept" else
                  "The data was used as it was (`--skip-build`).")
    seed_text = ("" if not seed_problem else
                 f"\n\n**The shipped policy seed failed its own validation** (`carecircle seed_policy` answers the "
                 f"same): {seed_problem}. The benchmark seeded every other row by the same service "
                 f"(`policy_parameters_seed`); left out: {', '.join(f'`{k}`' for k in seed_left_out)}.")
    errors = "\n".join(f"\n### {s.label}: failed\n\n```\n{s.error.strip()}\n```\n" for s in steps if s.error)
    counts_text = "\n".join(f"| {label} | " + (", ".join(f"{k}: {v:,}" for k, v in value.items())
                                                if isinstance(value, dict) else f"{value:,}") + " |"
                            for label, value in counts.items())
    shown = f"`` {command_line} ``" if "`" in command_line else f"`{command_line}`"
    text = f"""# Benchmark: monthly settlement of verified visits

Command: {shown} (the settlement itself: `carecircle {' '.join(SETTLE)}`, run as a subprocess),
run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {info['node']} ({platform.machine()},
`nproc` {info['nproc']}, {info['ram_gib']:.1f} GiB RAM, shared with other people's test runs), {info['pg']}
on the same machine (shared_buffers {info['shared_buffers']}, max_parallel_workers_per_gather {info['parallel']}),
Python {info['python']}. {build_text}{seed_text}

Goal: settle a month of 1,000,000 verified visits on PostgreSQL, set-based, in ≤ 60 s and ≤ 3 × one bare
GROUP BY over the same rows in the same run; re-running the closed month takes no longer and changes nothing.

| step | started (UTC) | load before | result | wall s | CPU s (Python + database) | target |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

{chr(10).join('* ' + line for line in verdict)}
{errors}
The bare GROUP BY is one statement:

```sql
{GROUP_BY}
```

(the work-order tables kept their first names, `careplans_workorder` and `careplans_workorderitem`). It ran once,
right after the build or the checks of the data, so the month's rows may be partly in memory; the settlement
ran next, on the same data. Before it the billing tables were emptied ({', '.join(emptied) or 'none existed'}),
so its first run is the month's first settlement. The JSON each run printed:

```
b: {json.dumps(first, ensure_ascii=False, sort_keys=True) if first is not None else '—'}
c: {json.dumps(again, ensure_ascii=False, sort_keys=True) if again is not None else '—'}
```

Billing tables after b: `{json.dumps(before, ensure_ascii=False)}`; after c: `{json.dumps(after, ensure_ascii=False)}`.

CPU time is the Python side's (this process and, for b and c, the `carecircle` subprocess) and the database's
(this connection's backend, plus every PostgreSQL process that ended during the step — the subprocess's backend and
any parallel workers — as the postmaster counts them; on a shared machine that can include another database's
sessions ending meanwhile). Wall time is what the step took among the other work.

## The data

Elders aged 65 to 105 in one district (13 streets, 260 communities), 30 home-care providers each serving its
communities, with an LTCI contract (contract prices for the hourly items at a third and a fifth of them) and their
caregivers and nurses (with certificates). LTCI care levels 1 to 6 (level 1 is not eligible: no plan); 2 % of the
eligible change level on 15 November (the old level and plan end on the 14th, a new plan replaces it). One active
LTCI plan per eligible elder, its weekly visits as the entitlement allows (read from the seeded policy), and self-paid
weekly visits beyond it. Each plan visit is billed as the hourly LTCI item for its duration (`ltci-home-hour`, or
`ltci-nursing-hour` where a nurse comes), and half also list one LTCI task item. November's work orders are the plan
visits' days (status done, the plan visit's items, quantity 1 for an hour, 2 for the few two-hour self-paid visits);
one visit each, verified, or held (1 %) with an open exception for a late start; one item result per item.
Visit events (the phone's requests) are not loaded.

| what | rows |
|---|---|
{counts_text}
{chr(10) + args.note if args.note else ""}
"""
    REPORT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
