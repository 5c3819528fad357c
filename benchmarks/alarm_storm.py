"""An alarm storm: `.venv/bin/python benchmarks/alarm_storm.py [--devices 5000] [--events 10000] [--workers 16]`.

A power cut in one street makes thousands of devices report at once. The script builds a fresh SQLite
database under var/bench/ (one street, `--devices` elders each with a call terminal and its secret), starts the
product behind gunicorn on loopback, and sends `--events` signed events from all devices at once (one in ten
repeats an earlier event, as a device retrying would) from `--workers` threads,
while an operator's client reads the alarm list (`GET /api/v1/hotline-alarms/`) as fast as it can. It then
checks that every distinct event was stored exactly once and every repeat folded into the first answer, and
reports the throughput, the alarm list's p50/p95 during the storm (target p95 < 1 s) and the ratio to a bare
insert of the same number of rows through the ORM, one transaction each, on the same database.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_FILE = BENCH_DIR / "alarm_storm.sqlite3"
PORT = 8765


def configure_django():
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecircle.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(devices: int) -> tuple[list[tuple[str, str]], str]:
    """A fresh database: one street, `devices` elders with a call terminal each; (device id, secret) pairs and
    an operator's API token."""
    import datetime as dt

    from django.core.management import call_command

    for suffix in ("", "-wal", "-shm"):
        Path(str(DB_FILE) + suffix).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    from carecircle.accounts.models import User
    from carecircle.accounts.services import api_token_issue
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.hotline.models import Device
    from carecircle.regions.models import Region

    city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "kind": "city"})
    district, _ = Region.objects.get_or_create(code="310104", defaults={"name": "徐汇区", "kind": "district",
                                                                        "parent": city})
    call_command("seed_policy", verbosity=0)
    street = Region.objects.create(code="310104003", name="天平路街道", kind="street", parent=district)
    community = Region.objects.create(code="310104003001", name="天平社区", kind="community", parent=street)
    elders = []
    for i in range(devices):
        elder = Elder(name=f"老人{i:05d}", gender="F", birth_date=dt.date(1940, 1, 1) + dt.timedelta(days=i % 3000),
                      id_number=make_id_number("310104", dt.date(1940, 1, 1) + dt.timedelta(days=i % 3000), i % 999 + 1, "F"),
                      community=community, address=f"天平路{i}号", household_type="alone")
        elder.fill_derived()
        elders.append(elder)
    Elder.objects.bulk_create(elders, batch_size=1000)
    pairs = []
    rows = []
    for elder in Elder.objects.order_by("pk"):
        secret = f"bench-secret-{elder.pk}"
        rows.append(Device(device_id=f"BENCH-{elder.pk}", elder=elder, kind="call_terminal", vendor="bench",
                           installed_on=dt.date(2026, 1, 1), funding="self", subsidy_share=0, secret=secret))
        pairs.append((f"BENCH-{elder.pk}", secret))
    Device.objects.bulk_create(rows, batch_size=1000)
    operator = User.objects.create_user(username="bench_operator", password="Bench-pass-2026", role="operator",
                                        scope_region=district)
    _token, key = api_token_issue(user=operator, label="bench")
    return pairs, key


def serve(workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "carecircle.wsgi:application", "-b", f"127.0.0.1:{PORT}",
         "--workers", "2", "--threads", str(workers), "--log-level", "warning"], env=env, cwd=ROOT)
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/")
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def storm(pairs, key, events: int, workers: int) -> dict:
    from carecircle.engines.hotline import sign

    rng = random.Random(7)
    messages = []
    distinct = events - events // 10  # one message in ten repeats an event, as a device retrying would
    n = 0
    while len(messages) < distinct:
        device_id, secret = pairs[len(messages) % len(pairs)]
        messages.append((device_id, secret, f"{device_id}-{n}"))
        n += 1
    while len(messages) < events:  # retries: the same event again
        messages.append(rng.choice(messages[:distinct]))
    rng.shuffle(messages)
    local = threading.local()
    statuses: list[int] = []
    lock = threading.Lock()

    def send(message):
        device_id, secret, event_id = message
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        body = json.dumps({"event_id": event_id, "code": "sos", "at": int(time.time())}).encode()
        ts = str(int(time.time()))
        local.conn.request("POST", "/api/v1/device-events/", body, {
            "Content-Type": "application/json", "X-Device-Id": device_id, "X-Timestamp": ts,
            "X-Signature": sign(secret, ts, body)})
        response = local.conn.getresponse()
        response.read()
        with lock:
            statuses.append(response.status)

    reads: list[float] = []
    done = threading.Event()

    def read_console():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while not done.is_set():
            started = time.perf_counter()
            conn.request("GET", "/api/v1/hotline-alarms/", headers={"Authorization": f"Token {key}"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                reads.append(time.perf_counter() - started)

    reader = threading.Thread(target=read_console)
    reader.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(send, messages))
    elapsed = time.perf_counter() - started
    done.set()
    reader.join()
    distinct = len({m[2] for m in messages})
    return {"sent": len(messages), "distinct": distinct, "elapsed": elapsed, "statuses": statuses, "reads": reads}


def bare_inserts(count: int) -> float:
    from django.db import transaction

    from carecircle.hotline.models import DeviceRejection

    started = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            DeviceRejection.objects.create(sent_device_id=f"bare-{i}", reason="signature", status_code=401)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("gunicorn") is None and not (Path(sys.executable).parent / "gunicorn").exists():
        raise SystemExit("gunicorn is needed")
    configure_django()
    pairs, key = build(args.devices)
    server = serve(args.workers)
    try:
        result = storm(pairs, key, args.events, args.workers)
    finally:
        server.terminate()
        server.wait()
    from carecircle.hotline.models import Alarm, DeviceEvent

    stored, alarms = DeviceEvent.objects.count(), Alarm.objects.count()
    created = result["statuses"].count(201)
    folded = result["statuses"].count(200)
    others = len(result["statuses"]) - created - folded
    bare = bare_inserts(result["sent"])
    throughput = result["sent"] / result["elapsed"]
    reads = sorted(result["reads"])
    p95 = reads[int(0.95 * (len(reads) - 1))] if reads else float("nan")
    print(f"sent {result['sent']} events ({result['distinct']} distinct) from {len(pairs)} devices "
          f"in {result['elapsed']:.1f} s: {throughput:.0f} events/s")
    print(f"answers: {created} created, {folded} folded repeats, {others} other")
    print(f"stored: {stored} events, {alarms} alarms — exactly once: {stored == alarms == result['distinct']}")
    print(f"alarm list during the storm: {len(reads)} reads, p50 {statistics.median(reads) * 1000 if reads else 0:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (target < 1000 ms)")
    print(f"bare insert of {result['sent']} rows, one transaction each: {bare:.1f} s "
          f"({result['sent'] / bare:.0f} rows/s); storm / bare throughput: {throughput / (result['sent'] / bare):.2f}")
    if not (stored == alarms == result["distinct"] and others == 0):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
