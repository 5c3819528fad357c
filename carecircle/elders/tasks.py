"""Background work for the registry, run by core's single `run_job` task: thin handlers that load ids and
call a service. Imported by the app's ready() so the web process and every worker know the handlers."""
from carecircle.core.tasks import register_job_handler

IMPORT_JOB = "elders.import"


@register_job_handler(IMPORT_JOB)
def apply_elder_import(job) -> dict:
    from .services import elder_import_apply

    return elder_import_apply(elder_import_id=job.params["import"], job=job)
