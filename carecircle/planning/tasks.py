"""Background work of planning: the site study's thin handler (registered in ready())."""
from carecircle.core.tasks import register_job_handler

SITE_STUDY_JOB = "planning.site_study"


@register_job_handler(SITE_STUDY_JOB)
def run_site_study(job) -> dict:
    from .services import site_study_run

    return site_study_run(study_id=job.params["study"], job=job)


NETWORK_IMPORT_JOB = "planning.network_import"


@register_job_handler(NETWORK_IMPORT_JOB)
def run_network_import(job) -> dict:
    from .services import road_network_import_run

    return road_network_import_run(network_id=job.params["network"], job=job)
