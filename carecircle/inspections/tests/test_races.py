"""Two phones submitting one inspection at the same moment (a second tap, a reconnecting phone resending its
saved copy): exactly one submission is taken; the other meets the submitted inspection and is refused with
IllegalStep (409 in the API, the message on the page) — never two results, never half of both."""
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.inspections import services
from carecircle.inspections.choices import InspectionStatus
from carecircle.inspections.models import Inspection, StarRating

from .conftest import full_points


def test_an_inspection_submitted_twice_at_once_is_submitted_once(world, race):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    points = full_points(inspection.scheme)
    lower = {**points, "V01": 200}

    def submit(p):
        return lambda: services.inspection_submit(actor=world.users.inspector, inspection=inspection, points=p)

    results = race.run(submit(points), submit(lower), ordered=True)
    assert isinstance(results[0], Inspection), results
    assert isinstance(results[1], IllegalStep), results
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED and inspection.total == 500
    assert AuditEvent.objects.filter(action="inspections.submit", subject_id=str(inspection.pk)).count() == 1


def test_a_facility_rated_twice_at_once_has_one_rating_in_force(world, race):
    first = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    second = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    for inspection in (first, second):
        services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                                   points=full_points(inspection.scheme))

    def rate(inspection):
        return lambda: services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)

    results = race.run(rate(first), rate(second))
    assert all(isinstance(r, StarRating) for r in results), results
    assert StarRating.objects.filter(facility=world.station, status="in_force").count() == 1
    assert StarRating.objects.filter(facility=world.station, status="superseded").count() == 1
