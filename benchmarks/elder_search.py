"""Elder search at district scale: `.venv/bin/python benchmarks/elder_search.py [--repeat N] [--rebuild]`.

Builds (once, then reuses) a SQLite database under var/bench/ holding the demo district at 320,000 elders
(`carecircle seed_demo --scale district`), then times what the registry list page and the API do for a
search — the bounded count plus the first page of 25 rows — as a street worker and as the district
admin, and writes docs/benchmarks-elders.md. Target: under 200 ms per search.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_FILE = BENCH_DIR / "elders.sqlite3"
SOURCE_FILE = BENCH_DIR / "elders.source.txt"  # how the reused database was built
REPORT = ROOT / "docs" / "benchmarks-elders.md"
TARGET_ELDERS = 320_000
TARGET_MS = 200.0
PAGE_SIZE = 25


def configure_django():
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecircle.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build_database(rebuild: bool) -> float:
    """Seconds spent building; 0 when an existing database with the full district was reused."""
    global DATA_SOURCE
    from django.core.management import call_command
    from django.db.utils import OperationalError

    from carecircle.elders.models import Elder

    call_command("migrate", verbosity=0)
    try:
        existing = Elder.objects.count()
    except OperationalError:
        existing = 0
    if existing >= TARGET_ELDERS and not rebuild:
        from django.db import connection

        if SOURCE_FILE.exists():
            DATA_SOURCE = SOURCE_FILE.read_text(encoding="utf-8").strip()

        # New indexes from later migrations need statistics before the planner will choose them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return 0.0
    started = time.perf_counter()
    args = ["seed_demo", "--scale", "district", "--seed", "1", "--no-progress"]
    if existing or rebuild:
        args.append("--reset")
    try:
        call_command(*args)
        DATA_SOURCE = "`carecircle seed_demo --scale district --seed 1`"
    except Exception as exc:  # the demo generator is someone else's; the benchmark must still run
        print(f"seed_demo --scale district failed ({type(exc).__name__}: {exc}); generating elders here",
              file=sys.stderr)
        generate_elders()
        DATA_SOURCE = ("the benchmark's own generator (`seed_demo --scale district` failed: "
                       f"{type(exc).__name__}: {exc})")
    SOURCE_FILE.write_text(DATA_SOURCE + "\n", encoding="utf-8")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


DATA_SOURCE = "an existing benchmark database"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英华明国建军兰芳玉珍桂凤淑美丽红梅平金海伟强文德福荣春霞云林琴萍敏静宝根发成志永清家庆生顺祥"


def generate_elders(seed: int = 1):
    """13 streets × 22 communities and 320,000 elders with valid ID numbers, written with bulk_create."""
    import random
    from decimal import Decimal

    from django.db import connection, transaction

    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder, EmergencyContact, ElderAccountLink, ElderMerge, ElderImport
    from carecircle.regions.models import Region

    rng = random.Random(seed)

    def square(lat, lng, half):
        return {"type": "Polygon", "coordinates": [[[lng - half, lat - half], [lng + half, lat - half],
                                                     [lng + half, lat + half], [lng - half, lat + half],
                                                     [lng - half, lat - half]]]}

    with transaction.atomic():
        for model in (ElderAccountLink, EmergencyContact, ElderMerge, ElderImport):
            model.objects.all().delete()
        Elder.objects.update(merged_into=None)
        Elder.objects.all().delete()
        city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "kind": "city"})
        district, _ = Region.objects.get_or_create(code="310104", defaults={
            "name": "徐汇区", "kind": "district", "parent": city, "boundary": square(31.18, 121.44, 0.08)})
        communities = []
        for s_index in range(13):
            street, _ = Region.objects.get_or_create(code=f"310104{s_index + 1:03d}", defaults={
                "name": f"第{s_index + 1}街道", "kind": "street", "parent": district})
            for c_index in range(22):
                community, _ = Region.objects.get_or_create(code=f"{street.code}{c_index + 1:03d}", defaults={
                    "name": f"{street.name}第{c_index + 1}居委", "kind": "community", "parent": street})
                communities.append(community)
        today = dt.date.today()
        batch, used = [], {}
        for index in range(TARGET_ELDERS):
            community = communities[index % len(communities)]
            age = min(105, 60 + int(rng.expovariate(1 / 12)))
            birth = today - dt.timedelta(days=age * 365 + rng.randrange(365))
            gender = rng.choice("MF")
            # The sequence's last digit carries the sex, so each (birth date, sex) has 500 numbers.
            key = (birth, gender)
            used[key] = used.get(key, -1) + 1
            sequence = used[key] * 2 + (1 if gender == "M" else 0)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            elder = Elder(
                name=name, gender=gender, birth_date=birth,
                id_number=make_id_number("310104", birth, sequence, gender),
                phone=f"13{rng.randrange(10 ** 9):09d}", community=community, address=f"{community.name}{index % 300}号",
                lat=Decimal("31.18") + Decimal(rng.randrange(-50000, 50000)) / 1000000,
                lng=Decimal("121.44") + Decimal(rng.randrange(-50000, 50000)) / 1000000,
                household_type=rng.choices(["alone", "elderly_only", "with_children", "with_others", "institution"],
                                           [4, 24, 55, 14, 3])[0],
                economic_category=rng.choices(["extreme_poverty", "min_living", "near_poverty", "low_income",
                                               "general"], [1, 3, 2, 4, 90])[0],
            )
            elder.fill_derived()
            batch.append(elder)
            if len(batch) == 5000:
                Elder.objects.bulk_create(batch)
                batch = []
                print(f"  {index + 1:,} elders", file=sys.stderr, end="\r")
        Elder.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def bench_users():
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role
    from carecircle.regions.models import Region, RegionKind

    district = Region.objects.filter(kind=RegionKind.DISTRICT).order_by("path").first()
    # The first street that holds elders: a rebuilt database may keep regions of an older generator.
    street = (Region.objects.filter(kind=RegionKind.STREET, path__startswith=district.path,
                                    children__elders__isnull=False)
              .order_by("path").first())
    admin, _ = User.objects.update_or_create(username="bench_district_admin", defaults={
        "role": Role.DISTRICT_ADMIN, "scope_region": district, "display_name": "bench district admin"})
    worker, _ = User.objects.update_or_create(username="bench_street_staff", defaults={
        "role": Role.STREET_STAFF, "scope_region": street, "display_name": "bench street staff"})
    return admin, worker, street


def scenarios(street):
    """(label, q, filter params) built from real rows of the street, so every search finds something."""
    from carecircle.elders.models import Elder
    from carecircle.regions.models import RegionKind

    sample = (Elder.objects.filter(community__path__startswith=street.path).exclude(phone="")
              .order_by("id")[137])
    community = street.children.filter(kind=RegionKind.COMMUNITY).order_by("path").first()
    return [
        ("no search (first page)", "", {}),
        ("name prefix, one character", sample.name[:1], {}),
        ("name prefix, two characters", sample.name[:2], {}),
        ("full name", sample.name, {}),
        ("pinyin initials", sample.name_initials, {}),
        ("full pinyin prefix", sample.name_pinyin[:6], {}),
        ("exact ID number", sample.id_number, {}),
        ("last 4 of ID", sample.id_number[-4:], {}),
        ("exact phone", sample.phone, {}),
        ("filter: living alone, 80+", "", {"household_type": "alone", "age_min": "80"}),
        ("filter: community", "", {"region": community.code}),
        ("filter: min. living allowance, 60-69", "", {"economic_category": "min_living", "age_min": "60",
                                                        "age_max": "69"}),
        ("filter: street", "", {"region": street.code}),
        ("filter: living with children", "", {"household_type": "with_children"}),
        ("filter: age 90+", "", {"age_min": "90"}),
        ("filter: age 60-64", "", {"age_min": "60", "age_max": "64"}),
        ("filter: status deceased", "", {"status": "deceased"}),
        ("name prefix + community filter", sample.name[:1], {"region": community.code}),
        ("pinyin initials + living alone", sample.name_initials, {"household_type": "alone"}),
    ]


def time_search(user, q, params, repeat):
    from carecircle.elders.selectors import ElderFilters, bounded_count, elder_search

    timings, found = [], 0
    for i in range(repeat + 1):
        started = time.perf_counter()
        qs = elder_search(user, q, ElderFilters.from_params(params))
        count, exact = bounded_count(qs)
        page = list(qs[:PAGE_SIZE])
        elapsed = (time.perf_counter() - started) * 1000
        if i:  # the first run warms SQLite's page cache
            timings.append(elapsed)
        found = count if exact else f">{count}"
        assert len(page) <= PAGE_SIZE
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return statistics.median(timings), p95, found


def time_full_count(user, repeat):
    from carecircle.elders.selectors import elder_search

    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        elder_search(user, "").count()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1048576:.1f} GiB"
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    import sqlite3

    return {"nproc": nproc, "cpu": model or platform.processor(), "memory": memory,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark database from scratch")
    args = parser.parse_args()
    configure_django()
    build_seconds = build_database(args.rebuild)

    from carecircle.elders.models import Elder

    total = Elder.objects.count()
    admin, worker, street = bench_users()
    street_total = Elder.objects.filter(community__path__startswith=street.path).count()
    rows, worst = [], 0.0
    for label, q, params in scenarios(street):
        for who, user in (("street staff", worker), ("district admin", admin)):
            p50, p95, found = time_search(user, q, params, args.repeat)
            worst = max(worst, p95)
            rows.append((label, who, q, params, p50, p95, found))
            print(f"{label:40s} {who:15s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  found {found}")
    full_count = time_full_count(admin, 5)
    print(f"exact count of the whole district (not used by the pages): {full_count:.1f} ms")

    info = machine()
    lines = [
        "# Elder search benchmark",
        "",
        f"Generated by `.venv/bin/python benchmarks/elder_search.py --repeat {args.repeat}` on "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']} ({info['nproc']} logical processors available, `nproc`)",
        f"- Memory: {info['memory']}",
        f"- Python {info['python']}, SQLite {info['sqlite']} (the embedded default database)",
        "",
        "## Data",
        "",
        f"- {total:,} elder records from {DATA_SOURCE} "
        f"({'reused' if not build_seconds else f'built in {build_seconds:.0f} s'}), database `var/bench/elders.sqlite3`.",
        f"- The street worker's street ({street.name}) holds {street_total:,} of them.",
        "",
        "## What is timed",
        "",
        "One search = what the list page and the API do: `selectors.elder_search(user, q, filters)` "
        "(which starts from `visible_to(user)`), the bounded count (stops at 10,000) and fetching the first "
        f"page of {PAGE_SIZE} rows with their community. Each search runs once to warm the cache and then "
        f"{args.repeat} times; p50 and p95 are over those runs. Searches use real values from the street "
        "worker's street, so each finds rows for both users.",
        "",
        "| search | as | p50 ms | p95 ms | rows found |",
        "|---|---|---:|---:|---:|",
    ]
    for label, who, q, params, p50, p95, found in rows:
        lines.append(f"| {label} | {who} | {p50:.1f} | {p95:.1f} | {found} |")
    verdict = "met" if worst < TARGET_MS else "NOT met"
    lines += [
        "",
        f"Worst p95: **{worst:.1f} ms** — the {TARGET_MS:.0f} ms target is **{verdict}**.",
        "",
        f"An exact `COUNT(*)` over the district admin's whole scope takes {full_count:.1f} ms. List pages never "
        "run it (they stop counting at 10,000 and say “more than 10,000”); the API's `count` is exact and is "
        "taken from the indexed filters.",
        "",
        "## How the searches stay fast",
        "",
        "- Each kind of search text maps to one indexed column: a full ID number → `id_number_hash` (keyed "
        "hash, equality), four digits/X → `id_number_last4_hash` (keyed hash, equality), a phone → `phone_hash`, Chinese characters → "
        "a prefix of `name`, letters → a prefix of `name_initials` or `name_pinyin`. No leading-wildcard LIKE.",
        "- On SQLite a prefix is also written as a range (`name >= '张' AND name < '张\\U0010ffff'`) because "
        "SQLite's case-insensitive LIKE cannot use a plain index; PostgreSQL uses the `varchar_pattern_ops` "
        "index Django creates beside each indexed CharField.",
        "- Results are ordered by (name, id), which the name index already provides.",
        "- Filters without search text: composite indexes (economic category, birth date), (household type, "
        "birth date), (community, birth date), (community, household type, birth date) and (community, "
        "economic category, birth date) find the matching ids — the community-led ones serve a street "
        "worker, whose scope the planner reaches community by community. Up to 2,000 matches are fetched by id "
        "and sorted; with more, the matches are dense and the name index is walked with the filters applied "
        "through a no-op COALESCE (so the planner cannot pick the filter index and then sort a large set — "
        "SQLite keeps no per-value statistics and would otherwise do exactly that: before this change "
        "“age 60–64” took 0.6–2.4 s and “status = deceased” 2.3–3.2 s).",
        "- Counts on pages are bounded at 10,000.",
        "",
        "## Caveats",
        "",
        "- The data are synthetic: names are drawn from about 110 surnames and a small set of given-name "
        "characters, so name and initials searches find more people per prefix than real names would "
        "(which makes them slower, not faster). Every record is 在册; the “deceased” search finds none.",
        "- Timings are single-user on a shared development machine; other processes were running.",
        "- PostgreSQL (the district server) was not measured here.",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
