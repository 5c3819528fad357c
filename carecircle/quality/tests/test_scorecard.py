"""The provider scorecard: the visits' figures, return-visit satisfaction and complaints per 1,000 visits, for
the district (every provider in scope) and for a provider (its own row only); the page sorts and exports."""
import datetime as dt

from carecircle.core.models import AuditEvent
from carecircle.quality import services
from carecircle.quality.selectors import provider_scorecards, sorted_scorecards

from .conftest import at

NOVEMBER = dt.date(2026, 11, 1)


def _visits(quality, organisation, elder, statuses):
    """Visits in November by `organisation`: (status, on time, with an exception) each."""
    from carecircle.providers.models import StaffMember
    from carecircle.visits.models import Visit, VisitException
    from carecircle.workorders.models import WorkOrder

    caregiver = StaffMember.objects.create(organisation=organisation, name="护理员甲", gender="F",
                                           id_number=f"31010419800101{organisation.pk:03d}X", position="caregiver",
                                           id_number_hash=f"quality-test-{organisation.pk}")
    for n, (status, on_time, exception) in enumerate(statuses):
        day = dt.date(2026, 11, 2 + n)
        order = WorkOrder.objects.create(organisation=organisation, elder=elder, date=day, window_start=dt.time(9),
                                         window_end=dt.time(10), duration_minutes=60, source="plan", status="done")
        visit = Visit.objects.create(work_order=order, organisation=organisation, elder=elder, caregiver=caregiver,
                                     date=day, status=status, on_time=on_time)
        if exception:
            VisitException.objects.create(visit=visit)


def _setup(quality):
    d = quality.d
    # 福寿: four visits, three on time, three verified, one with an exception; two return visits (5 and 3).
    _visits(quality, d.provider, d.elders.a1, [("verified", True, False), ("verified", True, False),
                                               ("verified", True, False), ("held", False, True)])
    # 康乐: two visits, both verified and on time.
    _visits(quality, d.other_provider, d.elders.b1, [("verified", True, False), ("verified", True, False)])
    for satisfaction, visit_id in ((5, 900), (3, 901)):
        visit = services.return_visit_create(actor=None, elder=d.elders.a1, reason="sampled", organisation=d.provider,
                                             work_order=quality.visit_a1, visit_id=visit_id)
        services.return_visit_record(actor=quality.u.operator, return_visit=visit, outcome="reached",
                                     satisfaction=satisfaction)
    # One complaint about 福寿 in November, left unanswered past its deadline.
    services.complaint_file(actor=quality.u.operator, elder=d.elders.a1, category="quality", summary="没打扫干净",
                            work_order=quality.visit_a1, now=at(dt.date(2026, 11, 10)))


def test_the_district_sees_every_provider_with_its_figures(quality):
    _setup(quality)
    rows = {row["organisation"]: row for row in provider_scorecards(quality.u.district_admin, month=NOVEMBER,
                                                                   today=dt.date(2026, 12, 1))}
    fushou, kangle = rows["福寿居家养老服务社"], rows["康乐护理站"]
    assert fushou["visits"] == 4
    assert str(fushou["on_time_rate"]) == "75.0" and str(fushou["verified_share"]) == "75.0"
    assert str(fushou["exception_rate"]) == "25.0"
    assert str(fushou["satisfaction"]) == "4.00" and fushou["satisfaction_count"] == 2
    assert fushou["complaints"] == 1 and str(fushou["complaints_per_1000"]) == "250.0"
    assert fushou["complaints_overdue"] == 1
    assert kangle["visits"] == 2 and str(kangle["verified_share"]) == "100.0" and kangle["complaints"] == 0
    assert kangle["satisfaction"] is None


def test_a_provider_sees_its_own_row_and_a_street_its_own_providers(quality):
    _setup(quality)
    own = provider_scorecards(quality.u.provider_admin, month=NOVEMBER)
    assert [row["organisation"] for row in own] == ["福寿居家养老服务社"]
    street_b = provider_scorecards(quality.u.street_staff_b, month=NOVEMBER)
    assert [row["organisation"] for row in street_b] == ["康乐护理站"]


def test_sorting_puts_empty_values_last(quality):
    _setup(quality)
    rows = provider_scorecards(quality.u.district_admin, month=NOVEMBER)
    assert [r["organisation"] for r in sorted_scorecards(rows, "-satisfaction")] == ["福寿居家养老服务社", "康乐护理站"]
    assert [r["organisation"] for r in sorted_scorecards(rows, "verified_share")] == ["福寿居家养老服务社", "康乐护理站"]
    assert [r["organisation"] for r in sorted_scorecards(rows, "-verified_share")] == ["康乐护理站", "福寿居家养老服务社"]


def test_the_page_and_its_export(quality, client):
    from carecircle.core.testing import assert_no_internals

    _setup(quality)
    client.force_login(quality.u.district_admin)
    page = client.get("/quality/scorecard/?month=2026-11&sort=-exception_rate")
    assert page.status_code == 200
    assert_no_internals(page, allow=[quality.u.district_admin.username])
    assert "福寿居家养老服务社" in page.content.decode() and "75.0" in page.content.decode()
    assert 'value="2026-11"' in page.content.decode()  # the month input shows the month asked for
    for bad in ("november", "2026-13", "1999-12"):
        refused = client.get(f"/quality/scorecard/?month={bad}")
        assert refused.status_code == 400 and "YYYY-MM" in refused.content.decode()
    # Full-width digits typed with a Chinese input method are the same month.
    assert client.get("/quality/scorecard/?month=２０２６－１１").status_code == 200
    export = client.get("/quality/scorecard/export.csv?month=2026-11")
    body = export.content.decode("utf-8-sig")
    assert "2026-11,康乐护理站,2,100.0,100.0,0.0,,0,0,0.0,0" in body
    assert AuditEvent.objects.filter(action="data.export", subject_type="quality.scorecard").count() == 1
    client.force_login(quality.u.family)
    assert client.get("/quality/scorecard/").status_code == 403
