"""Celery entry point for background jobs: `run_job(job_id)` loads the Job row and hands it to the
handler registered for its kind. Handlers live with the service they run; this module only dispatches.

A handler receives the Job, reports progress with `carecircle.core.jobs.job_progress` and returns the
result dictionary that is stored on the job when it finishes.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from .jobs import job_finish, job_progress
from .models import Job, JobStatus

logger = logging.getLogger(__name__)

JobHandler = Callable[[Job], dict]
_HANDLERS: dict[str, JobHandler] = {}

WORKER_CHECK = "system.worker_check"


def register_job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Declare which function runs jobs of `kind`; a kind has exactly one handler."""

    def decorate(handler: JobHandler) -> JobHandler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"job kind {kind!r} already has a handler: {existing.__qualname__}")
        _HANDLERS[kind] = handler
        return handler

    return decorate


def handler_for(kind: str) -> JobHandler | None:
    return _HANDLERS.get(kind)


@shared_task(name="carecircle.core.run_job")
def run_job(job_id: int) -> str:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        # A message can outlive its row (a purged database, a rolled-back request): nothing to run.
        logger.warning("job %s no longer exists; message dropped", job_id)
        return "missing"
    if job.status in {JobStatus.DONE, JobStatus.FAILED}:
        # Brokers deliver at least once; a redelivered message must not run a finished job again.
        return job.status
    handler = handler_for(job.kind)
    if handler is None:
        job_finish(job, failed=True, message=_("未知的任务类型：%(kind)s") % {"kind": job.kind})
        return JobStatus.FAILED
    try:
        result = handler(job)
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job_finish(job, failed=True, message=_("任务失败：%(error)s") % {"error": exc})
        return JobStatus.FAILED
    job_finish(job, result=result or {})
    return JobStatus.DONE


@register_job_handler(WORKER_CHECK)
def check_worker_environment(job: Job) -> dict:
    """Proves, from inside the worker, the things a job needs: the database the web process uses,
    field keys that decrypt what the web process encrypted, and the platform's time zone."""
    from .region_tree import region_model
    from .sensitive import decrypt, encrypt, lookup_hash

    steps = 3
    region_count = region_model()._default_manager.count()
    job_progress(job, progress=1, total=steps, message=_("数据库可访问"))

    probe = f"worker-check-{job.pk}"
    if decrypt(encrypt(probe)) != probe or not lookup_hash(probe):
        raise RuntimeError(_("字段加密密钥不可用"))
    job_progress(job, progress=2, total=steps, message=_("字段加密密钥可用"))

    zone = timezone.get_current_timezone_name()
    job_progress(job, progress=3, total=steps, message=_("时区：%(zone)s") % {"zone": zone})
    return {"regions": region_count, "time_zone": zone}


@shared_task(name="carecircle.core.deliver_outbox_event")
def deliver_outbox_event(event_id: int) -> bool:
    """Deliver one outbox event to its handlers (queued when the emitting transaction commits)."""
    from .events import deliver

    return deliver(event_id)


@shared_task(name="carecircle.core.deliver_outbox_events")
def deliver_outbox_events(event_ids: list[int]) -> int:
    """Deliver a batch of outbox events written together (`events.emit_many`); returns how many were delivered."""
    from .events import deliver

    return sum(1 for event_id in event_ids if deliver(event_id))


@shared_task(name="carecircle.core.outbox_redeliver")
def outbox_redeliver() -> dict:
    """Periodic: try again every outbox event whose next attempt is due."""
    from .events import redeliver_due

    return redeliver_due()
