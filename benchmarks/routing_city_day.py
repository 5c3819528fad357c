"""A district day at city scale, optimised provider by provider in parallel Celery workers:
`.venv/bin/python benchmarks/routing_city_day.py [--providers 30] [--caregivers 600] [--visits 5000] [--workers N]`.

Builds its own PostgreSQL database (default postgres://postgres@127.0.0.1:5432/carecircle_bench_city, dropped
and made again on every run; never DATABASE_URL, so a development database is never emptied), migrated, with
the policy parameters seeded as the product seeds them, and in it one day of the demo district's geography
(徐汇区, its streets and communities):

* `--providers` home-care providers, each serving the communities of one or two streets (neighbouring
  providers overlap, as they do), each with a provider administrator's account;
* `--caregivers` caregivers and nurses split evenly between them, with their certificates (care-worker
  grades; one in seven a registered nurse) and the day's shift: early, day or late, a lunch break and the
  working-hours limit from the policy, starting from home in a served community, on an e-bike or walking;
* `--visits` pending work orders for the day to elders living inside the served communities: 30-90 minutes
  in a two-hour window, some at a fixed time, nursing items only a nurse may do, a regular caregiver for
  half of them, a gender preference for some.

Then, as the providers' dispatchers do it, each provider's administrator presses "optimise"
(`dispatch.services.plan_optimise`): one background job per provider, queued on Redis and run by a real
`celery -A carecircle worker` with `--workers` processes (default: one per core). The script waits for every
job, reads every stored plan back from the database, rebuilds it as the dispatch board does and passes it
through the engine's independent checker. Reported: total wall time from the first press to the last plan
stored; per provider: visits, caregivers, scheduled, unscheduled, travel, the solver's own seconds against
the provider's budget (policy `dispatch.optimise.seconds`), when its plan was stored, and violations.

Writes the "city-day" section of docs/benchmarks-routing.md (`--no-doc` to only print).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks-routing.md"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/carecircle_bench_city"
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"
NAMES = ["王秀英", "李建国", "张桂兰", "刘玉珍", "陈志强", "杨淑芬", "赵德明", "黄美华", "周国庆", "吴凤英",
         "徐春生", "孙秀兰", "胡永福", "朱丽华", "高建华", "林玉梅", "何宝山", "郭金凤", "马文斌", "罗素珍"]
SHIFTS = ((dt.time(7, 30), dt.time(16, 30)), (dt.time(8, 0), dt.time(17, 0)), (dt.time(9, 0), dt.time(18, 0)))
GRADES = ("care_worker_5", "care_worker_5", "care_worker_4", "care_worker_4", "care_worker_3")
NURSE_EVERY = 7  # one caregiver in seven is a registered nurse
NURSING_SHARE = 0.08  # work orders with items only a nurse may do
FIXED_SHARE = 0.10
PREFERRED_SHARE = 0.5
GENDER_SHARE = 0.05
DURATIONS = ((30, 45), (45, 30), (60, 20), (90, 5))  # minutes, weight
WALKING_REACH_M = 3000


# --- the database -----------------------------------------------------------------------------------------------

def fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def configure(database: str, broker: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database, DJANGO_SETTINGS_MODULE="carecircle.settings.dev",
               CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker, CELERY_TASK_ALWAYS_EAGER="false")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def build(args, day: dt.date) -> dict:
    """Regions, providers, staff, shifts, elders and the day's work orders; returns what was made."""
    from django.core.management import call_command
    from django.db import transaction

    from carecircle.accounts.models import User
    from carecircle.core.policy import policy_value
    from carecircle.core.policy_seed import policy_parameters_seed
    from carecircle.core.roles import Role
    from carecircle.core.sensitive import encrypt, last4_lookup_hash, lookup_hash
    from carecircle.demo import geography
    from carecircle.demo.population import point_inside
    from carecircle.demo.services import _ensure_regions
    from carecircle.dispatch.models import PlaceKind, Shift, TravelMode
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.elders.names import pinyin_forms
    from carecircle.engines.routing import Location
    from carecircle.engines.routing.travel import haversine_m
    from carecircle.providers.models import (
        Certificate, Organisation, OrganisationKind, ServiceArea, StaffMember, StaffPosition)
    from carecircle.workorders.models import WorkOrder, WorkOrderSource, WorkOrderStatus

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    with transaction.atomic():
        regions = _ensure_regions()
        policy_parameters_seed()
        district = regions.district
        streets = sorted(geography.STREETS, key=lambda s: s.code)
        by_street = {}
        for plan in regions.plans.values():
            by_street.setdefault(plan.street_code, []).append(plan)
        # Providers: each serves one street's communities, every third also the next street's.
        organisations, served = [], {}
        for o in range(args.providers):
            organisations.append(Organisation(name=f"城区居家照护服务社{o + 1:02d}", kind=OrganisationKind.HOME_CARE,
                                              credit_code=f"52310104CITY{o + 1:06d}", region=district))
        Organisation.objects.bulk_create(organisations)
        areas = []
        for o, org in enumerate(organisations):
            home = streets[o % len(streets)]
            plans = list(by_street[home.code])
            if o % 3 == 0:
                plans += by_street[streets[(o + 1) % len(streets)].code]
            served[org.pk] = plans
            areas += [ServiceArea(organisation=org, community=regions.communities[p.code], since=dt.date(2024, 1, 1))
                      for p in plans]
        ServiceArea.objects.bulk_create(areas)
        admins = []
        for org in organisations:
            user = User(username=f"city-dispatch-{org.pk}", role=Role.PROVIDER_ADMIN, organisation=org,
                        display_name=f"{org.name}调度")
            user.set_unusable_password()
            admins.append(user)
        User.objects.bulk_create(admins)
        # Caregivers and nurses, their certificates and the day's shifts.
        lunch = (policy_value("dispatch.lunch.minutes", region=district, on=day),
                 dt.time.fromisoformat(policy_value("dispatch.lunch.earliest", region=district, on=day)),
                 dt.time.fromisoformat(policy_value("dispatch.lunch.latest", region=district, on=day)))
        max_hours = policy_value("dispatch.max_daily_hours", region=district, on=day)
        staff, numbers = [], set()
        for k in range(args.caregivers):
            org = organisations[k % len(organisations)]
            gender = "F" if k % 6 else "M"
            birth = dt.date(1968, 1, 1) + dt.timedelta(days=(k * 37) % 7000)
            number = make_id_number("310105", birth, k, gender)
            numbers.add(number)
            nurse = k // len(organisations) % NURSE_EVERY == 0
            staff.append(StaffMember(organisation=org, name=NAMES[k % len(NAMES)], gender=gender,
                                     id_number=encrypt(number), id_number_hash=lookup_hash(number),
                                     position=StaffPosition.NURSE if nurse else StaffPosition.CAREGIVER,
                                     hired_on=dt.date(2020, 1, 1)))
        StaffMember.objects.bulk_create(staff)
        Certificate.objects.bulk_create([
            Certificate(staff=member, qualification="registered_nurse" if member.position == StaffPosition.NURSE
                        else GRADES[k % len(GRADES)], number=f"CITY-{k:06d}", issued_on=dt.date(2022, 1, 1),
                        expires_on=dt.date(2030, 12, 31)) for k, member in enumerate(staff)])
        shifts = []
        for member in staff:
            plans = served[member.organisation_id]
            home = rng.choice(plans)
            lat, lng = point_inside(rng, home)
            start, end = rng.choice(SHIFTS)
            here = Location("home", float(lat), float(lng))
            reach = all(haversine_m(here, Location(p.code, float(p.centroid[0]), float(p.centroid[1])))
                        <= WALKING_REACH_M for p in plans)
            shifts.append(Shift(organisation_id=member.organisation_id, caregiver=member, date=day, start_time=start,
                                end_time=end, lunch_minutes=lunch[0], lunch_earliest=lunch[1], lunch_latest=lunch[2],
                                start_kind=PlaceKind.HOME, start_lat=lat, start_lng=lng, end_kind=PlaceKind.HOME,
                                end_lat=lat, end_lng=lng, max_hours=max_hours,
                                travel_mode=TravelMode.WALKING if reach and rng.random() < 0.3 else TravelMode.EBIKE))
        Shift.objects.bulk_create(shifts)
        # Elders of each provider, inside its communities, and one work order each for the day.
        pinyin = {name: pinyin_forms(name) for name in NAMES}
        now = dt.datetime.now(dt.timezone.utc)
        elders, orders = [], []
        staff_by_org = {}
        for member in staff:
            staff_by_org.setdefault(member.organisation_id, []).append(member)
        for v in range(args.visits):
            org = organisations[v % len(organisations)]
            plan = rng.choice(served[org.pk])
            lat, lng = point_inside(rng, plan)
            gender = "M" if v % 2 else "F"
            birth = dt.date(1930, 1, 1) + dt.timedelta(days=(v * 13) % (30 * 365))
            number = make_id_number("310104", birth, v, gender)
            name = NAMES[v % len(NAMES)]
            full, initials = pinyin[name]
            elders.append(Elder(name=name, name_pinyin=full, name_initials=initials, gender=gender, birth_date=birth,
                                id_number=encrypt(number), id_number_hash=lookup_hash(number),
                                id_number_last4_hash=last4_lookup_hash(number), address=f"{plan.name}{v % 90 + 1}号",
                                household_type="alone", registration="local", economic_category="general",
                                chronic_conditions=[], status="active", community=regions.communities[plan.code],
                                lat=lat, lng=lng, created_at=now, updated_at=now))
        Elder.objects.bulk_create(elders, batch_size=1000)
        for v, elder in enumerate(elders):
            org = organisations[v % len(organisations)]
            nursing = rng.random() < NURSING_SHARE
            minutes = 30 if nursing else _weighted(rng, DURATIONS)
            start = 7 * 60 + 30 + rng.randrange(0, 8 * 60, 15)
            window = dt.time(start // 60, start % 60), dt.time((start + 120) // 60, (start + 120) % 60)
            able = [m for m in staff_by_org[org.pk] if (m.position == StaffPosition.NURSE) >= nursing]
            preferred = rng.choice(able) if rng.random() < PREFERRED_SHARE else None
            orders.append(WorkOrder(organisation=org, elder=elder, date=day, window_start=window[0],
                                    window_end=window[1], fixed_time=rng.random() < FIXED_SHARE,
                                    duration_minutes=minutes,
                                    required_qualification="registered_nurse" if nursing else "",
                                    preferred_caregiver=preferred,
                                    preferred_gender="F" if rng.random() < GENDER_SHARE else "",
                                    source=WorkOrderSource.PLAN, status=WorkOrderStatus.PENDING))
        WorkOrder.objects.bulk_create(orders, batch_size=1000)
    return {"providers": len(organisations), "caregivers": len(staff), "shifts": len(shifts),
            "elders": len(elders), "work_orders": len(orders), "seconds": time.monotonic() - started}


# --- the run ----------------------------------------------------------------------------------------------------

def start_worker(env: dict, workers: int, log: Path) -> subprocess.Popen:
    """A real Celery worker (prefork, `workers` processes) on the Redis broker; returns once it is ready."""
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()  # no message of an earlier run is left
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "carecircle", "worker", "--pool=prefork",
         f"--concurrency={workers}", "--prefetch-multiplier=1", "--loglevel=INFO", f"--logfile={log}",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and " ready." in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            raise SystemExit(f"the Celery worker stopped at start; see {log}")
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the Celery worker was not ready within 60 s; see {log}")


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()  # warm shutdown: nothing is running any more
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def optimise_all(day: dt.date, budget: float, workers: int, timeout: float) -> tuple[float, list[dict]]:
    """Every provider's dispatcher presses "optimise"; wait for every job; read every plan back and check it."""
    from carecircle.accounts.models import User
    from carecircle.core.models import Job, JobStatus
    from carecircle.dispatch import services
    from carecircle.dispatch.models import DispatchPlan
    from carecircle.engines.routing import check
    from carecircle.providers.models import Organisation

    admins = {u.organisation_id: u for u in User.objects.filter(username__startswith="city-dispatch-")}
    began = time.monotonic()
    plans = {}
    for org in Organisation.objects.filter(pk__in=admins).order_by("pk"):
        plans[org.pk] = services.plan_optimise(actor=admins[org.pk], date=day, organisation=org)
    jobs = {plan.job_id: org for org, plan in plans.items()}
    finished: dict[int, float] = {}
    while len(finished) < len(jobs):
        if time.monotonic() - began > timeout:
            raise SystemExit(f"only {len(finished)} of {len(jobs)} jobs finished within {timeout:.0f} s")
        for pk, status in Job.objects.filter(pk__in=jobs).exclude(pk__in=finished).values_list("pk", "status"):
            if status in (JobStatus.DONE, JobStatus.FAILED):
                finished[pk] = time.monotonic() - began
        time.sleep(0.1)
    wall = max(finished.values())
    rows = []
    for org_pk, plan in plans.items():
        plan = DispatchPlan.objects.select_related("organisation", "job").get(pk=plan.pk)
        built = services.build_day(plan)
        stored = services.current_solution(plan, built)
        figures = plan.figures or {}
        rows.append({
            "provider": plan.organisation.name,
            "status": plan.job.status,
            "message": plan.job.message,
            "visits": len(built.problem.visits),
            "caregivers": len(built.problem.caregivers),
            "scheduled": sum(len(r.stops) for r in stored.routes),
            "unscheduled": len(stored.unscheduled),
            "used": figures.get("caregivers"),
            "travel_h": (figures.get("travel_minutes") or 0) / 60,
            "solver_s": figures.get("seconds"),
            "budget_s": budget,
            "stored_at": finished[plan.job_id],
            "violations": len(check(built.problem, stored)),
        })
    return wall, rows


def report(args, built: dict, wall: float, rows: list[dict], workers: int, day: dt.date) -> str:
    from carecircle.engines.routing.report import machine, now_utc

    command = "python benchmarks/routing_city_day.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    done = [r for r in rows if r["status"] == "done"]
    solver = [r["solver_s"] for r in done if r["solver_s"] is not None]
    visits = sum(r["visits"] for r in rows)
    scheduled = sum(r["scheduled"] for r in rows)
    over = [r for r in done if r["solver_s"] is not None and r["solver_s"] > r["budget_s"] * 1.05]
    violations = sum(r["violations"] for r in rows)
    lines = [
        f"## District day at city scale ({built['work_orders']:,} visits, {built['caregivers']} caregivers, "
        f"{built['providers']} providers)",
        "",
        f"- Command: `{command.strip()}`",
        f"- Date: {now_utc()}; machine: {machine()}",
        f"- Data (built in {built['seconds']:.0f} s, PostgreSQL): the demo district's streets and communities; "
        f"{built['providers']} home-care providers, each serving one street (every third also the next one); "
        f"{built['caregivers']} caregivers (one in {NURSE_EVERY} a registered nurse) with the day's shift from home; "
        f"{built['work_orders']:,} pending work orders for {day} to {built['elders']:,} elders inside the served "
        f"communities (30-90 min in a two-hour window, {FIXED_SHARE:.0%} at a fixed time, {NURSING_SHARE:.0%} nursing "
        f"items, a regular caregiver for {PREFERRED_SHARE:.0%}).",
        f"- Run: each provider's administrator starts \"optimise\" (`dispatch.services.plan_optimise`): one job per "
        f"provider on Redis, run by `celery -A carecircle worker --pool=prefork --concurrency={workers}`; each "
        f"provider's budget is its policy `dispatch.optimise.seconds` ({rows[0]['budget_s']:g} s). Every stored "
        "plan is read back, rebuilt as the dispatch board shows it and passed through the engine's checker.",
        "",
        "| | figure |",
        "|---|---|",
        f"| wall time, first press to last plan stored | **{wall:.1f} s** |",
        f"| jobs done | {len(done)} of {len(rows)} |",
        f"| visits scheduled | {scheduled:,} of {visits:,} ({100 * scheduled / max(1, visits):.1f} %) |",
        f"| solver seconds per provider (min / mean / max) | "
        + (f"{min(solver):.1f} / {sum(solver) / len(solver):.1f} / {max(solver):.1f}" if solver else "-") + " |",
        f"| providers over their budget (> 5 %) | {len(over)} |",
        f"| sum of solver seconds / (wall × workers) | {sum(solver) / max(1e-9, wall * workers):.2f} |",
        f"| violations in the stored plans | {violations} |",
        "",
        "| provider | visits | caregivers | scheduled | unscheduled | caregivers used | travel h | solver s | "
        "budget s | plan stored at s | violations |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        solver_cell = f"{r['solver_s']:.1f}" if r["solver_s"] is not None else f"failed: {r['message']}"
        lines.append(f"| {r['provider']} | {r['visits']} | {r['caregivers']} | {r['scheduled']} | {r['unscheduled']} "
                     f"| {r['used']} | {r['travel_h']:.1f} | {solver_cell} | {r['budget_s']:g} | {r['stored_at']:.1f} "
                     f"| {r['violations']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--providers", type=int, default=30)
    parser.add_argument("--caregivers", type=int, default=600)
    parser.add_argument("--visits", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Celery worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--broker", default=DEFAULT_BROKER)
    parser.add_argument("--no-doc", action="store_true", help="print the report only")
    args = parser.parse_args()
    if min(args.providers, args.caregivers, args.visits) < 1 or args.caregivers < args.providers:
        parser.error("--providers, --caregivers and --visits must be positive, with a caregiver per provider at least")

    fresh_database(args.database)
    env = configure(args.database, args.broker)
    from django.utils import timezone

    from carecircle.core.policy import policy_value
    from carecircle.engines.routing.report import replace_section
    from carecircle.regions.models import Region

    day = timezone.localdate() + dt.timedelta(days=1)
    built = build(args, day)
    print(f"built in {built['seconds']:.0f} s: {built}", flush=True)
    district = Region.objects.get(code="310104")
    budget = float(policy_value("dispatch.optimise.seconds", region=district, on=day))
    log = ROOT / "var" / "bench-city-worker.log"
    log.parent.mkdir(exist_ok=True)
    log.unlink(missing_ok=True)
    worker = start_worker(env, args.workers, log)
    try:
        timeout = 3 * budget * args.providers / args.workers + 300
        wall, rows = optimise_all(day, budget, args.workers, timeout)
    finally:
        stop_worker(worker)
    body = report(args, built, wall, rows, args.workers, day)
    print(body)
    if not args.no_doc:
        replace_section(DOC, "city-day", body, "Routing engine benchmarks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
