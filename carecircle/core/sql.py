"""Small pieces of SQL that read the same on SQLite and PostgreSQL, for the set-based monthly runs.

Written by hand because the ORM has no INSERT … SELECT with window functions over an inline table of values;
each function returns SQL text and its parameters, never formats a value into the text.
"""
from __future__ import annotations

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def values(rows, types, *, empty):
    """`VALUES (…), (…)` and its parameters. On PostgreSQL each cell is cast to its type (`bigint`, `date`,
    `numeric`, `text`, `boolean`). `empty` is the row used when there is none, chosen by the caller so that it
    matches nothing (a VALUES list cannot be empty)."""
    rows = list(rows) or [empty]
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
