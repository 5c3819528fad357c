"""Monthly range partitions on PostgreSQL for tables that grow with every day of service.

A partitioned table keeps a city's years of rows as fast to write and to read by date as one month's: each
month is its own table with its own indexes, a query that names the date reads only its month, and old months
can be archived or dropped whole. SQLite has no partitions; there the same tables stay single tables (the
embedded default serves one district, not a city's years).

`partition_by_month` turns an existing table into a partitioned one in place (same name, columns, defaults,
identity sequence, indexes and outgoing references; rows copied), `ensure_month_partitions` creates the months
ahead (a daily task calls it) and a DEFAULT partition keeps a row dated outside them. A month that already has
rows in the DEFAULT partition is left there: moving a row that other tables reference from one partition to
another is refused by PostgreSQL's reference checks, and those rows are few (dated months ahead or entered
before the platform's first month). Written here because Django has no partitioning and the maintained add-ons
(django-postgres-extra) replace the database backend, which this project cannot do for one table.
"""
from __future__ import annotations

import datetime as dt

DEFAULT_SUFFIX = "_default"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_y{month:%Y}m{month:%m}"


def is_partitioned(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partition_by_month(connection, table: str, key: str, *, unique_with_key: dict[str, list[str]],
                       first_month: dt.date, months_ahead: int = 3) -> None:
    """Rebuild `table` as a table partitioned by month of column `key`.

    The primary key becomes (id, key); every unique constraint or unique index must hold `key` too:
    `unique_with_key` maps its name to the columns it has on the partitioned table. References *into* the table
    must have been dropped by the caller (a partitioned table is referenced through its full key)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype IN ('f', 'p', 'u')", [table])
        constraints = cursor.fetchall()
        cursor.execute("SELECT max(id) FROM " + q(table))
        top = cursor.fetchone()[0] or 0
        old = f"{table}_unpartitioned"
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        cursor.execute(f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY "
                       f"INCLUDING GENERATED INCLUDING CONSTRAINTS) PARTITION BY RANGE ({q(key)})")
        cursor.execute(f"CREATE TABLE {q(table + DEFAULT_SUFFIX)} PARTITION OF {q(table)} DEFAULT")
    ensure_month_partitions(connection, table, key, first_month=first_month, months_ahead=months_ahead)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
        cursor.execute(f"DROP TABLE {q(old)}")
        # The identity sequence of the new table starts after the rows it received.
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [table, max(top, 1), top > 0])
        constraint_names = set()
        for name, kind, definition in constraints:
            constraint_names.add(name)
            if kind == "p":
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} PRIMARY KEY (id, {q(key)})")
            elif kind == "u":
                columns = ", ".join(q(column) for column in unique_with_key[name])
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} UNIQUE ({columns})")
            else:
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for name, definition in indexes:
            if name in constraint_names:
                continue
            if definition.startswith("CREATE UNIQUE INDEX"):
                columns = ", ".join(q(column) for column in unique_with_key[name])
                where = definition.split(" WHERE ", 1)[1] if " WHERE " in definition else ""
                cursor.execute(f"CREATE UNIQUE INDEX {q(name)} ON {q(table)} ({columns})"
                               + (f" WHERE {where}" if where else ""))
            else:
                cursor.execute(definition)  # "CREATE INDEX name ON public.table USING ..." names the new table


def ensure_month_partitions(connection, table: str, key: str, *, first_month: dt.date | None = None,
                            months_ahead: int = 3, today: dt.date | None = None) -> list[str]:
    """Create the monthly partitions from `first_month` (default: this month) to `months_ahead` months after
    today that do not exist yet and hold no rows in the DEFAULT partition. Returns the partitions created."""
    q = connection.ops.quote_name
    today = today or dt.date.today()
    month = _month_start(first_month or today)
    last = _month_start(today)
    for _step in range(months_ahead):
        last = _next_month(last)
    created = []
    with connection.cursor() as cursor:
        while month <= last:
            name = partition_name(table, month)
            cursor.execute("SELECT to_regclass(%s)", [name])
            end = _next_month(month)
            if cursor.fetchone()[0] is None:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {q(table + DEFAULT_SUFFIX)} WHERE {q(key)} >= %s "
                               f"AND {q(key)} < %s)", [month, end])
                if cursor.fetchone()[0]:
                    month = end
                    continue  # the month's rows stay in the DEFAULT partition (see the module's note)
                # No identity of its own: rows get their id from the partitioned table's sequence.
                cursor.execute(f"CREATE TABLE {q(name)} (LIKE {q(table)} INCLUDING DEFAULTS INCLUDING GENERATED "
                               f"INCLUDING CONSTRAINTS)")
                cursor.execute(f"ALTER TABLE {q(table)} ATTACH PARTITION {q(name)} FOR VALUES FROM (%s) TO (%s)",
                               [month, end])
                created.append(name)
            month = end
    return created


def month_partitions(connection, table: str) -> list[str]:
    """The partitions of `table`, oldest first (the DEFAULT one last)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass ORDER BY c.relname", [table])
        names = [row[0] for row in cursor.fetchall()]
    return sorted(names, key=lambda name: (name.endswith(DEFAULT_SUFFIX), name))
