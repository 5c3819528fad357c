"""Celery tasks (thin: they call a service). Every five minutes the beat looks for visits still checked in
after their window and the missing check-out rule's allowance; every night it makes sure the coming months'
partitions of the visit tables exist (PostgreSQL)."""
from celery import shared_task
from celery.schedules import crontab

from carecircle.celery import app


@shared_task(name="carecircle.visits.flag_missing_check_outs")
def flag_missing_check_outs() -> int:
    from .services import missing_check_outs_flag

    return missing_check_outs_flag()


@shared_task(name="carecircle.visits.ensure_partitions")
def ensure_partitions() -> list[str]:
    from .services import visit_partitions_ensure

    return visit_partitions_ensure()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "visits-missing-check-outs": {
        "task": "carecircle.visits.flag_missing_check_outs",
        "schedule": crontab(minute="*/5"),
    },
    "visits-partitions": {"task": "carecircle.visits.ensure_partitions", "schedule": crontab(hour=1, minute=30)},
}
