import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from carecircle.benefits import services
from carecircle.benefits.models import Enrolment, LineKind, Notice, PaymentLine, RunStatus
from carecircle.core.workflow import IllegalStep

from .conftest import approve, make_run

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


@pytest.fixture(autouse=True, params=["rows", "sql"])
def method(request, monkeypatch):
    """Every rule here holds for the per-row run and for the set-based one, on either database."""
    monkeypatch.setattr(services, "RUN_METHOD", request.param)
    return request.param


def lines_of(run):
    return sorted((l.elder.name, l.kind, l.for_month, l.band, l.amount)
                  for l in PaymentLine.objects.filter(run=run).select_related("elder"))


def test_catch_up_enrols_by_age_from_the_id_number_and_residence(roll):
    enrolled = {e.elder.name: e.band for e in Enrolment.objects.select_related("elder")}
    assert enrolled == {"张三明": 80, "李秀英": 90, "王建国": 70, "赵八十": 70, "钱闰日": 80}
    assert "孙外地" not in enrolled  # a resident without local registration does not qualify here


def test_band_moves_up_in_the_month_of_the_birthday(roll, users):
    run = make_run(roll, users, FEB)
    line = PaymentLine.objects.get(run=run, elder=roll.extra["leap"])
    assert (line.band, line.amount) == (90, Decimal("350.00"))  # born 29 Feb: 90 in February 2026
    assert line.rule["key"] == "benefits.age_allowance.bands[90]" and line.rule["value"] == "350.00"
    assert Notice.objects.filter(elder=roll.extra["leap"], kind="band_up", month=FEB).count() == 1
    jan = make_run(roll, users, JAN)
    assert PaymentLine.objects.get(run=jan, elder=roll.extra["leap"]).amount == Decimal("180.00")
    nov = make_run(roll, users, dt.date(2026, 11, 1))
    assert PaymentLine.objects.get(run=nov, elder=roll.extra["eighty"]).band == 70
    dec = make_run(roll, users, dt.date(2026, 12, 1))
    line = PaymentLine.objects.get(run=dec, elder=roll.extra["eighty"])
    assert (line.band, line.amount) == (80, Decimal("180.00"))  # birthday on 31 December counts for December


def test_a_run_made_again_gives_the_same_lines_and_totals(roll, users):
    first = make_run(roll, users, JAN)
    before = lines_of(first)
    again = services.run_make(actor=users.district_admin, region=roll.district, month=JAN)
    assert again.pk == first.pk and lines_of(again) == before
    assert again.total == sum(l[4] for l in before)
    assert services.run_summary(again) == {"month": "2026-01", "beneficiaries": 5, "total": "1010.00",
                                           "by_band": {"70": "300.00", "80": "360.00", "90": "350.00"}}


def test_an_approved_run_is_frozen(roll, users):
    run = approve(make_run(roll, users, JAN), users)
    before = lines_of(run)
    with pytest.raises(IllegalStep):
        services.run_make(actor=users.district_admin, region=roll.district, month=JAN)
    with pytest.raises(IllegalStep):
        services.run_adjust(actor=users.district_admin, run=run, elder=roll.elders.a1, amount="10.00",
                            for_month=JAN, reason="更正")
    with pytest.raises(IllegalStep):
        services.run_step(actor=users.district_admin, run=run, action="approve")
    assert lines_of(run) == before


def test_street_staff_cannot_check_or_approve(roll, users):
    run = make_run(roll, users, JAN)
    with pytest.raises(IllegalStep):
        services.run_step(actor=users.street_staff, run=run, action="check")


@pytest.mark.parametrize("died", [dt.date(2026, 2, 1), dt.date(2026, 2, 28)])
def test_death_stops_from_the_next_month_and_a_paid_month_after_it_is_recovered(
        roll, users, died, django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status

    approve(make_run(roll, users, JAN), users)
    approve(make_run(roll, users, FEB), users)
    approve(make_run(roll, users, MAR), users)  # March paid before the death was known
    elder = roll.elders.a1
    with django_capture_on_commit_callbacks(execute=True):  # the outbox event is delivered on commit
        elder_change_status(actor=users.district_admin, elder=elder, status="deceased", on=died, reason="死亡证明")
    enrolment = Enrolment.objects.get(elder=elder)
    assert enrolment.status == "stopped" and enrolment.stop_on == died
    run = make_run(roll, users, APR)
    mine = [(l.kind, l.for_month, l.amount, l.status) for l in PaymentLine.objects.filter(run=run, elder=elder)]
    assert mine == [(LineKind.RECOVERY, MAR, Decimal("-180.00"), "to_recover")]  # February stays paid
    assert run.recovery_total == Decimal("180.00")
    approve(run, users)
    letter = Notice.objects.get(elder=elder, kind="recovery", month=MAR)
    assert "180.00" in letter.body and "2026-03" in letter.body
    may = make_run(roll, users, dt.date(2026, 5, 1))
    assert not PaymentLine.objects.filter(run=may, elder=elder).exists()  # recovered once, not again


def test_application_approved_late_is_paid_as_arrears(roll, users, monkeypatch):
    from carecircle.benefits.models import BenefitApplication
    from carecircle.conftest import make_elder

    elder = make_elder(roll.a1, name="周补发", birth=dt.date(1950, 1, 5))
    Enrolment.objects.filter(elder=elder).delete()
    approve(make_run(roll, users, JAN), users)
    approve(make_run(roll, users, FEB), users)
    application = services.application_submit(actor=users.street_staff, elder=elder, programme="age_allowance",
                                              channel="window")
    BenefitApplication.objects.filter(pk=application.pk).update(
        submitted_at=dt.datetime(2026, 1, 20, 10, tzinfo=dt.timezone.utc))
    application.refresh_from_db()
    services.application_decide(actor=users.street_staff, application=application, action="approve")
    run = make_run(roll, users, MAR)
    mine = sorted((l.kind, l.for_month, l.amount) for l in PaymentLine.objects.filter(run=run, elder=elder))
    assert mine == [(LineKind.ARREARS, JAN, Decimal("150.00")), (LineKind.ARREARS, FEB, Decimal("150.00")),
                    (LineKind.REGULAR, MAR, Decimal("150.00"))]


def test_adjustment_is_a_separate_line_and_kept_when_the_run_is_made_again(roll, users):
    run = make_run(roll, users, JAN)
    services.run_adjust(actor=users.district_admin, run=run, elder=roll.elders.a1, amount="12.34", for_month=JAN,
                        reason="上月少发")
    run = services.run_make(actor=users.district_admin, region=roll.district, month=JAN)
    kinds = sorted(PaymentLine.objects.filter(run=run, elder=roll.elders.a1).values_list("kind", "amount"))
    assert kinds == [(LineKind.ADJUSTMENT, Decimal("12.34")), (LineKind.REGULAR, Decimal("180.00"))]
    assert run.total == Decimal("1022.34")
    for bad in ("abc", "0", "1.234x", "-100000000"):
        with pytest.raises(ValidationError):
            services.run_adjust(actor=users.district_admin, run=run, elder=roll.elders.a1, amount=bad,
                                for_month=JAN, reason="x")
    with pytest.raises(ValidationError):
        services.run_adjust(actor=users.district_admin, run=run, elder=roll.elders.a1, amount="5", for_month=JAN,
                            reason=" ")
