"""Celery tasks (thin: they call a service): unanswered alarms escalate every 15 seconds, silent elders get a
welfare-visit task every hour."""
from celery import shared_task

from carecircle.celery import app


@shared_task(name="carecircle.hotline.escalate")
def escalate() -> int:
    from .services import alarms_escalate

    return alarms_escalate()


@shared_task(name="carecircle.hotline.silence_sweep")
def silence_sweep() -> int:
    from .services import silence_sweep as sweep

    return sweep()


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "hotline-escalate": {"task": "carecircle.hotline.escalate", "schedule": 15.0},
    "hotline-silence-sweep": {"task": "carecircle.hotline.silence_sweep", "schedule": 3600.0},
}
