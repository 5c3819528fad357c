"""Celery tasks (thin: they call a service). The nightly beat entry turns tomorrow's plans and accepted
orders into work orders."""
import datetime as dt

from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from carecircle.celery import app


def shanghai_now():
    """The beat's clock for the entry below: the platform's local time (Asia/Shanghai)."""
    return timezone.localtime()


@shared_task(name="carecircle.workorders.generate_tomorrow")
def generate_tomorrow() -> dict:
    from .services import work_orders_generate

    return work_orders_generate(date=timezone.localdate() + dt.timedelta(days=1))


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "workorders-nightly-generation": {
        "task": "carecircle.workorders.generate_tomorrow",
        "schedule": crontab(minute=0, hour=21, nowfun=shanghai_now),
    },
}
