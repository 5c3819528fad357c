import datetime as dt

import pytest

from carecircle.benefits import services
from carecircle.benefits.models import PaymentRun, RunStatus
from carecircle.core.workflow import IllegalStep

from .conftest import make_run


@pytest.mark.django_db(transaction=True)
def test_a_run_approved_twice_at_once_is_approved_once(roll, users, race):
    run = make_run(roll, users, dt.date(2026, 1, 1))
    services.run_step(actor=users.district_admin, run=run, action="check")
    results = race.run(lambda: services.run_step(actor=users.district_admin, run=run, action="approve"),
                       lambda: services.run_step(actor=users.district_admin, run=run, action="approve"))
    winners = [r for r in results if isinstance(r, PaymentRun)]
    losers = [r for r in results if isinstance(r, IllegalStep)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert PaymentRun.objects.get(pk=run.pk).status == RunStatus.APPROVED
