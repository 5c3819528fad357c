"""The set-based run (one INSERT … SELECT and one comparison query) and the per-row run give the same lines.

Both are made on the same data, on whichever database the suite runs on (SQLite or PostgreSQL), through a
history that touches every rule: band edges in the month of the 80th, 90th, 95th and 100th birthday, a policy
table changed from one month on and another changed backwards, a failed payment, a death after a paid month, a
late application paid as arrears, a manual adjustment, and runs made again while not approved.
"""
import datetime as dt
import json
from decimal import Decimal

import pytest

from carecircle.benefits import services
from carecircle.benefits.models import BenefitApplication, LineKind, LineStatus, PaymentLine
from carecircle.conftest import make_elder
from carecircle.core.models import PolicyParameter
from carecircle.regions.models import Region

from .conftest import approve

JAN, FEB, MAR, APR, MAY = (dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5))
WITH_95 = {"65": "75.00", "70": "150.00", "80": "180.00", "90": "350.00", "95": "500.00", "100": "600.00"}


def lines(run):
    return sorted((line.elder_id, line.kind, line.for_month, line.band, line.amount, line.status, line.note,
                   json.dumps(line.rule, sort_keys=True, ensure_ascii=False))
                  for line in PaymentLine.objects.filter(run=run))


def totals(run):
    run.refresh_from_db()
    return run.beneficiaries, run.total, run.recovery_total


def make_both(d, users, month):
    """The month's run made per row, then set-based, then set-based again: every time the same lines."""
    services.enrolments_sweep(actor=users.district_admin, region=d.district, month=month)
    run = services.run_make(actor=users.district_admin, region=d.district, month=month, method="rows")
    by_rows, sums = lines(run), totals(run)
    assert by_rows, "a run with no lines proves nothing"
    for _again in range(2):
        run = services.run_make(actor=users.district_admin, region=d.district, month=month, method="sql")
        assert lines(run) == by_rows
        assert totals(run) == sums
        assert PaymentLine.objects.filter(run=run).count() == len(by_rows)  # nothing duplicated
    return run


def set_bands(table, since):
    PolicyParameter.objects.create(key="benefits.age_allowance.bands", region=Region.objects.get(code="310000"),
                                   value=table, effective_from=since, source="测试", confidence="local")


@pytest.fixture
def edges(roll):
    d = roll
    d.edge = {
        80: make_elder(d.a1, name="满八十", birth=dt.date(1946, 4, 30)),
        90: make_elder(d.a2, name="满九十", birth=dt.date(1936, 4, 1), gender="F"),
        95: make_elder(d.b1, name="满九五", birth=dt.date(1931, 4, 15)),
        100: make_elder(d.a1, name="满百岁", birth=dt.date(1926, 4, 10), gender="F"),
    }
    return d


def test_both_paths_give_identical_lines_through_a_history(edges, users, django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status

    d = edges
    set_bands(WITH_95, MAR)  # a 95 band from March on
    services.enrolments_sweep(actor=users.district_admin, region=d.district, month=JAN, catch_up=True)
    jan = approve(make_both(d, users, JAN), users)
    failed = PaymentLine.objects.get(run=jan, elder=d.elders.b1)
    PaymentLine.objects.filter(pk=failed.pk).update(status=LineStatus.FAILED, failure_reason="账户冻结")
    feb = approve(make_both(d, users, FEB), users)
    assert PaymentLine.objects.get(run=feb, elder=d.elders.b1, kind=LineKind.RETRY).for_month == JAN
    approve(make_both(d, users, MAR), users)
    # after March was paid: a death in February, a late application from January, a table changed backwards
    with django_capture_on_commit_callbacks(execute=True):
        elder_change_status(actor=users.district_admin, elder=d.elders.a1, status="deceased",
                            on=dt.date(2026, 2, 15), reason="死亡证明")
    late = make_elder(d.a2, name="周补发", birth=dt.date(1950, 1, 5))
    application = services.application_submit(actor=users.street_staff, elder=late, programme="age_allowance",
                                              channel="window")
    BenefitApplication.objects.filter(pk=application.pk).update(
        submitted_at=dt.datetime(2026, 1, 20, 10, tzinfo=dt.timezone.utc))
    application.refresh_from_db()
    services.application_decide(actor=users.street_staff, application=application, action="approve")
    set_bands({**WITH_95, "90": "360.00"}, FEB)  # the 90 band raised from February, decided in April
    set_bands({**WITH_95, "90": "360.00"}, MAR)
    draft = services.run_make(actor=users.district_admin, region=d.district, month=APR, method="sql")
    services.run_adjust(actor=users.district_admin, run=draft, elder=d.elders.b1, amount="-20.00", for_month=MAR,
                        reason="多发更正")
    apr = make_both(d, users, APR)
    mine = {(line.elder_id, line.kind, line.for_month): line.amount for line in PaymentLine.objects.filter(run=apr)}
    assert mine[(d.elders.a1.pk, LineKind.RECOVERY, MAR)] == Decimal("-180.00")  # paid after the death
    assert (d.elders.a1.pk, LineKind.REGULAR, APR) not in mine
    assert mine[(late.pk, LineKind.ARREARS, JAN)] == Decimal("150.00")
    assert mine[(d.elders.a2.pk, LineKind.ARREARS, FEB)] == Decimal("10.00")  # 360 owed, 350 paid
    assert mine[(d.elders.b1.pk, LineKind.ADJUSTMENT, MAR)] == Decimal("-20.00")  # kept through every remake
    for age, elder in d.edge.items():
        assert PaymentLine.objects.get(run=apr, elder=elder, kind=LineKind.REGULAR).band == age
    approve(apr, users)
    may = make_both(d, users, MAY)
    assert not PaymentLine.objects.filter(run=may, elder=d.elders.a1).exists()  # recovered once, not again


@pytest.mark.parametrize("method", ["rows", "sql"])
def test_band_edges_in_the_month_of_the_birthday(edges, users, method):
    """Each elder is in the lower band in March and in the band of the birthday in April, whichever day of
    April it falls on; the amounts are the policy's."""
    d = edges
    set_bands(WITH_95, JAN)
    services.enrolments_sweep(actor=users.district_admin, region=d.district, month=JAN, catch_up=True)
    expected = {80: (70, 80), 90: (80, 90), 95: (90, 95), 100: (95, 100)}
    amounts = {int(k): Decimal(v) for k, v in WITH_95.items()}
    for month, column in ((MAR, 0), (APR, 1)):
        services.enrolments_sweep(actor=users.district_admin, region=d.district, month=month)
        run = services.run_make(actor=users.district_admin, region=d.district, month=month, method=method)
        for age, elder in d.edge.items():
            line = PaymentLine.objects.get(run=run, elder=elder, kind=LineKind.REGULAR)
            band = expected[age][column]
            assert (line.band, line.amount) == (band, amounts[band]), (age, month)
            assert line.rule["key"] == f"benefits.age_allowance.bands[{band}]"
