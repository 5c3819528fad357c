import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.inspections import selectors, services
from carecircle.inspections.choices import InspectionKind, InspectionStatus, NoticeStatus, ProblemStatus
from carecircle.inspections.models import Inspection, RatingScheme, StarRating

from .conftest import full_points, png

pytestmark = pytest.mark.django_db


def station_inspection(world, **kwargs):
    return services.inspection_create(actor=world.users.district_admin, facility=world.station,
                                      kind=InspectionKind.UNANNOUNCED, **kwargs)


def test_the_migration_loaded_every_scheme_and_loading_again_changes_nothing(world):
    codes = set(RatingScheme.objects.values_list("code", flat=True))
    assert codes == {"station-500", "centre-1000", "institution-1000", "major-hazards-2023"}
    assert services.schemes_load() == []


def test_a_changed_file_with_the_same_version_is_refused(world, tmp_path):
    import json

    data = RatingScheme.objects.get(code="station-500").data
    data["name_zh"] = "改过的名称"
    (tmp_path / "station-500.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError, match="更换版本号"):
        services.schemes_load(directory=tmp_path)


def test_a_new_version_becomes_current_and_the_old_one_stays(world, tmp_path):
    import json

    data = RatingScheme.objects.get(code="station-500").data
    data["version"] = "2027.1"
    (tmp_path / "station-500.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    services.schemes_load(directory=tmp_path)
    assert selectors.scheme_by_code("station-500").version == "2027.1"
    assert RatingScheme.objects.filter(code="station-500").count() == 2


def test_the_plan_of_a_quarter(world):
    created = services.plan_generate(actor=world.users.district_admin, year=2026, quarter=4)
    assert {(i.facility, i.kind, i.period, i.due_on) for i in created} == {
        (world.centre, InspectionKind.QUARTERLY, "2026Q4", dt.date(2026, 12, 31)),
        (world.station, InspectionKind.QUARTERLY, "2026Q4", dt.date(2026, 12, 31)),
    }
    assert created[0].scheme.code in ("centre-1000", "station-500")
    assert {i.facility: i.scheme.code for i in created} == {world.centre: "centre-1000", world.station: "station-500"}
    # Twice: nothing new.
    assert services.plan_generate(actor=world.users.district_admin, year=2026, quarter=4) == []


def test_rated_facilities_get_a_recheck_by_the_policy_share(world):
    inspection = _submitted(world, world.station)
    services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    later = quarter + 1 if quarter < 4 else 1
    year = today.year if quarter < 4 else today.year + 1
    created = services.plan_generate(actor=world.users.district_admin, year=year, quarter=later)
    rechecks = [i for i in created if i.kind == InspectionKind.RECHECK]
    # One rated facility: 10 % of 1 rounds up to one re-check, unannounced.
    assert [(r.facility, r.unannounced) for r in rechecks] == [(world.station, True)]


def test_only_the_district_plans(world):
    with pytest.raises(PermissionDenied):
        services.plan_generate(actor=world.users.inspector, year=2026, quarter=4)
    with pytest.raises(ValidationError):
        services.plan_generate(actor=world.users.district_admin, year=2026, quarter=5)


def _submitted(world, facility, points=None, hard_stops=(), actor=None):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=facility,
                                            kind=InspectionKind.UNANNOUNCED)
    actor = actor or world.users.inspector
    return services.inspection_submit(actor=actor, inspection=inspection,
                                      points=points or full_points(inspection.scheme), hard_stops=list(hard_stops))


def test_a_perfect_station_is_five_stars(world):
    inspection = _submitted(world, world.station)
    assert (inspection.total, inspection.stars, inspection.passed) == (Decimal("500"), 5, True)
    assert inspection.status == InspectionStatus.SUBMITTED
    assert inspection.trace["rules"][0]["kind"] == "band"


def test_exactly_forty_percent_of_a_part_keeps_the_band(world):
    points = {"S01": 0, "S02": 20, "V01": 300, "M01": 70, "F01": 80}
    inspection = _submitted(world, world.station, points=points)
    assert inspection.stars == 5


def test_one_point_under_forty_percent_of_a_part_no_star(world):
    points = {"S01": 0, "S02": 19, "V01": 300, "M01": 70, "F01": 80}
    inspection = _submitted(world, world.station, points=points)
    assert inspection.total == Decimal("469") and inspection.stars == 0 and inspection.passed
    assert [r["part"] for r in inspection.trace["rules"] if r["kind"] == "part_below_minimum"] == ["safety"]


def test_a_hard_stop_fails_a_perfect_score(world):
    inspection = _submitted(world, world.station, hard_stops=["H02"])
    assert inspection.total == Decimal("500")
    assert (inspection.stars, inspection.passed, inspection.hard_stops) == (0, False, ["H02"])


def test_a_score_above_the_item_maximum_is_refused_naming_the_item(world):
    inspection = station_inspection(world)
    with pytest.raises(ValidationError) as caught:
        services.inspection_save(actor=world.users.inspector, inspection=inspection, points={"S01": 11})
    assert "S01" in caught.value.message_dict["points"][0] and "10" in caught.value.message_dict["points"][0]
    inspection.refresh_from_db()
    assert inspection.points == {} and inspection.status == InspectionStatus.PLANNED


def test_submission_needs_every_item(world):
    inspection = station_inspection(world)
    with pytest.raises(ValidationError, match="未评分"):
        services.inspection_submit(actor=world.users.inspector, inspection=inspection, points={"S01": 10})
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED


def test_an_unknown_hazard_is_refused(world):
    inspection = station_inspection(world)
    with pytest.raises(ValidationError) as caught:
        services.inspection_save(actor=world.users.inspector, inspection=inspection, points={}, hard_stops=["H99"])
    assert "H99" in caught.value.message_dict["hard_stops"][0]


def test_a_draft_keeps_partial_answers(world):
    inspection = station_inspection(world)
    services.inspection_save(actor=world.users.inspector, inspection=inspection, points={"S01": "9.5"},
                             item_notes={"S01": "  台账齐全 "}, notes="初查")
    inspection.refresh_from_db()
    assert inspection.points == {"S01": "9.5"} and inspection.item_notes == {"S01": "台账齐全"}
    assert inspection.status == InspectionStatus.IN_PROGRESS


def test_agency_staff_inspect_only_what_their_agency_is_assigned(world):
    assigned = station_inspection(world, agency=world.agency)
    other = station_inspection(world, agency=world.other_agency)
    district_only = station_inspection(world)
    seen = set(selectors.inspections_for(world.agency_inspector).values_list("pk", flat=True))
    assert seen == {assigned.pk}
    with pytest.raises(PermissionDenied, match="没有分派给您"):
        services.inspection_save(actor=world.agency_inspector, inspection=other, points={})
    with pytest.raises(PermissionDenied):
        services.inspection_save(actor=world.agency_inspector, inspection=district_only, points={})
    # An agency's inspection is the agency's: the district's own inspector does not do it.
    with pytest.raises(PermissionDenied):
        services.inspection_save(actor=world.users.inspector, inspection=assigned, points={})
    services.inspection_save(actor=world.agency_inspector, inspection=assigned, points={"S01": 10})


def test_agency_staff_cannot_start_an_inspection_of_their_own(world):
    with pytest.raises(PermissionDenied, match="受托的检查任务"):
        services.inspection_create(actor=world.agency_inspector, facility=world.centre)


def test_agency_staff_see_notices_and_photos_of_their_assignments_only(world):
    mine = station_inspection(world, agency=world.agency)
    theirs = station_inspection(world, agency=world.other_agency)
    for inspection, inspector in ((mine, world.agency_inspector), (theirs, world.other_inspector)):
        services.inspection_photo_add(actor=inspector, inspection=inspection, upload=png())
        services.inspection_submit(actor=inspector, inspection=inspection, points=full_points(inspection.scheme),
                                   hard_stops=["H01"])
        services.notice_issue(actor=inspector, inspection=inspection,
                              problems=[{"item_code": "H01", "description": "危房", "working_days": 5}])
    assert [n.inspection_id for n in selectors.notices_for(world.agency_inspector)] == [mine.pk]
    assert [p.inspection_id for p in selectors.photos_for(world.agency_inspector)] == [mine.pk]
    assert [p.notice.inspection_id for p in selectors.problems_for(world.agency_inspector)] == [mine.pk]
    # The district sees both.
    assert selectors.notices_for(world.users.district_admin).count() == 2


def test_assigning_to_an_inspector_of_another_agency_is_refused(world):
    inspection = station_inspection(world)
    with pytest.raises(ValidationError, match="不属于所选的受托机构"):
        services.inspection_assign(actor=world.users.district_admin, inspection=inspection,
                                   inspector=world.other_inspector, agency=world.agency)
    with pytest.raises(ValidationError, match="只能分派给监管人员"):
        services.inspection_assign(actor=world.users.district_admin, inspection=inspection,
                                   inspector=world.users.street_staff)
    services.inspection_assign(actor=world.users.district_admin, inspection=inspection,
                               inspector=world.agency_inspector)
    inspection.refresh_from_db()
    assert inspection.agency == world.agency


def test_providers_never_see_planned_visits(world):
    planned = services.inspection_create(actor=world.users.district_admin, facility=world.centre)
    assert not selectors.inspections_for(world.users.provider_admin).filter(pk=planned.pk).exists()
    services.inspection_submit(actor=world.users.inspector, inspection=planned,
                               points=full_points(planned.scheme))
    assert selectors.inspections_for(world.users.provider_admin).filter(pk=planned.pk).exists()


def test_acknowledgement_by_the_facility_operator_only(world):
    inspection = _submitted(world, world.centre)
    with pytest.raises(PermissionDenied):
        services.inspection_acknowledge(actor=world.users.street_staff, inspection=inspection)
    services.inspection_acknowledge(actor=world.users.provider_admin, inspection=inspection, comment="收到")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.ACKNOWLEDGED
    with pytest.raises(IllegalStep):
        services.inspection_acknowledge(actor=world.users.provider_admin, inspection=inspection)


def test_a_photo_must_be_an_image_and_is_refused_after_submission(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inspection = station_inspection(world)
    with pytest.raises(ValidationError) as caught:
        services.inspection_photo_add(actor=world.users.inspector, inspection=inspection,
                                      upload=SimpleUploadedFile("x.png", b"<script>alert(1)</script>"))
    assert "image" in caught.value.message_dict
    photo = services.inspection_photo_add(actor=world.users.inspector, inspection=inspection, upload=png(),
                                          item_code="H03", caption="彩钢板")
    assert photo.content_type == "image/png" and photo.item_code == "H03"
    with pytest.raises(ValidationError):
        services.inspection_photo_add(actor=world.users.inspector, inspection=inspection, upload=png(),
                                      item_code="ZZ")
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme))
    with pytest.raises(IllegalStep):
        services.inspection_photo_add(actor=world.users.inspector, inspection=inspection, upload=png())


def test_the_rectification_journey(world):
    from carecircle.core.workdays import add_working_days

    inspection = _submitted(world, world.centre, hard_stops=["H03"])
    inspector, provider = world.users.inspector, world.users.provider_admin
    with pytest.raises(ValidationError, match="H03"):  # every hard stop must be on the notice
        services.notice_issue(actor=inspector, inspection=inspection,
                              problems=[{"item_code": "S01", "description": "台账缺失", "working_days": 10}])
    with pytest.raises(ValidationError, match="1 至 250"):
        services.notice_issue(actor=inspector, inspection=inspection,
                              problems=[{"item_code": "H03", "description": "彩钢板", "working_days": 0}])
    notice = services.notice_issue(actor=inspector, inspection=inspection, problems=[
        {"item_code": "H03", "description": "彩钢板搭建的活动室", "working_days": 5},
        {"item_code": "S01", "description": "消防维保记录缺失", "working_days": 10}])
    hazard, record = notice.problems.order_by("pk")
    issued = timezone.localdate(notice.issued_at)
    assert hazard.hard_stop and hazard.due_on == add_working_days(issued, 5)
    assert notice.due_on == add_working_days(issued, 10)
    with pytest.raises(ValidationError, match="已经下达过"):
        services.notice_issue(actor=inspector, inspection=inspection,
                              problems=[{"item_code": "H03", "description": "x", "working_days": 5}])
    # Evidence is required.
    with pytest.raises(ValidationError) as caught:
        services.problem_respond(actor=provider, problem=hazard, response="已拆除", upload=None)
    assert "evidence" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.problem_respond(actor=world.users.street_staff, problem=hazard, response="已拆除", upload=png())
    # Closing without the provider's evidence is refused.
    with pytest.raises(IllegalStep):
        services.problem_close(actor=inspector, problem=hazard)
    services.problem_respond(actor=provider, problem=hazard, response="已拆除", upload=png())
    services.problem_close(actor=inspector, problem=hazard, note="现场复查已拆除")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.OPEN
    services.problem_respond(actor=provider, problem=record, response="已补记录", upload=png((0, 0, 200)))
    services.problem_return(actor=inspector, problem=record, reason="记录不全")
    record.refresh_from_db()
    assert record.status == ProblemStatus.OPEN
    services.problem_escalate(actor=inspector, problem=record, escalation="interview", reason="逾期未改")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ESCALATED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"inspections.notice_issue", "inspections.problem_respond", "inspections.problem_close",
            "inspections.problem_escalate"} <= actions


def test_all_problems_closed_closes_the_notice(world):
    inspection = _submitted(world, world.centre)
    notice = services.notice_issue(actor=world.users.inspector, inspection=inspection, problems=[
        {"item_code": "", "description": "应急照明损坏", "working_days": 3}])
    problem = notice.problems.get()
    services.problem_respond(actor=world.users.provider_admin, problem=problem, response="已更换", upload=png())
    services.problem_close(actor=world.users.inspector, problem=problem)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED and notice.closed_at is not None


def test_overdue_problems(world):
    inspection = _submitted(world, world.centre)
    notice = services.notice_issue(actor=world.users.inspector, inspection=inspection, problems=[
        {"item_code": "", "description": "疏散图缺失", "working_days": 2}])
    problem = notice.problems.get()
    assert not selectors.overdue_problems(world.users.district_admin).exists()
    later = problem.due_on + dt.timedelta(days=1)
    assert list(selectors.overdue_problems(world.users.district_admin, on=later)) == [problem]
    assert list(selectors.overdue_problems(world.users.street_staff_b, on=later)) == []


def test_the_rating_follows_the_bands(world):
    inspection = _submitted(world, world.station, points={"S01": 10, "S02": 30, "V01": 250, "M01": 60, "F01": 60})
    assert inspection.stars == 4  # 410
    with pytest.raises(ValidationError, match="6 星不在"):
        services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=6)
    with pytest.raises(ValidationError, match="对应 4 星"):
        services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    with pytest.raises(PermissionDenied):
        services.rating_decide(actor=world.users.inspector, inspection=inspection, stars=4)
    rating = services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=4)
    assert rating.valid_until == rating.valid_from.replace(year=rating.valid_from.year + 3) - dt.timedelta(days=1)
    assert selectors.rating_in_force(world.station) == rating
    # A later rating supersedes it.
    second = _submitted(world, world.station)
    services.rating_decide(actor=world.users.district_admin, inspection=second, stars=5)
    rating.refresh_from_db()
    assert rating.status == "superseded"
    assert StarRating.objects.filter(facility=world.station, status="in_force").count() == 1
    # Many facilities at once, as the month's facility subsidies read them: the same answer as one by one.
    assert selectors.ratings_in_force([world.station.pk]) == {world.station.pk: selectors.rating_in_force(world.station)}
    assert selectors.ratings_in_force([world.station.pk], rating.valid_from - dt.timedelta(days=1)) == {}
    assert selectors.ratings_in_force([]) == {}


def test_no_star_is_not_a_rating(world):
    inspection = _submitted(world, world.station, hard_stops=["H01"])
    with pytest.raises(ValidationError, match="对应 0 星"):
        services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=1)


def test_downgrade_revokes_the_rating_in_force(world):
    inspection = _submitted(world, world.station)
    rating = services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    notice = services.notice_issue(actor=world.users.inspector, inspection=inspection, problems=[
        {"item_code": "S01", "description": "发生责任事故未报告", "working_days": 5}])
    services.problem_escalate(actor=world.users.district_admin, problem=notice.problems.get(),
                              escalation="downgrade", reason="逾期未整改")
    rating.refresh_from_db()
    assert rating.status == "revoked" and selectors.rating_in_force(world.station) is None


def test_the_subsidy_is_the_base_times_the_star_coefficient(world):
    inspection = _submitted(world, world.station)
    rating = services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    # Whole year 2027 under a five-star rating: 50,000 × 1.5.
    assert rating.valid_from.year < 2027 < rating.valid_until.year
    assert selectors.subsidy_for_year(facility=world.station, year=2027) == Decimal("75000.00")
    StarRating.objects.filter(pk=rating.pk).update(valid_from=dt.date(2027, 7, 2))
    # From 2 July: 183 of 365 days.
    assert selectors.subsidy_for_year(facility=world.station, year=2027) == Decimal("37602.74")
    rows = selectors.subsidy_table(world.users.district_admin, year=2027)
    assert [(r["facility"], r["amount"]) for r in rows] == [(world.station, Decimal("37602.74"))]
    assert selectors.subsidy_table(world.users.street_staff, year=2027) == []


def test_the_institution_checklist_is_graded_by_the_reviewer(world):
    from carecircle.providers.models import Facility

    home = Facility.objects.create(organisation=world.district.provider, name="天平养老院", kind="institution",
                                   community=world.district.a1, lat="31.2", lng="121.44")
    inspection = _submitted(world, home)
    assert inspection.stars == 0 and inspection.passed
    with pytest.raises(ValidationError, match="6 星不在"):
        services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=6)
    rating = services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=3)
    assert rating.stars == 3
    failing = _submitted(world, home, hard_stops=["H04"])
    with pytest.raises(ValidationError, match="重大事故隐患"):
        services.rating_decide(actor=world.users.district_admin, inspection=failing, stars=3)
