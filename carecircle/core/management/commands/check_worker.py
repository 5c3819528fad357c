"""`carecircle check_worker`: queue a self-check job and wait until a Celery worker has run it.

Run it after a deployment or when jobs seem stuck: it proves that a worker consumes the broker's
queue, reaches the same database and can decrypt sensitive fields with the same keys.
"""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from carecircle.core import audit
from carecircle.core.jobs import job_start
from carecircle.core.models import Job, JobStatus
from carecircle.core.tasks import WORKER_CHECK, run_job


class Command(BaseCommand):
    help = "Queue a worker self-check job and wait until a Celery worker has finished it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0,
                            help="seconds to wait for a worker before giving up (default 60)")

    def handle(self, *args, timeout: float, **options):
        with transaction.atomic():
            job = job_start(kind=WORKER_CHECK, task=run_job)
            audit.record(actor=None, action="system.worker_check", subject=job)
        self.stdout.write(f"job #{job.pk} queued, waiting up to {timeout:g} s for a worker")
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            job.refresh_from_db()
            state = (job.status, job.progress, job.total)
            if state != seen:
                self.stdout.write(f"  {job.status} {job.progress}/{job.total} {job.message}")
                seen = state
            if job.status == JobStatus.DONE:
                self.stdout.write(self.style.SUCCESS(f"worker OK: {job.result}"))
                return
            if job.status == JobStatus.FAILED:
                raise CommandError(f"the worker ran job #{job.pk} but it failed: {job.message}")
            time.sleep(0.2)
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, message="no worker picked the job up in time")
        raise CommandError(f"no worker finished job #{job.pk} within {timeout:g} s: is `celery -A carecircle worker` "
                           "running against the same broker (CELERY_BROKER_URL) and database?")
