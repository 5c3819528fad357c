"""Canteen lunch rush: `.venv/bin/python benchmarks/canteen_lunch.py [--diners 600] [--counters 10] [--minutes 30]
[--compress 10] [--pairs 30]`.

Serves the platform as in production — gunicorn (2 × cores + 1 sync workers) in front of PostgreSQL — and
plays one canteen's lunch: `--diners` registered diners (every subsidy class, and a few elders recorded as
deceased) arrive at `--counters` counters spread over `--minutes` minutes; each counter presents the diner's
card to the till's API (`POST /api/v1/meal-checkouts/` with its own `Idempotency-Key`, a set meal and
sometimes a side dish) and waits for the answer before the next diner, as a cashier does. `--compress` plays
the rush that many times faster (the default, 10, plays 30 minutes in 3), which loads the server more than
the real lunch does. `--pairs` of the diners present the same card at two counters at the same moment.

Checked afterwards, in the database:
* every answered checkout is stored once (sales = 201 answers) and each adds up (subsidy + self-pay = total);
* no diner has two subsidised lunches (0 double-subsidised meals), and of each pair presented at two
  counters at once exactly one checkout got the subsidy (or none, when the diner has no right to one);
* the number of database queries of one checkout (measured in-process on the same database).

The figures (p50/p95/p99/max checkout latency at the counter, checkouts/s, queries per checkout, the pairs)
go to the "Canteen lunch rush" section of docs/benchmarks.md with the machine, its load and the command.
Target: p95 ≤ 300 ms, 0 double-subsidised meals.

The benchmark database (`--database-url`, default postgres://postgres@127.0.0.1:5432/carecircle_canteen_bench)
is created when missing; the benchmark canteen's earlier sales are removed before each run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SITE_MODULE = "canteen_lunch_site"
REPORT = ROOT / "docs" / "benchmarks.md"
SECTION = "## Canteen lunch rush"
PORT = 0  # a free port, chosen when the server starts (another server may hold any fixed one)
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/carecircle_canteen_bench"
ORGANISATION_CODE = "91310104BENCHMEAL1"

SITE_SOURCE = '''
from carecircle.settings.dev import *  # noqa: F401,F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
'''


def _database_exists(url: str) -> None:
    import psycopg

    match = re.match(r"postgres(?:ql)?://(?P<auth>[^@]*)@(?P<host>[^:/]+)(?::(?P<port>\d+))?/(?P<name>[\w-]+)", url)
    if match is None:
        raise SystemExit(f"not a PostgreSQL URL: {url}")
    user = match["auth"].split(":")[0] or "postgres"
    admin = psycopg.connect(host=match["host"], port=int(match["port"] or 5432), user=user, dbname="postgres",
                            autocommit=True)
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [match["name"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{match["name"]}"')


def _environment(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE=SITE_MODULE, DJANGO_DEBUG="0",
               PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(ROOT), env.get("PYTHONPATH", "")]))
    return env


# --- the canteen, its diners and cashiers ----------------------------------------------------------------------

def prepare(database_url: str, diners: int, counters: int) -> dict:
    """Migrate; a district with one canteen (lunch capacity above the rush), its dishes, `diners` diners of
    every class (about 2 % recorded as deceased), `counters` cashiers with API tokens; today's earlier sales
    of the canteen removed."""
    os.environ.update({k: v for k, v in _environment(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG")})
    sys.path[:0] = [str(BENCH_DIR), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from decimal import Decimal

    from carecircle.accounts.models import ApiToken, User
    from carecircle.accounts.services import api_token_issue
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy_seed import policy_parameters_seed
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.meals.models import Canteen, Diner, Dish, MealBooking, Sale, SaleLine
    from carecircle.providers.models import Facility, Organisation
    from carecircle.regions.models import Region

    def region(code, name, kind, parent=None):
        return Region.objects.filter(code=code).first() or Region.objects.create(
            code=code, name=name, kind=kind, parent=parent, centroid_lat=31.2, centroid_lng=121.44)

    city = region("310000", "上海市", "city")
    district = region("310104", "徐汇区", "district", city)
    street = region("310104003", "天平路街道", "street", district)
    community = region("310104003001", "天平社区", "community", street)
    if not PolicyParameter.objects.filter(key="meals.dine_in.subsidy_per_day").exists():
        policy_parameters_seed()
    org, _created = Organisation.objects.get_or_create(
        credit_code=ORGANISATION_CODE, defaults={"name": "压测餐饮管理有限公司", "kind": "canteen", "region": district})
    facility, _created = Facility.objects.get_or_create(
        organisation=org, name="压测长者食堂",
        defaults={"kind": "meal_point", "community": community, "lat": "31.205", "lng": "121.445"})
    canteen, _created = Canteen.objects.get_or_create(
        facility=facility, defaults={"opening_hours": "10:30-13:00", "seats": 120})
    canteen.lunch_capacity = diners + 100  # the capacity is checked (and locked) on every sale, never reached
    canteen.dinner_capacity = 0
    canteen.save()
    refunds = Sale.objects.filter(canteen=canteen, refund_of__isnull=False)
    MealBooking.objects.filter(canteen=canteen).delete()
    SaleLine.objects.filter(sale__canteen=canteen).delete()
    refunds.delete()
    Sale.objects.filter(canteen=canteen).delete()
    dishes = {}
    for name, price, set_meal in (("两荤一素一汤", "15.00", True), ("一荤两素一汤", "12.00", True),
                                  ("番茄炒蛋", "5.00", False), ("白米饭", "1.00", False)):
        dishes[name] = Dish.objects.get_or_create(canteen=canteen, name=name, defaults={
            "price": Decimal(price), "is_set_meal": set_meal, "components": name if set_meal else ""})[0].pk
    today = dt.date.today()
    cards = []
    rng = random.Random(1)
    existing = {d.card_number: d for d in Diner.objects.filter(card_number__startswith="BENCH")}
    for index in range(diners):
        card = f"BENCH{index:05d}"
        cards.append(card)
        if card in existing:
            continue
        kind = index % 50
        age = rng.randint(62, 79) if index % 3 else rng.randint(80, 96)
        birth = dt.date(today.year - age, 1 + index % 12, 1 + index % 28)
        id_number = make_id_number("310104", birth, 500 + index % 400, "MF"[index % 2])
        elder = Elder.objects.create(
            name=f"压测食客{index}", gender="MF"[index % 2], birth_date=birth, id_number=id_number,
            community=community, address="压测路 1 号", lat=31.205, lng=121.445,
            economic_category="min_living" if index % 5 == 0 else "general", household_type="alone",
            status="deceased" if kind == 49 else "active",
            status_date=today - dt.timedelta(days=10) if kind == 49 else None)
        Diner.objects.create(elder=elder, card_number=card, qr_token=uuid.uuid4().hex)
    tokens = []
    ApiToken.objects.filter(user__username__startswith="bench_till_").delete()
    for index in range(counters):
        username = f"bench_till_{index:02d}"
        user = User.objects.filter(username=username).first() or User.objects.create_user(
            username=username, password=uuid.uuid4().hex, role="provider_admin", organisation=org,
            display_name=username)
        _token, key = api_token_issue(user=user, label="benchmark")
        tokens.append(key)
    return {"canteen": canteen.pk, "dishes": dishes, "cards": cards, "tokens": tokens}


def queries_per_checkout(state: dict) -> int:
    """One checkout through the API in-process on the benchmark database, its queries counted (a dinner of
    the first diner, removed again so the rush starts clean)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from carecircle.meals.models import Sale, SaleLine

    client = Client(HTTP_AUTHORIZATION=f"Token {state['tokens'][0]}", HTTP_HOST="127.0.0.1")
    body = {"canteen": state["canteen"], "diner": {"card": state["cards"][0]}, "meal": "dinner",
            "lines": [{"dish": state["dishes"]["两荤一素一汤"], "quantity": 1},
                      {"dish": state["dishes"]["白米饭"], "quantity": 1}]}
    client.post("/api/v1/meal-checkouts/", body, content_type="application/json")  # warm the caches
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/meal-checkouts/", body, content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    if response.status_code != 201:
        raise SystemExit(f"the in-process checkout failed: {response.status_code} {response.content[:300]}")
    SaleLine.objects.filter(sale__canteen_id=state["canteen"], sale__meal="dinner").delete()
    Sale.objects.filter(canteen_id=state["canteen"], meal="dinner").delete()
    return len(queries.captured_queries)


# --- serving and driving ---------------------------------------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database_url: str, workers: int) -> subprocess.Popen:
    global PORT
    PORT = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "carecircle.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--worker-class", "sync", "--log-level", "error", "--timeout", "60"],
        env=_environment(database_url), cwd=str(ROOT))
    for _attempt in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/canteens/", timeout=2)
        except urllib.error.HTTPError:
            return server  # it answers (401 without a token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    server.terminate()
    raise SystemExit("gunicorn did not answer within two minutes")


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.created = 0
        self.errors: list[str] = []
        self.pairs: list[tuple[str, list[dict]]] = []

    def add(self, status: int, seconds: float, body: str):
        with self.lock:
            self.latencies.append(seconds * 1000)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            if status == 201:
                self.created += 1
            elif len(self.errors) < 5:
                self.errors.append(f"{status}: {body[:200]}")


def checkout(state: dict, counter: int, card: str, rng: random.Random, results: Results) -> dict:
    lines = [{"dish": state["dishes"][rng.choice(("两荤一素一汤", "一荤两素一汤"))], "quantity": 1}]
    if rng.random() < 0.4:
        lines.append({"dish": state["dishes"][rng.choice(("番茄炒蛋", "白米饭"))], "quantity": 1})
    body = json.dumps({"canteen": state["canteen"], "diner": {"card": card}, "meal": "lunch", "mode": "dine_in",
                       "payment": "cash", "lines": lines}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/v1/meal-checkouts/", data=body, method="POST",
        headers={"Authorization": f"Token {state['tokens'][counter]}", "Content-Type": "application/json",
                 "Idempotency-Key": uuid.uuid4().hex})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        status, text = 599, str(error)
    results.add(status, time.perf_counter() - started, text)
    try:
        return json.loads(text) if status == 201 else {}
    except ValueError:
        return {}


def warm_up(state: dict, workers: int) -> None:
    """A served site is warm: each worker has answered before the lunch (its first request loads the URLs and
    the API's modules). A few reads per worker, not timed."""
    for _round in range(3 * workers):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}/api/v1/dishes/?canteen={state['canteen']}",
                                         headers={"Authorization": f"Token {state['tokens'][0]}"})
        try:
            urllib.request.urlopen(request, timeout=60).read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass


def rush(state: dict, counters: int, seconds: float, pairs: int) -> Results:
    """Each counter serves its queue in order: a diner steps up at their arrival time (spread evenly over the
    rush, the counters out of step) or, when the queue is long, as soon as the previous one has paid. Every
    len(cards) // pairs-th diner also presents the card at the next counter at the same moment."""
    cards = state["cards"]
    results = Results()
    every = max(1, len(cards) // pairs) if pairs else 0
    queues = [[(position, card) for position, card in enumerate(cards) if position % counters == counter]
              for counter in range(counters)]
    start = time.perf_counter() + 1.0

    def twin(counter, card, barrier, answers, rng):
        barrier.wait()
        answers.append(checkout(state, counter, card, rng, results))

    def serve_queue(counter):
        rng = random.Random(counter)
        for position, card in queues[counter]:
            due = start + seconds * position / len(cards)
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if every and position % every == every // 2:
                barrier, answers = threading.Barrier(2), []
                other = threading.Thread(target=twin, args=((counter + 1) % counters, card, barrier, answers,
                                                            random.Random(position)))
                other.start()
                twin(counter, card, barrier, answers, rng)
                other.join()
                with results.lock:
                    results.pairs.append((card, answers))
            else:
                checkout(state, counter, card, rng, results)

    threads = [threading.Thread(target=serve_queue, args=(counter,)) for counter in range(counters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.elapsed = time.perf_counter() - start
    return results


def check(state: dict) -> dict:
    from django.db.models import Count, F

    from carecircle.meals.models import Sale

    sales = Sale.objects.filter(canteen_id=state["canteen"], meal="lunch", refund_of__isnull=True)
    doubled = (sales.filter(subsidy__gt=0).values("diner", "date").annotate(n=Count("id")).filter(n__gt=1).count())
    not_adding_up = sales.exclude(total=F("subsidy") + F("delivery_subsidy") + F("self_pay")).count()
    return {"sales": sales.count(), "subsidised": sales.filter(subsidy__gt=0).count(), "doubled": doubled,
            "not_adding_up": not_adding_up,
            "by_class": {row["subsidy_class"] or "-": row["n"] for row in
                         sales.values("subsidy_class").annotate(n=Count("id")).order_by("subsidy_class")}}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def report(args, results: Results, db: dict, queries: int, seconds: float) -> str:
    latencies = results.latencies
    p50, p95, p99 = (percentile(latencies, s) for s in (0.50, 0.95, 0.99))
    pair_outcomes = {"one subsidised": 0, "both subsidised": 0, "none subsidised": 0}
    for _card, answers in results.pairs:
        granted = sum(1 for answer in answers if answer and float(answer.get("meal_subsidy", "0")) > 0)
        pair_outcomes["both subsidised" if granted > 1 else "one subsidised" if granted == 1
                      else "none subsidised"] += 1
    load = os.getloadavg()
    rush_minutes = args.minutes / args.compress
    met = p95 <= 300 and db["doubled"] == 0
    lines = [
        SECTION, "",
        f"Run {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}), load average before the run "
        f"{args.load_before[0]:.1f} / {args.load_before[1]:.1f} / {args.load_before[2]:.1f}, after "
        f"{load[0]:.1f}; gunicorn {args.workers} sync workers, PostgreSQL, the client on loopback.", "",
        f"Command: `{args.command}`", "",
        f"The lunch of {args.diners} diners at {args.counters} counters within {args.minutes} minutes, played "
        f"{args.compress:g} times faster (in {rush_minutes:.1f} minutes: {args.diners / (rush_minutes * 60):.1f} "
        f"arrivals a second instead of {args.diners / (args.minutes * 60):.2f}); {len(results.pairs)} of the "
        f"diners presented their card at two counters at the same moment.", "",
        "| checkouts | answered 201 | checkouts/s | p50 ms | p95 ms | p99 ms | max ms | queries per checkout |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(latencies)} | {results.created} | {len(latencies) / results.elapsed:.1f} | {p50:.0f} | {p95:.0f} | "
        f"{p99:.0f} | {max(latencies, default=0):.0f} | {queries} |", "",
        f"* Sales stored: {db['sales']} (answered 201: {results.created}); each adds up (subsidy + self-pay = "
        f"total): {db['not_adding_up'] == 0}. Sales by subsidy class: {db['by_class']}.",
        f"* Double-subsidised lunches: {db['doubled']}. The same card at two counters at once "
        f"({len(results.pairs)} times): {pair_outcomes['one subsidised']} times one of the two got the subsidy, "
        f"{pair_outcomes['both subsidised']} times both, {pair_outcomes['none subsidised']} times neither (a "
        f"diner without a right to it: recorded as deceased).",
        f"* Target p95 ≤ 300 ms and 0 double-subsidised meals: {'met' if met else 'not met'} on this run.",
        f"* Whole run {seconds:.0f} s. Status counts: {results.statuses}."
        + (f" First errors: {results.errors}" if results.errors else ""),
    ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines) + "\n"


def write_report(section: str) -> None:
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CANTEEN_LUNCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--diners", type=int, default=600)
    parser.add_argument("--counters", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=30, help="the length of the real lunch rush")
    parser.add_argument("--compress", type=float, default=10, help="play the rush this many times faster")
    parser.add_argument("--pairs", type=int, default=30, help="diners presenting the card at two counters at once")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--note", default="", help="a sentence added to the report")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    if args.diners < 1 or args.counters < 2 or args.minutes <= 0 or args.compress <= 0 or args.pairs < 0:
        parser.error("diners ≥ 1, counters ≥ 2, minutes and compress > 0, pairs ≥ 0")
    args.command = "python benchmarks/canteen_lunch.py " + shlex.join(sys.argv[1:])
    args.load_before = os.getloadavg()
    started = time.monotonic()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _database_exists(args.database_url)
    (BENCH_DIR / f"{SITE_MODULE}.py").write_text(SITE_SOURCE, encoding="utf-8")
    state = prepare(args.database_url, args.diners, args.counters)
    queries = queries_per_checkout(state)
    from django.db import connections

    connections.close_all()
    server = serve(args.database_url, args.workers)
    try:
        warm_up(state, args.workers)
        results = rush(state, args.counters, args.minutes * 60 / args.compress, args.pairs)
    finally:
        server.terminate()
        server.wait(timeout=30)
    db = check(state)
    section = report(args, results, db, queries, time.monotonic() - started)
    print(section)
    if not args.no_report:
        write_report(section)
    if db["doubled"] or db["not_adding_up"] or db["sales"] != results.created:
        sys.exit(1)


if __name__ == "__main__":
    main()
