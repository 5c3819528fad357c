"""Background work of the dispatch board: the optimise job's thin handler (registered in ready())."""
from carecircle.core.tasks import register_job_handler

OPTIMISE_JOB = "dispatch.optimise"


@register_job_handler(OPTIMISE_JOB)
def optimise_day(job) -> dict:
    from .services import plan_optimise_run

    return plan_optimise_run(plan_id=job.params["plan"], job=job)
