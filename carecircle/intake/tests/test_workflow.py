"""The state machine: every legal path of every seeded type, every illegal step, reasons, roles, merges."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AuditEvent
from carecircle.intake import workflow
from carecircle.intake.models import Application, ApplicationEvent, Objection, State
from carecircle.intake.services import (IllegalStep, allowed_actions, application_record_assessment,
                                        application_submit, objection_lodge)

from .helpers import act, submit, to_state

pytestmark = pytest.mark.django_db

FULL_PATHS = {
    "ltci-home": ["accept", "pass_first_review", "pass_district_review", "order_assessment", "*assessed",
                  "publish_notice", "close_notice", "start_service"],
    "gov-purchase": ["accept", "pass_first_review", "pass_district_review", "order_assessment", "*assessed",
                     "publish_notice", "close_notice", "admit"],
    "institution": ["accept", "pass_first_review", "pass_district_review", "order_assessment", "*assessed",
                    "publish_notice", "close_notice", "admit"],
    "call-device": ["accept", "pass_first_review", "pass_district_review", "approve", "start_service"],
    "age-allowance": ["accept", "pass_first_review", "pass_district_review", "publish_notice", "close_notice",
                      "start_service"],
}
EXPECTED_STATES = {
    "ltci-home": ["accepted", "street_passed", "district_passed", "assessment_ordered", "assessed", "public_notice",
                  "approved", "in_service"],
    "gov-purchase": ["accepted", "street_passed", "district_passed", "assessment_ordered", "assessed",
                     "public_notice", "waitlisted", "in_service"],
    "institution": ["accepted", "street_passed", "district_passed", "assessment_ordered", "assessed",
                    "public_notice", "waitlisted", "in_service"],
    "call-device": ["accepted", "street_passed", "district_passed", "approved", "in_service"],
    "age-allowance": ["accepted", "street_passed", "district_passed", "public_notice", "approved", "in_service"],
}


def actor_for(intake, action):
    step = workflow.BY_ACTION[action]
    if workflow.DISTRICT in step.capabilities and workflow.STREET not in step.capabilities:
        return intake.users.district_admin
    return intake.users.street_staff


@pytest.mark.parametrize("code", sorted(FULL_PATHS))
def test_every_seeded_type_end_to_end(intake, today, code):
    app = submit(intake, type_code=code, elder=intake.district.elders.a2, channel="portal",
                 actor=intake.users.family)
    assert app.state == State.REGISTERED and app.due_on is not None
    seen = []
    for action in FULL_PATHS[code]:
        if action == "*assessed":
            application_record_assessment(application=app, level=4, summary="重度")
        else:
            if action == "close_notice":
                notice = app.notices.get(is_open=True)
                today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(9),
                                              tzinfo=today.start.tzinfo))
            assert action in allowed_actions(app, actor_for(intake, action))
            act(app, action, actor_for(intake, action))
        seen.append(app.state)
    assert seen == EXPECTED_STATES[code]
    assert not app.is_open and app.due_on is None
    timeline = [e.to_state for e in app.events.exclude(to_state="")]
    assert timeline == ["registered", *EXPECTED_STATES[code]]
    assert AuditEvent.objects.filter(subject_type="intake.application", subject_id=str(app.pk)).count() >= len(seen)
    # Nothing more can be done with an application in service.
    assert allowed_actions(app, None) == []


def test_correction_and_resubmission_by_the_family(intake, today):
    u = intake.users
    app = submit(intake, elder=intake.district.elders.a2, actor=u.family, channel="portal", documents=["身份证"])
    act(app, "accept", u.street_staff)
    act(app, "return_for_correction", u.street_staff, reason="缺户口簿和申请表")
    assert app.state == State.CORRECTION
    assert "resubmit" in allowed_actions(app, u.family)
    act(app, "resubmit", u.family, documents=["户口簿", "居家养老服务申请表"])
    assert app.state == State.ACCEPTED
    assert app.documents_received == ["身份证", "户口簿", "居家养老服务申请表"]
    act(app, "return_for_correction", u.street_staff, reason="申请表未签字")
    with pytest.raises(ValidationError):
        act(app, "resubmit", u.family, documents=["护照"])
    app.refresh_from_db()
    assert app.state == State.CORRECTION


@pytest.mark.parametrize("action,state,target", [
    ("not_accept", "registered", "not_accepted"),
    ("reject_first_review", "accepted", "street_rejected"),
    ("reject_district_review", "street_passed", "district_rejected"),
])
def test_negative_decisions_need_reasons_and_close_the_application(intake, today, action, state, target):
    app = to_state(intake, submit(intake), state)
    actor = actor_for(intake, action)
    with pytest.raises(ValidationError) as error:
        act(app, action, actor, reason="   ")
    assert "reason" in error.value.error_dict
    app.refresh_from_db()
    assert app.state == state
    act(app, action, actor, reason="不符合条件：户籍不在本区")
    assert app.state == target and not app.is_open
    event = app.events.get(action=action)
    assert event.reason == "不符合条件：户籍不在本区" and event.office == actor.scope_region.name


@pytest.mark.parametrize("state", ["registered", "accepted", "street_passed", "district_passed",
                                   "assessment_ordered", "assessed", "public_notice", "waitlisted"])
def test_withdrawn_at_any_open_step_by_the_applicant(intake, today, state):
    app = to_state(intake, submit(intake, elder=intake.district.elders.a2, actor=intake.users.family,
                                  channel="portal"), state, today=today)
    with pytest.raises(ValidationError):
        act(app, "withdraw", intake.users.family)
    act(app, "withdraw", intake.users.family, reason="家里决定自行照护")
    assert app.state == State.WITHDRAWN and not app.is_open
    if state == "waitlisted":
        assert app.waitlist_entry.status == "left"


def test_every_illegal_transition_is_refused_with_what_is_allowed(intake, today):
    states = ["registered", "accepted", "street_passed", "district_passed", "assessment_ordered", "assessed",
              "public_notice", "waitlisted", "in_service"]
    elders = []
    from carecircle.conftest import make_elder

    for i, state in enumerate(states):
        elder = make_elder(intake.district.a1, name=f"测试{i}", birth=dt.date(1941, 1, 1) + dt.timedelta(days=37 * i))
        code = "ltci-home" if state == "in_service" else "gov-purchase"
        app = to_state(intake, submit(intake, elder=elder, type_code=code), state, today=today)
        today.set(today.start)
        allowed = set(allowed_actions(app, None))
        for step in workflow.STEPS:
            if step.action in allowed:
                continue
            with pytest.raises(IllegalStep) as refused:
                act(app, step.action, None, reason="x", outcome="dismiss")
            assert "当前状态为" in refused.value.message
            assert refused.value.allowed == sorted(allowed, key=[s.action for s in workflow.STEPS].index)
            app.refresh_from_db()
            assert app.state == state
        elders.append(elder)


def test_roles_are_checked_per_step(intake, today):
    u = intake.users
    app = submit(intake)
    with pytest.raises(IllegalStep) as refused:
        act(app, "accept", u.district_admin)
    assert "受理" in refused.value.message
    assert allowed_actions(app, u.family) == []  # not the family's application
    act(app, "accept", u.street_staff)
    act(app, "pass_first_review", u.street_staff)
    with pytest.raises(IllegalStep) as refused:
        act(app, "pass_district_review", u.street_staff)
    assert refused.value.allowed == ["withdraw"]
    with pytest.raises(PermissionDenied):
        act(app, "pass_district_review", u.street_staff_b)  # another street cannot even see it
    with pytest.raises(IllegalStep):
        act(app, "pass_district_review", u.inspector)


def test_a_stale_second_reviewer_is_refused(intake, today):
    u = intake.users
    app = to_state(intake, submit(intake), "street_passed")
    first_copy = Application.objects.get(pk=app.pk)
    second_copy = Application.objects.get(pk=app.pk)
    act(first_copy, "pass_district_review", u.district_admin)
    with pytest.raises(IllegalStep):
        act(second_copy, "reject_district_review", u.district_admin, reason="另一位审核人同时点了不通过")
    app.refresh_from_db()
    assert app.state == State.DISTRICT_PASSED
    assert app.events.filter(action__in=["pass_district_review", "reject_district_review"]).count() == 1


class TestMerging:
    def test_channels_merge_into_one_open_application(self, intake, today):
        u = intake.users
        elder = intake.district.elders.a1
        first = application_submit(elder=elder, type_code="gov-purchase", channel="community",
                                   actor=u.community_worker, documents=["身份证"])
        assert not first.merged
        second = application_submit(elder=elder, type_code="gov-purchase", channel="hotline", actor=u.operator,
                                    applicant_name="张小明", applicant_relation="儿子")
        third = application_submit(elder=elder, type_code="gov-purchase", channel="portal", actor=u.elder,
                                   documents=["户口簿", "身份证"])
        assert second.merged and third.merged
        assert second.application.pk == third.application.pk == first.application.pk
        app = first.application
        app.refresh_from_db()
        assert Application.objects.count() == 1
        assert app.channel == "community" and app.documents_received == ["身份证", "户口簿"]
        merges = list(app.events.filter(action="merged").values_list("channel", flat=True))
        assert merges == ["hotline", "portal"]
        assert AuditEvent.objects.filter(action="intake.application_merged").count() == 2

    def test_other_types_and_closed_applications_are_not_merged(self, intake, today):
        u = intake.users
        elder = intake.district.elders.a1
        a = application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.street_staff)
        b = application_submit(elder=elder, type_code="call-device", channel="window", actor=u.street_staff)
        assert a.application.pk != b.application.pk and not b.merged
        act(a.application, "not_accept", u.street_staff, reason="材料不全")
        c = application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.street_staff)
        assert not c.merged and c.application.pk != a.application.pk

    def test_bad_submissions(self, intake):
        u = intake.users
        elder = intake.district.elders.a1
        with pytest.raises(ValidationError) as error:
            application_submit(elder=elder, type_code="nope", channel="window", actor=u.street_staff)
        assert "type" in error.value.error_dict
        with pytest.raises(ValidationError) as error:
            application_submit(elder=elder, type_code="gov-purchase", channel="fax", actor=u.street_staff)
        assert "channel" in error.value.error_dict
        with pytest.raises(ValidationError) as error:
            application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.elder)
        assert "channel" in error.value.error_dict  # an elder applies on the portal
        with pytest.raises(ValidationError) as error:
            application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.street_staff,
                               documents=["护照"])
        assert "documents" in error.value.error_dict
        with pytest.raises(PermissionDenied):
            application_submit(elder=intake.district.elders.b1, type_code="gov-purchase", channel="window",
                               actor=u.street_staff)
        with pytest.raises(PermissionDenied):
            application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.inspector)
        elder.status = "deceased"
        elder.save()
        with pytest.raises(ValidationError):
            application_submit(elder=elder, type_code="gov-purchase", channel="window", actor=u.street_staff)
        assert not Application.objects.exists()


class TestObjections:
    def test_objection_sends_the_case_to_another_agency(self, intake, today):
        from carecircle.providers.models import Organisation

        second_agency = Organisation.objects.create(name="公信评估中心", kind="assessment_agency",
                                                    credit_code="91310104MA1FL0099X",
                                                    region=intake.district.district)
        u = intake.users
        app = to_state(intake, submit(intake), "public_notice")
        first_agency = app.assessment_agency
        notice = app.notices.get()
        objection_lodge(notice=notice, lodged_by="邻居", phone="", text="老人能自己买菜做饭，评估偏重。")
        with pytest.raises(IllegalStep) as refused:
            act(app, "close_notice", u.street_staff)
        assert "异议" in refused.value.message
        with pytest.raises(ValidationError):
            act(app, "answer_objection", u.street_staff, reason="复评", outcome="maybe")
        act(app, "answer_objection", u.district_admin, reason="异议属实，另派机构复评", outcome="reassess")
        assert app.state == State.ASSESSMENT_ORDERED
        assert app.assessment_agency not in (None, first_agency)
        assert {first_agency.pk, second_agency.pk} == set(app.previous_agency_ids)
        objection = Objection.objects.get()
        assert objection.outcome == "reassess" and objection.answer == "异议属实，另派机构复评"
        notice.refresh_from_db()
        assert not notice.is_open
        assert app.events.filter(action="objection_lodged").exists()

    def test_objection_back_to_review_or_dismissed(self, intake, today):
        u = intake.users
        app = to_state(intake, submit(intake), "public_notice")
        notice = app.notices.get()
        objection_lodge(notice=notice, lodged_by="王某", phone="13900001111", text="家中有子女同住，并非独居。")
        act(app, "answer_objection", u.street_staff, reason="经核实不属实", outcome="dismiss")
        assert app.state == State.PUBLIC_NOTICE
        objection_lodge(notice=notice, lodged_by="李某", phone="", text="收入情况与申报不符，请核实。")
        act(app, "answer_objection", u.street_staff, reason="需重新审核收入", outcome="review")
        assert app.state == State.STREET_PASSED
        assert "pass_district_review" in allowed_actions(app, u.district_admin)

    def test_objections_only_during_the_period(self, intake, today):
        app = to_state(intake, submit(intake), "public_notice")
        notice = app.notices.get()
        with pytest.raises(ValidationError) as error:
            objection_lodge(notice=notice, lodged_by="", phone="abc", text="")
        assert set(error.value.error_dict) == {"lodged_by", "phone", "text"}
        today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(9), tzinfo=today.start.tzinfo))
        with pytest.raises(ValidationError):
            objection_lodge(notice=notice, lodged_by="某人", phone="", text="公示期后才提出的异议")
        assert not Objection.objects.exists()

    def test_notice_cannot_close_early(self, intake, today):
        app = to_state(intake, submit(intake), "public_notice")
        with pytest.raises(IllegalStep) as refused:
            act(app, "close_notice", intake.users.street_staff)
        assert "期满" in refused.value.message


def test_assessment_result_only_when_ordered(intake, today):
    app = submit(intake)
    with pytest.raises(IllegalStep):
        application_record_assessment(application=app, level=3, summary="")
    app = to_state(intake, submit(intake, elder=intake.district.elders.a2), "assessment_ordered")
    with pytest.raises(ValidationError):
        application_record_assessment(application=app, level=9, summary="")
    assert ApplicationEvent.objects.filter(action="assessed").count() == 0


def test_the_step_table_is_the_shared_workflow_and_its_refusal_is_the_shared_exception(intake):
    from carecircle.core import workflow as core_workflow

    app = submit(intake)
    street = intake.users.street_staff
    assert core_workflow.workflow_for(app) is workflow.FLOW
    assert core_workflow.allowed_actions(app, street) == allowed_actions(app, street) == ["accept", "not_accept",
                                                                                          "withdraw"]
    assert IllegalStep is core_workflow.IllegalStep
    with pytest.raises(core_workflow.IllegalStep) as refused:
        act(app, "pass_first_review", street)
    assert refused.value.allowed == ["accept", "not_accept", "withdraw"]
    assert "不能“初审通过”" in refused.value.message and "受理、不予受理、撤回申请" in refused.value.message


def test_a_final_assessment_moves_the_application_in_the_name_of_the_confirming_assessor(intake):
    from carecircle.core.models import OutboxEvent

    app = to_state(intake, submit(intake, type_code="ltci-home"), "assessed")
    assessed = app.events.get(action="assessed")
    first, second = intake.assessors
    assert assessed.actor == second and assessed.to_state == State.ASSESSED
    event = OutboxEvent.objects.get(name="assessment.finalised", payload__application=app.pk)
    assert event.delivered_at is not None and event.actor == second
    assert list(event.deliveries.values_list("handler", flat=True)) == ["intake.record_assessment_result"]
