"""The visit tables grow by a city's visits every day: on PostgreSQL `visits_visit` (by its date) and
`visits_visitevent` (by its visit's date) become tables partitioned by month, so a city's years of visits stay as
fast to write and to read by date as one month's (core/partitions.py).

Every row that belongs to a visit now carries the visit's date (`visit_date`), because a partitioned table is
referenced through its whole key: on PostgreSQL the references into the two tables become (id, date) pairs, and
the unique keys hold the date (one visit per work order and date; one event per phone user, idempotency key and
visit date).

SQLite does without: it has no partitions, so there both tables stay single tables with their single-column
references; the `visit_date` columns are filled the same way on both databases.
"""
import datetime as dt

from django.db import migrations


def _foreign_keys_into(cursor, table):
    cursor.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
                   "AND confrelid = %s::regclass", [table])
    return cursor.fetchall()


def partition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from carecircle.core.partitions import partition_by_month

    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for target in ("visits_visit", "visits_visitevent"):
            for table, name in _foreign_keys_into(cursor, target):
                cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        cursor.execute("SELECT min(date) FROM visits_visit")
        # Months back for visits entered late or imported: a year before the first visit or today.
        first = (cursor.fetchone()[0] or dt.date.today()) - dt.timedelta(days=365)
    partition_by_month(connection, "visits_visit", "date", first_month=first,
                       unique_with_key={"visits_visit_work_order_id_key": ["work_order_id", "date"]})
    partition_by_month(connection, "visits_visitevent", "visit_date", first_month=first,
                       unique_with_key={"visits_event_one_per_key": ["user_id", "idempotency_key", "visit_date"]})
    references = [
        ("visits_visitevent", "visits_visitevent_visit_fk", "visit_id", "visits_visit", "date"),
        ("visits_visititemresult", "visits_visititemresult_visit_fk", "visit_id", "visits_visit", "date"),
        ("visits_visitflag", "visits_visitflag_visit_fk", "visit_id", "visits_visit", "date"),
        ("visits_visitexception", "visits_visitexception_visit_fk", "visit_id", "visits_visit", "date"),
        ("visits_visitflag", "visits_visitflag_event_fk", "event_id", "visits_visitevent", "visit_date"),
    ]
    with connection.cursor() as cursor:
        for table, name, column, target, target_key in references:
            cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} FOREIGN KEY ({q(column)}, visit_date) "
                           f"REFERENCES {q(target)} (id, {q(target_key)}) DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):
    dependencies = [("visits", "0002_visit_dates")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
