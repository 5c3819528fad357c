"""Visit ingest under load: `.venv/bin/python benchmarks/visit_ingest.py [--duration 120] [--users 40]`.

Serves the platform as in production — gunicorn (2 × cores + 1 sync workers) in front of PostgreSQL — and
drives the phone's API with Locust on loopback: each simulated caregiver checks in to a published visit
(`POST /api/v1/work-orders/<id>/check-in/`) and checks out of it, every request with its own
`Idempotency-Key`; a share of the requests (default 10 %) is sent again with the same key (a replay storm, as
a phone's offline queue does after a lost answer). Then, in the same run and on the same stack, a bare
Django view that inserts one row is driven by the same number of users for the same time, as the yardstick.

Checked afterwards, in the database:
* rows = acknowledged requests: the visit events stored equal the check-ins and check-outs answered 2xx
  (0 lost, 0 duplicated), and every replay answered the same status and body as the original;
* the bare view's rows equal its acknowledged inserts.

The figures (requests/s, p50/p95/p99, failures, rows) go to the "Visit ingest" section of
docs/benchmarks.md with the machine, its load and the command. Goal: ≥ 300 requests/s for 2 minutes,
p99 ≤ 200 ms.

The benchmark database (`--database-url`, default postgres://postgres@127.0.0.1:5432/carecircle_visits_bench)
is created when missing and emptied of earlier visits before each run. The supervision policy of the
benchmark district lets a visit of seconds pass (short duration and early finish thresholds relaxed), so the
run measures the ingest path with every rule evaluated but no exception opened.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SITE_MODULE = "visit_ingest_site"
STATE_FILE = BENCH_DIR / "visit_ingest_state.json"
RESULT_FILE = BENCH_DIR / "visit_ingest_result.json"
REPORT = ROOT / "docs" / "benchmarks.md"
SECTION = "## Visit ingest"
PORT = 8765
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/carecircle_visits_bench"

# Settings, URLs and the bare insert view for the benchmark's gunicorn: the product's own settings and URLs
# with one extra route. Written next to the benchmark's data, never into the product.
SITE_SOURCE = '''
from carecircle.settings.dev import *  # noqa: F401,F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "visit_ingest_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
'''
URLS_SOURCE = '''
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare_insert(request):
    key = request.headers.get("Idempotency-Key", "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (key, at) VALUES (%s, now()) ON CONFLICT (key) DO NOTHING", [key])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/insert/", bare_insert), path("", include("carecircle.urls"))]
'''


# --- the load (this file is also the locustfile) ------------------------------------------------------------

def _parsed(text: str):
    """A body as data: the stored answer comes back from the database with its keys in another order."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _locust_users():
    import random
    import threading

    from locust import HttpUser, constant, events, task

    state = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    mode = os.environ.get("VISIT_INGEST_MODE", "visits")
    replay_share = float(os.environ.get("VISIT_INGEST_REPLAY", "0.1"))
    lock = threading.Lock()
    pools = iter(state["caregivers"])
    tally = {"acknowledged": 0, "replays": 0, "replay_mismatch": 0, "refused": 0, "statuses": {}}
    rng = random.Random(1)

    def count(status, replay=False, same=True):
        with lock:
            tally["statuses"][str(status)] = tally["statuses"].get(str(status), 0) + 1
            if replay:
                tally["replays"] += 1
                if not same:
                    tally["replay_mismatch"] += 1
            elif 200 <= status < 300:
                tally["acknowledged"] += 1
            else:
                tally["refused"] += 1

    @events.test_stop.add_listener
    def _write(**_kwargs):
        RESULT_FILE.with_suffix(f".{mode}.json").write_text(json.dumps(tally), encoding="utf-8")

    class Caregiver(HttpUser):
        wait_time = constant(0)

        def on_start(self):
            with lock:
                self.me = next(pools)
            self.orders = iter(self.me["orders"])
            self.headers = {"Authorization": f"Token {self.me['token']}", "Content-Type": "application/json"}

        def send(self, url, body, name):
            key = uuid.uuid4().hex
            headers = {**self.headers, "Idempotency-Key": key}
            data = json.dumps(body)
            with self.client.post(url, data=data, headers=headers, name=name, catch_response=True) as response:
                count(response.status_code)
                if response.status_code >= 300:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                first = (response.status_code, _parsed(response.text))
            if rng.random() < replay_share:
                with self.client.post(url, data=data, headers=headers, name=f"{name} (replay)",
                                      catch_response=True) as again:
                    count(again.status_code, replay=True, same=(again.status_code, _parsed(again.text)) == first)
            return first[0]

        @task
        def visit(self):
            if mode == "bare":
                self.send("/bench/insert/", {}, "bare insert")
                return
            order = next(self.orders, None)
            if order is None:
                self.stop()
                return
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            body = {"lat": order["lat"], "lng": order["lng"], "accuracy_m": 10, "datum": "wgs84", "device_time": now}
            if self.send(f"/api/v1/work-orders/{order['id']}/check-in/", body, "check-in") == 201:
                body["device_time"] = dt.datetime.now(dt.timezone.utc).isoformat()
                self.send(f"/api/v1/work-orders/{order['id']}/check-out/", body, "check-out")

    return Caregiver


if os.environ.get("VISIT_INGEST_LOCUST") == "1":
    Caregiver = _locust_users()


# --- preparation, serving, driving, checking -----------------------------------------------------------------

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


def prepare(database_url: str, caregivers: int, orders_each: int) -> dict:
    """Migrate, build a district with one provider, `caregivers` caregivers with API tokens and
    `orders_each` published visits each (today, planned now); earlier runs' visits are removed."""
    os.environ.update({k: v for k, v in _environment(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG")})
    sys.path[:0] = [str(BENCH_DIR), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from carecircle.accounts.models import ApiToken, User
    from carecircle.accounts.services import api_token_issue
    from carecircle.core.models import OutboxEvent, PolicyParameter
    from carecircle.core.policy_seed import policy_parameters_seed
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.providers.models import Organisation, StaffMember
    from carecircle.regions.models import Region
    from carecircle.visits.models import Visit, VisitEvent, VisitException, VisitFlag, VisitItemResult
    from carecircle.workorders.models import WorkOrder

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, key text UNIQUE, "
                       "at timestamptz)")
        cursor.execute("TRUNCATE bench_insert")
    VisitFlag.objects.all().delete()
    VisitException.objects.all().delete()
    VisitItemResult.objects.all().delete()
    VisitEvent.objects.all().delete()
    Visit.objects.all().delete()
    OutboxEvent.objects.filter(name__startswith="visits.").delete()
    WorkOrder.objects.filter(source="order", order__isnull=True).delete()

    def region(code, name, kind, parent=None):
        found = Region.objects.filter(code=code).first()
        if found:
            return found
        return Region.objects.create(code=code, name=name, kind=kind, parent=parent, centroid_lat=31.2,
                                     centroid_lng=121.44)

    city = region("310000", "上海市", "city")
    district = region("310104", "徐汇区", "district", city)
    street = region("310104003", "天平路街道", "street", district)
    community = region("310104003001", "天平社区", "community", street)
    if not PolicyParameter.objects.filter(key="visits.rules.threshold").exists():
        policy_parameters_seed()
    # The benchmark's visits last seconds: let them pass the duration rules (a dated row for the district).
    thresholds = dict(PolicyParameter.objects.filter(key="visits.rules.threshold").order_by("-effective_from")
                      .first().value)
    thresholds.update(short_duration=0, early_finish=100000)
    PolicyParameter.objects.get_or_create(
        key="visits.rules.threshold", region=district, effective_from=dt.date(2025, 1, 2),
        defaults={"value": thresholds, "source": "benchmark", "confidence": "local"})
    org, _created = Organisation.objects.get_or_create(
        credit_code="91310104BENCH0001X", defaults={"name": "压测居家养老服务社", "kind": "home_care", "region": district})
    today = timezone.localdate()
    planned = timezone.now().replace(microsecond=0)
    state = {"caregivers": []}
    ApiToken.objects.filter(user__username__startswith="bench_cg_").delete()
    for index in range(caregivers):
        username = f"bench_cg_{index:03d}"
        user = User.objects.filter(username=username).first() or User.objects.create_user(
            username=username, password=uuid.uuid4().hex, role="caregiver", organisation=org, display_name=username)
        staff = StaffMember.objects.filter(user=user).first()
        if staff is None:
            id_number = make_id_number("310104", dt.date(1980, 1, 1) + dt.timedelta(days=index), 100 + index, "F")
            staff = StaffMember.objects.create(organisation=org, name=f"压测护理员{index}", gender="F",
                                               id_number=id_number, id_number_hash=lookup_hash(id_number),
                                               position="caregiver", user=user)
        # One building per caregiver: consecutive visits are never an impossible journey.
        lat, lng = 31.20 + 0.0005 * (index % 40), 121.44 + 0.0005 * (index // 40)
        elder = Elder.objects.filter(name=f"压测老人{index}").first()
        if elder is None:
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=index)
            id_number = make_id_number("310104", birth, 300 + index, "M")
            elder = Elder.objects.create(name=f"压测老人{index}", gender="M", birth_date=birth, id_number=id_number,
                                         community=community, address="压测路 1 号", lat=lat, lng=lng,
                                         household_type="alone")
        orders = WorkOrder.objects.bulk_create([
            WorkOrder(organisation=org, elder=elder, date=today, window_start=dt.time(0, 0),
                      window_end=dt.time(23, 59), duration_minutes=1, source="order", status="published",
                      caregiver=staff, planned_start=planned) for _ in range(orders_each)])
        _token, key = api_token_issue(user=user, label="benchmark")
        state["caregivers"].append({"token": key, "orders": [{"id": o.pk, "lat": lat, "lng": lng} for o in orders]})
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state), encoding="utf-8")
    return state


def serve(database_url: str, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "carecircle.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--worker-class", "sync", "--log-level", "error", "--timeout", "60"],
        env=_environment(database_url), cwd=str(ROOT))
    import urllib.error
    import urllib.request

    for _attempt in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/visits/", timeout=2)
        except urllib.error.HTTPError:
            return server  # it answers (401 without a token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    server.terminate()
    raise SystemExit("gunicorn did not answer within two minutes")


def drive(mode: str, users: int, seconds: int, replay: float) -> dict:
    csv = BENCH_DIR / f"visit_ingest_{mode}"
    env = dict(os.environ, VISIT_INGEST_LOCUST="1", VISIT_INGEST_MODE=mode, VISIT_INGEST_REPLAY=str(replay))
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", __file__, "--headless", "-u", str(users),
                    "-r", str(max(1, users // 2)), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{PORT}",
                    "--csv", str(csv), "--only-summary", "--loglevel", "ERROR",
                    "--stop-timeout", "60"], env=env, check=False,
                   cwd=str(ROOT), stdout=subprocess.DEVNULL)
    import csv as csv_module

    rows = list(csv_module.DictReader(open(f"{csv}_stats.csv", encoding="utf-8")))
    tally = json.loads(RESULT_FILE.with_suffix(f".{mode}.json").read_text(encoding="utf-8"))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return {"rows": rows, "total": total, "tally": tally}


def check(database_url: str) -> dict:
    from django.db import connection

    from carecircle.visits.models import Visit, VisitEvent

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        bare = cursor.fetchone()[0]
    return {"events": VisitEvent.objects.count(), "visits": Visit.objects.count(), "bare_rows": bare,
            "distinct_keys": VisitEvent.objects.values("user_id", "idempotency_key").distinct().count()}


def report(args, visits: dict, bare: dict, db: dict, seconds: float) -> str:
    def figures(run):
        total = run["total"]
        return (float(total["Requests/s"]), float(total["50%"]), float(total["95%"]), float(total["99%"]),
                int(total["Request Count"]), int(total["Failure Count"]))

    v_rps, v50, v95, v99, v_count, v_fail = figures(visits)
    b_rps, b50, b95, b99, b_count, b_fail = figures(bare)
    ack, replays, mismatch = (visits["tally"]["acknowledged"], visits["tally"]["replays"],
                              visits["tally"]["replay_mismatch"])
    load = os.getloadavg()
    lines = [
        SECTION, "",
        f"Run {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}), load average before the run "
        f"{args.load_before[0]:.1f} / {args.load_before[1]:.1f} / {args.load_before[2]:.1f}, after "
        f"{load[0]:.1f}; gunicorn {args.workers} sync workers, PostgreSQL, Locust {args.users} users on loopback, "
        f"{args.duration} s per phase, {int(args.replay * 100)} % of requests replayed with their key.", "",
        f"Command: `{args.command}`", "",
        "| phase | requests | requests/s | p50 ms | p95 ms | p99 ms | failures |", "|---|---|---|---|---|---|---|",
        f"| check-in + check-out (with replays) | {v_count} | {v_rps:.1f} | {v50:.0f} | {v95:.0f} | {v99:.0f} | {v_fail} |",
        f"| bare Django view inserting one row | {b_count} | {b_rps:.1f} | {b50:.0f} | {b95:.0f} | {b99:.0f} | {b_fail} |",
        "",
        f"* Ratio to the bare insert view: {v_rps / b_rps:.2f} of its throughput." if b_rps else "* Bare view: no requests.",
        f"* Acknowledged check-ins and check-outs: {ack}; visit events stored: {db['events']} "
        f"(lost {max(0, ack - db['events'])}, duplicated {max(0, db['events'] - ack)}); one event per key: "
        f"{db['distinct_keys'] == db['events']}.",
        f"* Replays: {replays}, answered differently from the original: {mismatch}; they stored nothing "
        f"(events = acknowledged first sends).",
        f"* Bare view: acknowledged {bare['tally']['acknowledged']}, rows {db['bare_rows']}.",
        f"* Goal ≥ 300 requests/s, p99 ≤ 200 ms: {'met' if v_rps >= 300 and v99 <= 200 else 'not met'} on this run.",
        f"* Whole run {seconds:.0f} s. Status counts of the visit phase: {visits['tally']['statuses']}.",
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
    parser.add_argument("--database-url", default=os.environ.get("VISIT_INGEST_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--duration", type=int, default=120, help="seconds per phase")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--replay", type=float, default=0.1, help="share of requests sent again with their key")
    parser.add_argument("--orders-each", type=int, default=0, help="visits per caregiver (default: enough)")
    parser.add_argument("--note", default="", help="a sentence added to the report")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    args.command = "python benchmarks/visit_ingest.py " + shlex.join(sys.argv[1:])
    args.load_before = os.getloadavg()
    started = time.monotonic()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _database_exists(args.database_url)
    (BENCH_DIR / f"{SITE_MODULE}.py").write_text(SITE_SOURCE, encoding="utf-8")
    (BENCH_DIR / "visit_ingest_urls.py").write_text(URLS_SOURCE, encoding="utf-8")
    orders_each = args.orders_each or max(20, args.duration * 400 // max(args.users, 1) // 2 + 20)
    prepare(args.database_url, args.users, orders_each)
    server = serve(args.database_url, args.workers)
    try:
        visits = drive("visits", args.users, args.duration, args.replay)
        bare = drive("bare", args.users, args.duration, args.replay)
    finally:
        server.terminate()
        server.wait(timeout=30)
    db = check(args.database_url)
    section = report(args, visits, bare, db, time.monotonic() - started)
    print(section)
    if not args.no_report:
        write_report(section)


if __name__ == "__main__":
    main()
