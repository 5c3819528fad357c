"""Celery tasks (thin: they call a service). A frequent beat entry passes unanswered orders on to the next
provider (the nightly work-order generation belongs to the workorders app)."""
from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from carecircle.celery import app


def shanghai_now():
    """The beat's clock for the entry below: the platform's local time (Asia/Shanghai)."""
    return timezone.localtime()


@shared_task(name="carecircle.careplans.expire_order_offers")
def expire_order_offers() -> int:
    from .services import order_offers_expire

    return order_offers_expire()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "careplans-expire-order-offers": {
        "task": "carecircle.careplans.expire_order_offers",
        "schedule": crontab(minute="*/5", nowfun=shanghai_now),
    },
}
