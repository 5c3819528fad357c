"""Starting background jobs and reporting their progress (services call these; tasks stay thin)."""
import logging

from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus

logger = logging.getLogger(__name__)


def queue_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the surrounding transaction commits (never for a change that rolled back).

    A broker that cannot be reached is logged, not raised: the change has committed already, and what
    the message was for must be picked up again by its own periodic task (the outbox does that).
    """

    def send():
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001
            logger.exception("could not queue %s%r", getattr(task, "name", task), args)

    transaction.on_commit(send)


def job_start(*, kind: str, actor=None, params: dict | None = None, region=None, organisation=None,
              task=None) -> Job:
    """Create the job row and queue `task(job_id)` once the surrounding transaction commits."""
    job = Job.objects.create(kind=kind, params=params or {}, created_by=actor, region=region,
                             organisation=organisation)
    if task is not None:
        transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_progress(job: Job, *, progress: int, total: int | None = None, message: str = "") -> None:
    fields = {"progress": progress, "status": JobStatus.RUNNING, "updated_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message
    Job.objects.filter(pk=job.pk).update(**fields)


def job_finish(job: Job, *, result: dict | None = None, message: str = "", failed: bool = False) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED if failed else JobStatus.DONE, result=result or {}, message=message,
        updated_at=timezone.now(),
    )
