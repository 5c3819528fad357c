"""Celery tasks (thin: they call a service). Every five minutes the beat looks for visits still checked in
after their window and the missing check-out rule's allowance."""
from celery import shared_task
from celery.schedules import crontab

from carecircle.celery import app


@shared_task(name="carecircle.visits.flag_missing_check_outs")
def flag_missing_check_outs() -> int:
    from .services import missing_check_outs_flag

    return missing_check_outs_flag()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "visits-missing-check-outs": {
        "task": "carecircle.visits.flag_missing_check_outs",
        "schedule": crontab(minute="*/5"),
    },
}
