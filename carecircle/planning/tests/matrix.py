"""Rows for the access matrix: candidate sites and site studies in street A, street B and the neighbouring
district."""


def make_sites(world):
    from carecircle.planning.models import CandidateSite

    d = world.district
    for region in (d.street_a, d.street_b, world.outside.street):
        CandidateSite.objects.create(region=region, name=f"{region.name}候选用房", lat="31.200000", lng="121.440000")


def make_studies(world):
    from carecircle.planning.models import SiteStudy, StudyStatus

    d = world.district
    for region in (d.street_a, d.street_b, world.outside.street):
        SiteStudy.objects.create(region=region, facility_kind="meal_point", radius_m=1000, site_count=2,
                                 status=StudyStatus.DONE, result={"uncovered": 0, "candidates": 0, "optimal": [],
                                                                  "naive": [], "optimal_total": 0, "naive_total": 0,
                                                                  "solver_status": "Optimal"})


MAKERS = {"planning.candidatesite": make_sites, "planning.sitestudy": make_studies}
URL_OBJECTS = {"planning:guide-edit": {"facility_id": "providers.facility"}}
