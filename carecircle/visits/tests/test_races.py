"""Two check-ins of one visit at once: exactly one wins, the other gets the 409 it would get a second later."""
import pytest
from django.utils import timezone

from carecircle.core.workflow import IllegalStep
from carecircle.visits import services
from carecircle.visits.models import Visit, VisitEvent


def proof():
    return services.Proof(lat=31.205, lng=121.445, accuracy_m=10, datum="wgs84", device_time=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_one_wins(field, race):
    def check_in(key):
        return lambda: services.visit_check_in(actor=field.users.caregiver, work_order=field.order, proof=proof(),
                                               key=key, fingerprint=key)

    results = race.run(check_in("a"), check_in("b"))
    wins = [r for r in results if isinstance(r, services.Outcome)]
    losses = [r for r in results if isinstance(r, IllegalStep)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert Visit.objects.count() == 1 and VisitEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_one_key_store_one_event(field, race):
    def check_in():
        return services.visit_check_in(actor=field.users.caregiver, work_order=field.order, proof=proof(), key="k",
                                       fingerprint="same")

    results = race.run(check_in, check_in)
    assert all(isinstance(r, services.Outcome) for r in results), results
    assert sorted(r.replayed for r in results) == [False, True]
    assert VisitEvent.objects.count() == 1
