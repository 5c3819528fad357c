"""An alarm storm: `.venv/bin/python benchmarks/alarm_storm.py [--devices 5000] [--events 10000] [--concurrency 16]`.

A power cut in one street makes thousands of devices report at once. The platform is served as in production —
gunicorn (2 × cores + 1 sync workers, persistent database connections) in front of PostgreSQL — and the script
sends `--events` signed events (`POST /api/v1/device-events/`) from `--devices` devices at once over loopback,
from `--concurrency` client threads; one message in ten repeats an earlier event, as a device retrying after a
lost answer does. Meanwhile an operator's client reads the console's alarm list (`GET /api/v1/hotline-alarms/`,
with an API token) as fast as it can. Then, in the same run and on the same stack, a bare Django view that
inserts one row per request (`INSERT … ON CONFLICT DO NOTHING` in a transaction) receives the same number of
requests from the same number of threads, as the yardstick.

Checked afterwards, in the database: every distinct event stored exactly once with exactly one alarm, every
repeat answered 200 with the first answer and nothing new, no other status. Reported: throughput (events/s),
the ratio to the bare view, the alarm list's p50/p95 during the storm (target p95 < 1 s), the CPU seconds the
gunicorn workers spent per event, and — measured in-process before the storm — the database queries and CPU
milliseconds per event for a new alarm, a repeat and a heartbeat. The figures, with the machine, its load and
the command, replace the "Alarm storm" section of docs/benchmarks.md (`--no-report` leaves it alone).

The benchmark database (`--database-url`, default postgres://postgres@127.0.0.1:5432/carecircle_alarm_bench) is
created when missing; its devices are kept between runs and earlier runs' events, alarms and refusals removed
(the audit trail is append-only and keeps growing).
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SITE_MODULE = "alarm_storm_site"
REPORT = ROOT / "docs" / "benchmarks.md"
SECTION = "## Alarm storm"
PORT = 8766
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/carecircle_alarm_bench"
PREFIX = "STORM-"

# Settings, URLs and the bare insert view for the benchmark's gunicorn: the product's settings as production
# runs them (no debug, connections kept for a minute) and its URLs with one extra route. Written next to the
# benchmark's data, never into the product.
SITE_SOURCE = '''
from carecircle.settings.dev import *  # noqa: F401,F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "alarm_storm_urls"
CONN_MAX_AGE = 60
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
'''
URLS_SOURCE = '''
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare_insert(request):
    key = request.headers.get("X-Key", "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_alarm_insert (key, at) VALUES (%s, now()) ON CONFLICT (key) DO NOTHING",
                       [key])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/insert/", bare_insert), path("", include("carecircle.urls"))]
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


def prepare(database_url: str, devices: int) -> tuple[list[tuple[str, str]], str]:
    """Migrate; one street with `devices` elders living alone, each with a call terminal; an operator with an
    API token. Earlier runs' events, alarms and refusals are removed. (device id, secret) pairs and the token."""
    os.environ.update({k: v for k, v in _environment(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG")})
    sys.path[:0] = [str(BENCH_DIR), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from carecircle.accounts.models import ApiToken, User
    from carecircle.accounts.services import api_token_issue
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy_seed import policy_parameters_seed
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.hotline.models import Alarm, Device, DeviceEvent, DeviceRejection
    from carecircle.regions.models import Region

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_alarm_insert (id bigserial PRIMARY KEY, key text UNIQUE, "
                       "at timestamptz)")
        cursor.execute("TRUNCATE bench_alarm_insert")
    DeviceEvent.objects.all().delete()
    DeviceRejection.objects.all().delete()
    Alarm.objects.all().delete()

    def region(code, name, kind, parent=None):
        return Region.objects.filter(code=code).first() or Region.objects.create(
            code=code, name=name, kind=kind, parent=parent, centroid_lat=31.2, centroid_lng=121.44)

    city = region("310000", "上海市", "city")
    district = region("310104", "徐汇区", "district", city)
    street = region("310104003", "天平路街道", "street", district)
    community = region("310104003001", "天平社区", "community", street)
    if not PolicyParameter.objects.filter(key="hotline.target.answer_seconds").exists():
        policy_parameters_seed()
    have = Device.objects.filter(device_id__startswith=PREFIX).count()
    if have < devices:
        start = Elder.objects.filter(name__startswith="停电老人").count()
        elders = []
        for i in range(start, start + devices - have):
            birth = dt.date(1936, 1, 1) + dt.timedelta(days=i % 3000)
            elder = Elder(name=f"停电老人{i:05d}", gender="F", birth_date=birth,
                          id_number=make_id_number("310104", birth, i % 999 + 1, "F"), community=community,
                          address=f"天平路{i}号", household_type="alone")
            elder.fill_derived()
            elders.append(elder)
        Elder.objects.bulk_create(elders, batch_size=1000)
        taken = set(Device.objects.filter(device_id__startswith=PREFIX).values_list("elder_id", flat=True))
        rows = [Device(device_id=f"{PREFIX}{elder.pk}", elder=elder, kind="call_terminal", vendor="压测厂商",
                       installed_on=dt.date(2026, 1, 1), funding="self", subsidy_share=0,
                       secret=f"storm-secret-{elder.pk}")
                for elder in Elder.objects.filter(name__startswith="停电老人").exclude(pk__in=taken).order_by("pk")]
        Device.objects.bulk_create(rows[:devices - have], batch_size=1000)
    pairs = [(d, f"storm-secret-{e}") for d, e in Device.objects.filter(device_id__startswith=PREFIX)
             .order_by("pk").values_list("device_id", "elder_id")[:devices]]
    operator = User.objects.filter(username="storm_operator").first() or User.objects.create_user(
        username="storm_operator", password="Storm-pass-2026", role="operator", scope_region=district)
    ApiToken.objects.filter(user=operator).delete()
    _token, key = api_token_issue(user=operator, label="benchmark")
    return pairs, key


def _body(event_id: str, code: str = "sos", battery: int | None = None) -> bytes:
    payload = {"event_id": event_id, "code": code, "at": int(time.time())}
    if battery is not None:
        payload["battery"] = battery
    return json.dumps(payload).encode()


def profile(pairs, samples: int) -> dict:
    """Queries and CPU per request, in-process (Django's test client, the same settings and middleware)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from carecircle.engines.hotline import sign

    client = Client()

    def post(path, device_id, secret, body, extra=None):
        ts = str(int(time.time()))
        return client.generic("POST", path, body, content_type="application/json", HTTP_X_DEVICE_ID=device_id,
                              HTTP_X_TIMESTAMP=ts, HTTP_X_SIGNATURE=sign(secret, ts, body), **(extra or {}))

    def measure(kind, make):
        statuses, queries, started = [], 0, time.process_time()
        for i in range(samples):
            with CaptureQueriesContext(connection) as captured:
                statuses.append(make(i).status_code)
            queries += len(captured.captured_queries)
        return {"kind": kind, "cpu_ms": (time.process_time() - started) * 1000 / samples,
                "queries": queries / samples, "statuses": sorted(set(statuses))}

    device_id, secret = pairs[0]
    results = [
        # First touch of each device: nothing of it is cached yet in this process.
        measure("new alarm, device not seen before", lambda i: post(
            "/api/v1/device-events/", pairs[i % len(pairs)][0], pairs[i % len(pairs)][1], _body(f"profile-a-{i}"))),
        measure("new alarm, device seen before", lambda i: post(
            "/api/v1/device-events/", pairs[i % len(pairs)][0], pairs[i % len(pairs)][1], _body(f"profile-b-{i}"))),
        measure("repeat of an event", lambda i: post(
            "/api/v1/device-events/", pairs[i % len(pairs)][0], pairs[i % len(pairs)][1], _body(f"profile-b-{i}"))),
        measure("heartbeat with battery", lambda i: post(
            "/api/v1/device-events/", device_id, secret, _body(f"profile-h-{i}", "heartbeat", 90))),
        measure("bare insert view", lambda i: client.post("/bench/insert/", b"", content_type="application/json",
                                                          HTTP_X_KEY=f"profile-{i}")),
    ]
    # Leave the database as the storm expects it: no events, alarms or bare rows yet.
    from carecircle.hotline.models import Alarm, DeviceEvent

    DeviceEvent.objects.all().delete()
    Alarm.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_alarm_insert")
    return {"rows": results, "samples": samples}


def serve(database_url: str, workers: int, port: int = PORT) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "carecircle.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--backlog", "2048", "--log-level", "error",
         "--timeout", "120"], env=_environment(database_url), cwd=str(ROOT))
    for _attempt in range(240):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/hotline-alarms/")
            conn.getresponse().read()
            # Every worker has imported the application: the first requests do not pay for it.
            for _ in range(workers * 3):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/api/v1/hotline-alarms/")
                conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within two minutes")


def _worker_cpu(master: int) -> float:
    """CPU seconds (user + system) spent so far by the gunicorn master's worker processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _messages(pairs, events: int) -> list[tuple[str, str, str]]:
    rng = random.Random(7)
    distinct = events - events // 10  # one message in ten repeats an event, as a device retrying would
    run = time.strftime("%H%M%S")
    messages = [(pairs[n % len(pairs)][0], pairs[n % len(pairs)][1], f"{run}-{n}") for n in range(distinct)]
    messages += [rng.choice(messages[:distinct]) for _ in range(events - distinct)]
    rng.shuffle(messages)
    return messages


def drive(messages, key: str, concurrency: int, master: int, bare: bool, console_port: int = PORT) -> dict:
    from carecircle.engines.hotline import sign

    local = threading.local()
    statuses: list[int] = []
    answers: dict[str, list] = {}
    lock = threading.Lock()

    def send(message):
        device_id, secret, event_id = message
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        if bare:
            body, path = b"{}", "/bench/insert/"
            headers = {"Content-Type": "application/json", "X-Key": f"{device_id}/{event_id}"}
        else:
            body, path = _body(event_id), "/api/v1/device-events/"
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Device-Id": device_id, "X-Timestamp": ts,
                       "X-Signature": sign(secret, ts, body)}
        try:
            local.conn.request("POST", path, body, headers)
            response = local.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            status, data = 0, b""
        with lock:
            statuses.append(status)
            if not bare and status in (200, 201):
                answers.setdefault(f"{device_id}/{event_id}", []).append(json.loads(data))

    reads: list[float] = []
    failed_reads = [0]
    done = threading.Event()

    def read_console():
        conn = http.client.HTTPConnection("127.0.0.1", console_port, timeout=120)
        while not done.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", "/api/v1/hotline-alarms/",
                             headers={"Authorization": f"Token {key}", "Accept-Language": "zh-hans"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", console_port, timeout=120)
                failed_reads[0] += 1
                continue
            if response.status == 200:
                reads.append(time.perf_counter() - started)
            else:
                failed_reads[0] += 1

    cpu_before = _worker_cpu(master)
    reader = threading.Thread(target=read_console)
    reader.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, messages))
    elapsed = time.perf_counter() - started
    done.set()
    reader.join()
    return {"elapsed": elapsed, "statuses": statuses, "answers": answers, "reads": sorted(reads),
            "failed_reads": failed_reads[0], "worker_cpu": _worker_cpu(master) - cpu_before}


def check(messages) -> dict:
    from django.db import connection
    from django.db.models import Count

    from carecircle.hotline.models import Alarm, DeviceEvent

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_alarm_insert")
        bare_rows = cursor.fetchone()[0]
    doubled = DeviceEvent.objects.values("device_id", "event_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"distinct": len({(m[0], m[2]) for m in messages}), "events": DeviceEvent.objects.count(),
            "alarms": Alarm.objects.count(), "doubled": doubled,
            "events_without_alarm": DeviceEvent.objects.filter(alarm__isnull=True).count(), "bare_rows": bare_rows}


def _p(values, share):
    return values[min(len(values) - 1, int(share * len(values)))] * 1000 if values else float("nan")


def report(args, profiled, storm, bare, db, seconds) -> tuple[str, bool]:
    created, folded = storm["statuses"].count(201), storm["statuses"].count(200)
    others = {s: storm["statuses"].count(s) for s in set(storm["statuses"]) - {200, 201}}
    same_answers = all(all(a == answers[0] for a in answers) for answers in storm["answers"].values())
    throughput = len(storm["statuses"]) / storm["elapsed"]
    bare_throughput = len(bare["statuses"]) / bare["elapsed"]
    reads = storm["reads"]
    exact = (db["events"] == db["alarms"] == db["distinct"] == created and db["doubled"] == 0
             and db["events_without_alarm"] == 0 and not others and same_answers)
    p95 = _p(reads, 0.95)
    goal = exact and storm["elapsed"] <= 60 and p95 < 1000
    load = os.getloadavg()
    lines = [
        SECTION, "",
        f"Run {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}), load average before the run "
        f"{args.load_before[0]:.1f} / {args.load_before[1]:.1f} / {args.load_before[2]:.1f}, after "
        f"{load[0]:.1f}; gunicorn {args.workers} sync workers (connections kept 60 s, as in production"
        + (f"; {args.workers - args.console_workers} for the devices and {args.console_workers} for the console, "
           "as two pools behind the reverse proxy" if args.console_workers else "; one pool for everything")
        + "), "
        f"PostgreSQL on the same machine, {args.concurrency} client threads and one console reader on loopback "
        f"(the client runs on the same 2 cores).", "",
        f"Command: `{args.command}`", "",
        "| phase | requests | seconds | requests/s | worker CPU ms per request | answers |",
        "|---|---|---|---|---|---|",
        f"| storm: {len(storm['statuses'])} signed events from {args.devices} devices (10 % repeats) | "
        f"{len(storm['statuses'])} | {storm['elapsed']:.1f} | {throughput:.0f} | "
        f"{storm['worker_cpu'] * 1000 / max(1, len(storm['statuses'])):.1f} | "
        f"{created} × 201, {folded} × 200{''.join(f', {n} × {s}' for s, n in sorted(others.items()))} |",
        f"| bare Django view inserting one row | {len(bare['statuses'])} | {bare['elapsed']:.1f} | "
        f"{bare_throughput:.0f} | {bare['worker_cpu'] * 1000 / max(1, len(bare['statuses'])):.1f} | "
        f"{bare['statuses'].count(201)} × 201 |",
        "",
        f"* Storm / bare view throughput: **{throughput / bare_throughput:.2f}**.",
        f"* Stored: {db['events']} events and {db['alarms']} alarms for {db['distinct']} distinct events "
        f"(stored twice: {db['doubled']}); every repeat answered 200 with the first answer: {same_answers}. "
        f"Exactly once: {exact}.",
        f"* The console's alarm list during the storm: {len(reads)} reads, p50 {_p(reads, 0.5):.0f} ms, "
        f"p95 {p95:.0f} ms, max {_p(reads, 1):.0f} ms, failed {storm['failed_reads']} (target p95 < 1000 ms).",
        f"* Goal (10,000 events in ≤ 60 s, exactly once, list p95 < 1 s): {'met' if goal else 'not met'} on this run.",
        "",
        f"Per request, in-process before the storm ({profiled['samples']} requests each, Django's test client, "
        "same settings and middleware, CPU of the one process including the client's signing):", "",
        "| request | database queries | CPU ms | answers |", "|---|---|---|---|",
        *[f"| {row['kind']} | {row['queries']:.1f} | {row['cpu_ms']:.1f} | {', '.join(map(str, row['statuses']))} |"
          for row in profiled["rows"]],
        "", f"Whole run {seconds:.0f} s.",
    ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines) + "\n", exact


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
    parser.add_argument("--database-url", default=os.environ.get("ALARM_STORM_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16, help="client threads sending events")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers in all")
    parser.add_argument("--console-workers", type=int, default=0,
                        help="of those, workers serving only the console (a second pool); 0: one shared pool")
    parser.add_argument("--profile", type=int, default=200, help="in-process requests per kind (0: skip)")
    parser.add_argument("--note", default="", help="a sentence added to the report")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    args.command = "python benchmarks/alarm_storm.py " + shlex.join(sys.argv[1:])
    args.load_before = os.getloadavg()
    started = time.monotonic()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _database_exists(args.database_url)
    (BENCH_DIR / f"{SITE_MODULE}.py").write_text(SITE_SOURCE, encoding="utf-8")
    (BENCH_DIR / "alarm_storm_urls.py").write_text(URLS_SOURCE, encoding="utf-8")
    pairs, key = prepare(args.database_url, args.devices)
    profiled = profile(pairs, args.profile) if args.profile else {"rows": [], "samples": 0}
    messages = _messages(pairs, args.events)
    server = serve(args.database_url, args.workers - args.console_workers)
    # With --console-workers, the operators' pages and API have their own workers (as a reverse proxy routes
    # /api/v1/device-events/ to one pool and everything else to another): a storm then queues only devices.
    console = serve(args.database_url, args.console_workers, PORT + 1) if args.console_workers else None
    console_port = PORT + 1 if console else PORT
    try:
        storm = drive(messages, key, args.concurrency, server.pid, bare=False, console_port=console_port)
        bare = drive(messages, key, args.concurrency, server.pid, bare=True, console_port=console_port)
    finally:
        for process in (server, console):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    db = check(messages)
    section, exact = report(args, profiled, storm, bare, db, time.monotonic() - started)
    print(section)
    if not args.no_report:
        write_report(section)
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
