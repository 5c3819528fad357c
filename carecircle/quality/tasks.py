"""Celery tasks (thin: they call a service). Every morning and through the working day, complaints past their
deadline go to the district."""
from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from carecircle.celery import app


def shanghai_now():
    return timezone.localtime()


@shared_task(name="carecircle.quality.escalate_overdue_complaints")
def escalate_overdue_complaints() -> int:
    from .services import complaints_escalate_overdue

    return complaints_escalate_overdue()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "quality-escalate-overdue-complaints": {
        "task": "carecircle.quality.escalate_overdue_complaints",
        "schedule": crontab(minute=5, hour="0,8,12", nowfun=shanghai_now),
    },
}
