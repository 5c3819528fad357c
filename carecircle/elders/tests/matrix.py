"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

from carecircle.conftest import make_elder


def make_merges(world):
    from carecircle.elders.models import ElderMerge

    for survivor in (*world.district_elders, world.outside.elder):
        duplicate = make_elder(survivor.community, name=f"{survivor.name}副本", birth=survivor.birth_date,
                               status="merged", merged_into=survivor)
        ElderMerge.objects.create(survivor=survivor, merged=duplicate, previous_status="active",
                                  reason="access matrix", merged_by=world.superuser)


def make_imports(world):
    from carecircle.elders.models import ElderImport

    from carecircle.core.models import Job

    d = world.district
    for region in (d.street_a, d.street_b, world.outside.street):
        job = Job.objects.create(kind="elders.import", region=region, created_by=world.superuser)
        ElderImport.objects.create(filename=f"{region.code}.csv", rows="[]", region=region, job=job,
                                   created_by=world.superuser)


def make_contacts(world):
    from carecircle.elders.models import EmergencyContact

    for elder in (*world.district_elders, world.outside.elder):
        EmergencyContact.objects.create(elder=elder, name=f"{elder.name}之子", relation="儿子", phone="13900139000")


MAKERS = {
    "elders.emergencycontact": make_contacts,
    "elders.eldermerge": make_merges,
    "elders.elderimport": make_imports,
}

# Which model a URL key stands for, for views that load their object themselves (get_object_or_404 over
# visible_to) without declaring `model`, `queryset` or `parent_model`. Keyed by route name.
URL_OBJECTS = {
    "elders:edit": {"pk": "elders.elder"},
    "elders:status": {"pk": "elders.elder"},
    "elders:reveal": {"pk": "elders.elder"},
    "elders:merge": {"pk": "elders.elder"},
    "elders:contact-add": {"pk": "elders.elder"},
    "elders:contact-edit": {"pk": "elders.elder", "contact_pk": "elders.emergencycontact"},
    "elders:contact-remove": {"pk": "elders.elder", "contact_pk": "elders.emergencycontact"},
    "elders:merge-undo": {"merge_pk": "elders.eldermerge"},
    "elders:import-preview": {"pk": "elders.elderimport"},
    "elders:import-progress": {"pk": "elders.elderimport"},
}


def _elder_body(world, user):
    import datetime as dt

    from carecircle.core.isolation import visible_to
    from carecircle.elders.identity import make_id_number
    from carecircle.regions.models import Region

    community = visible_to(user, Region).filter(kind="community").order_by("code").first()
    return {"name": "矩阵新老人", "id_number": make_id_number("310104", dt.date(1941, 4, 4), 881, "F"),
            "gender": "F", "community": community.code if community else None, "address": "矩阵路1号",
            "household_type": "alone"}


# A body the user could send successfully; the access matrix swaps each foreign key for one outside the scope.
WRITE_BODIES = {
    "elder-list": _elder_body,
}
