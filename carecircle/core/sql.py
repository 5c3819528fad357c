"""Small pieces of SQL that read the same on SQLite and PostgreSQL, for the set-based monthly runs.

Written by hand because the ORM has no INSERT … SELECT with window functions over an inline table of values;
each function returns SQL text and its parameters, never formats a value into the text.
"""
from __future__ import annotations

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def values(rows, types, *, empty=None):
    """`VALUES (…), (…)` and its parameters. On PostgreSQL each cell is cast to its type (`bigint`, `date`,
    `numeric`, `text`, `boolean`, `jsonb`…). `empty` is the row used when there is none, chosen by the caller so
    that it matches nothing (a VALUES list cannot be empty); without it, no rows is a programming error."""
    rows = list(rows) or ([empty] if empty is not None else [])
    if not rows:
        raise ValueError("a VALUES list needs at least one row, or the row to use when there is none")
    pg = is_postgres()
    cell = ", ".join(f"CAST(%s AS {t})" if pg else "%s" for t in types)
    return "VALUES " + ", ".join(f"({cell})" for _row in rows), [value for row in rows for value in row]


def fen(expression: str) -> str:
    """A decimal amount in yuan as whole fen (an integer)."""
    return f"CAST(ROUND(({expression}) * 100) AS {'bigint' if is_postgres() else 'INTEGER'})"


def yuan(expression: str) -> str:
    """Whole fen as a decimal amount in yuan (exact on PostgreSQL; on SQLite the column's converter quantizes)."""
    return f"(CAST(({expression}) AS numeric) / 100)" if is_postgres() else f"(({expression}) / 100.0)"


def week_start(expression: str) -> str:
    """The Monday of a date's week."""
    if is_postgres():
        return f"CAST(date_trunc('week', {expression}) AS date)"
    return f"date({expression}, '-' || ((CAST(strftime('%%w', {expression}) AS INTEGER) + 6) %% 7) || ' days')"


def month_start(expression: str) -> str:
    if is_postgres():
        return f"CAST(date_trunc('month', {expression}) AS date)"
    return f"date({expression}, 'start of month')"


def like_prefix(text: str) -> str:
    """A LIKE pattern matching everything that starts with `text` (to use with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def members(items, kind: str = "bigint") -> tuple[str, list]:
    """A subquery listing `items` (ids or short text) as one parameter, for `pk__in=RawSQL(*members(ids))` or
    `col IN (…)`: a file of 50,000 rows needs one statement, not ten of 5,000 bound parameters each (binding
    that many values costs more than the query)."""
    import json

    items = list(items)
    if is_postgres():
        if kind == "bigint":
            return "SELECT unnest(CAST(%s AS bigint[]))", ["{" + ",".join(str(int(i)) for i in items) + "}"]
        return "SELECT jsonb_array_elements_text(CAST(%s AS jsonb))", [json.dumps([str(i) for i in items])]
    return "SELECT value FROM json_each(%s)", [json.dumps([int(i) if kind == "bigint" else str(i) for i in items])]


def bulk_insert(model, fields: list[str], rows, *, returning_ids: bool = False):
    """Many new rows of `model` written at once, each a tuple of values for `fields` (field names; a foreign key
    takes the related id, a JSON field a dict or list, a date-time an aware datetime). On PostgreSQL through
    COPY, with the ids drawn from the table's sequence beforehand when they are wanted; elsewhere through
    `bulk_create`. For append-only rows with no save() logic: the caller gives every column, defaults included.
    Returns the new ids (`returning_ids`) or the number of rows."""
    import json

    from django.db.models import JSONField

    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    rows = list(rows)
    if not rows:
        return [] if returning_ids else 0
    if not is_postgres():
        names = [field.attname for field in model_fields]
        created = model.objects.bulk_create([model(**dict(zip(names, row))) for row in rows], batch_size=2000)
        return [obj.pk for obj in created] if returning_ids else len(created)
    columns = [field.column for field in model_fields]
    as_json = [isinstance(field, JSONField) for field in model_fields]
    table, pk_column = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        ids = None
        if returning_ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, pk_column, len(rows)])
            ids = [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in ([pk_column] if ids else []) + columns)
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for index, row in enumerate(rows):
                values = [json.dumps(v, ensure_ascii=False) if j and v is not None else v for v, j in zip(row, as_json)]
                copy.write_row([ids[index], *values] if ids else values)
    return ids if returning_ids else len(rows)
