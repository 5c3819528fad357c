"""Monthly allowance run and death-records matching at scale:
`.venv/bin/python benchmarks/allowance_run.py [--elders N] [--deaths M] [--database URL]`.

Builds a database (PostgreSQL by default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/carecircle_bench_allowances)
with N enrolled elders spread over 13 streets and 260 communities (ID numbers encrypted and hashed as the
register keeps them), then times:

* `run_make` for the month, cold, and made again (the idempotent re-run);
* `registry_check_import` of M death records (CSV, matched on the ID number's keyed hash, each death changing the
  elder's status and stopping the allowance).

Writes docs/benchmarks-allowances.md. Targets named for the programme: 1,000,000 beneficiaries in ≤ 60 s and
50,000 death records in ≤ 30 s.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks-allowances.md"


def configure(database: str):
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecircle.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(elders: int, month: dt.date):
    import random

    from django.core.management import call_command
    from django.db import connection

    from carecircle.benefits.models import Enrolment, PaymentLine, PaymentRun, RegistryCheck, RegistryFinding
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy import seed_values
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder
    from carecircle.regions.models import Region

    call_command("migrate", verbosity=0)
    RegistryFinding.objects.all().delete()
    RegistryCheck.objects.all().delete()
    PaymentLine.objects.all().delete()
    PaymentRun.objects.all().delete()
    Enrolment.objects.all().delete()
    city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "kind": "city"})
    district, _ = Region.objects.get_or_create(code="310104", defaults={"name": "徐汇区", "kind": "district",
                                                                        "parent": city})
    for row in seed_values():
        if row["key"].startswith("benefits.") and not PolicyParameter.objects.filter(key=row["key"]).exists():
            PolicyParameter.objects.create(key=row["key"], region=Region.objects.get(code=row["region"]),
                                           value=row["value"], effective_from=dt.date.fromisoformat(row["effective_from"]),
                                           source=row["source"], confidence=row["confidence"])
    communities = []
    for s in range(13):
        street, _ = Region.objects.get_or_create(code=f"310104{s + 1:03d}",
                                                 defaults={"name": f"街道{s + 1}", "kind": "street", "parent": district})
        for c in range(20):
            community, _ = Region.objects.get_or_create(code=f"{street.code}{c + 1:03d}",
                                                        defaults={"name": f"社区{s + 1}-{c + 1}", "kind": "community",
                                                                  "parent": street})
            communities.append(community)
    have = Elder.objects.count()
    rng = random.Random(1)
    batch = []
    for i in range(have, elders):
        birth = dt.date(rng.randint(1920, 1960), rng.randint(1, 12), rng.randint(1, 28))
        gender = "M" if i % 2 else "F"
        elder = Elder(name=f"老人{i}", gender=gender, birth_date=birth,
                      id_number=make_id_number("310104", birth, i, gender) if i < 1000 else
                      make_id_number(f"3101{(i // 1000) % 100:02d}", birth, i % 1000, gender),
                      community=communities[i % len(communities)], address="bench", household_type="alone")
        elder.fill_derived()
        batch.append(elder)
        if len(batch) == 5000:
            Elder.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Elder.objects.bulk_create(batch, ignore_conflicts=True)
    Elder.objects.filter(status="deceased").update(status="active", status_date=None)
    Enrolment.objects.bulk_create(
        [Enrolment(elder_id=pk, band=65, start_month=month, source="automatic")
         for pk in Elder.objects.values_list("pk", flat=True)], batch_size=10000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return district


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--deaths", type=int, default=50_000)
    parser.add_argument("--database", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carecircle_bench_allowances"))
    args = parser.parse_args()
    configure(args.database)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from carecircle.accounts.models import User
    from carecircle.benefits import services
    from carecircle.elders.models import Elder

    month = dt.date(2026, 1, 1)
    started = time.monotonic()
    district = build(args.elders, month)
    build_s = time.monotonic() - started
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={
        "role": "district_admin", "scope_region": district, "display_name": "bench"})
    cpu = time.process_time()
    t0 = time.monotonic()
    run = services.run_make(actor=admin, region=district, month=month)
    cold = time.monotonic() - t0
    t0 = time.monotonic()
    services.run_make(actor=admin, region=district, month=month)
    again = time.monotonic() - t0
    run.refresh_from_db()
    rows = []
    for elder in Elder.objects.filter(status="active").order_by("pk")[:args.deaths]:
        rows.append([elder.name, elder.id_number, "2026-01-15"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "去世时间"])
    writer.writerows(rows)
    upload = SimpleUploadedFile("deaths.csv", out.getvalue().encode("utf-8"))
    t0 = time.monotonic()
    check = services.registry_check_import(actor=admin, region=district, kind="death", upload=upload)
    deaths = time.monotonic() - t0
    cpu = time.process_time() - cpu
    load = os.getloadavg()
    from django.db import connection

    text = f"""# Benchmark: monthly allowance run and death-records matching

Command: `.venv/bin/python benchmarks/allowance_run.py --elders {args.elders} --deaths {args.deaths}`
({connection.vendor}), run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()}
({platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared; load {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}),
Python {platform.python_version()}. Building the data took {build_s:.0f} s (not counted).

| step | elders / rows | seconds | target |
|---|---|---|---|
| `run_make`, cold | {run.beneficiaries} beneficiaries, {run.total} yuan | {cold:.1f} | 1,000,000 in ≤ 60 s |
| `run_make`, made again (same lines) | {run.beneficiaries} | {again:.1f} | — |
| `registry_check_import`, death records | {check.summary.get('rows')} rows, {check.summary.get('applied')} deaths applied | {deaths:.1f} | 50,000 in ≤ 30 s |

CPU time of the timed steps in this process: {cpu:.1f} s.
"""
    REPORT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
