"""On PostgreSQL the visit tables are partitioned by month; the references into them name the visit's date."""
import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from carecircle.core.partitions import ensure_month_partitions, is_partitioned, month_partitions, partition_name
from carecircle.visits.models import Visit, VisitEvent, VisitFlag
from carecircle.visits.services import visit_partitions_ensure

from .conftest import make_work_order

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")


def _visit(field, day):
    order = make_work_order(field.district.provider, field.elder, field.wang,
                            start=dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.timezone(dt.timedelta(hours=8))))
    return Visit.objects.create(work_order=order, organisation_id=order.organisation_id, elder=field.elder,
                                caregiver=field.wang, date=order.date, status="checked_in")


def test_every_row_of_a_visit_carries_its_date(field):
    visit = _visit(field, dt.date(2026, 11, 30))
    event = VisitEvent.objects.create(visit=visit, kind="check_in", user=field.users.caregiver)
    flag = VisitFlag.objects.create(visit=visit, event=event, rule="distance", action="warn")
    assert event.visit_date == flag.visit_date == dt.date(2026, 11, 30)


@postgres_only
def test_the_visit_tables_are_partitioned_by_month(field):
    assert is_partitioned(connection, "visits_visit") and is_partitioned(connection, "visits_visitevent")
    visit_partitions_ensure(today=dt.date(2026, 12, 7))
    names = month_partitions(connection, "visits_visit")
    assert partition_name("visits_visit", dt.date(2027, 3, 1)) in names and names[-1] == "visits_visit_default"
    visit = _visit(field, dt.date(2027, 1, 15))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM visits_visit WHERE id = %s", [visit.pk])
        assert cursor.fetchone()[0] == "visits_visit_y2027m01"


@postgres_only
def test_a_visit_beyond_the_made_months_waits_in_the_default_partition(field):
    far = dt.date(2031, 5, 20)
    visit = _visit(field, far)
    VisitEvent.objects.create(visit=visit, kind="check_in", user=field.users.caregiver)

    def home(table, pk):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
            return cursor.fetchone()[0]

    assert home("visits_visit", visit.pk) == "visits_visit_default"
    # Its month is not made while it holds rows (they are referenced, and cannot move); the next month is.
    created = ensure_month_partitions(connection, "visits_visit", "date", first_month=far, months_ahead=1, today=far)
    assert created == ["visits_visit_y2031m06"] and home("visits_visit", visit.pk) == "visits_visit_default"
    assert Visit.objects.get(pk=visit.pk).date == far and visit.events.count() == 1
    assert ensure_month_partitions(connection, "visits_visit", "date", first_month=far, months_ahead=1,
                                   today=far) == []  # nothing made twice


@postgres_only
def test_a_reference_must_name_the_visits_own_date(field):
    visit = _visit(field, dt.date(2026, 12, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitEvent.objects.create(visit=visit, visit_date=dt.date(2026, 11, 1), kind="check_in",
                                  user=field.users.caregiver)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_one_visit_per_work_order_still_holds(field):
    visit = _visit(field, dt.date(2026, 12, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(work_order=visit.work_order, organisation_id=visit.organisation_id, elder=field.elder,
                             caregiver=field.wang, date=visit.date, status="checked_in")
