"""Celery tasks (thin: they call a service). The nightly beat entry turns tomorrow's plans and accepted
orders into work orders; a frequent one passes unanswered orders on to the next provider."""
import datetime as dt

from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from carecircle.celery import app


def shanghai_now():
    """The beat's clock for the entries below: the platform's local time (Asia/Shanghai)."""
    return timezone.localtime()


@shared_task(name="carecircle.careplans.generate_tomorrow")
def generate_tomorrow() -> dict:
    from .services import work_orders_generate

    return work_orders_generate(date=timezone.localdate() + dt.timedelta(days=1))


@shared_task(name="carecircle.careplans.expire_order_offers")
def expire_order_offers() -> int:
    from .services import order_offers_expire

    return order_offers_expire()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "careplans-nightly-work-orders": {
        "task": "carecircle.careplans.generate_tomorrow",
        "schedule": crontab(minute=0, hour=21, nowfun=shanghai_now),
    },
    "careplans-expire-order-offers": {
        "task": "carecircle.careplans.expire_order_offers",
        "schedule": crontab(minute="*/5", nowfun=shanghai_now),
    },
}
