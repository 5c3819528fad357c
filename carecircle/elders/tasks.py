"""Background tasks for the registry: thin wrappers that load ids and call a service."""
from celery import shared_task


@shared_task
def apply_elder_import(job_id: int) -> dict:
    from carecircle.core.models import Job

    from .services import elder_import_apply

    job = Job.objects.get(pk=job_id)
    return elder_import_apply(elder_import_id=job.params["import"], job_id=job.pk)
