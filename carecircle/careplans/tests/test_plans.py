"""Care plans: generated from the level and entitlement, edited within it, changed by a new level, stopped
by death, moving away or admission — and explained to provider and family."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.careplans import services
from carecircle.careplans.models import CarePlan, PlanChangeKind, PlanStatus, StopReason, VisitFunding
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .conftest import MONDAY, set_level


def visit(weekday, start="09:00", end="10:00", minutes=60, items=()):
    return {"weekday": weekday, "window_start": start, "window_end": end, "duration_minutes": minutes,
            "items": [{"item": code, "quantity": 1} for code in items]}


def test_level_4_elder_gets_five_one_hour_visits_from_the_provider(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, weekdays=[0, 2, 4],
                                     window_start=dt.time(9, 0), items=[("ltci-b01", 1), ("ltci-b15", 1)])
    visits = list(plan.visits.order_by("weekday"))
    assert [v.weekday for v in visits] == [0, 1, 2, 3, 4]  # the preferred days first, then spread over the week
    assert {v.duration_minutes for v in visits} == {60}
    assert {v.funding for v in visits} == {VisitFunding.PLAN}
    assert [line.item.code for line in visits[0].lines.all()] == ["ltci-b01", "ltci-b15"]
    assert (plan.care_level, plan.visits_per_week_entitled, plan.minutes_per_visit_entitled) == (4, 5, 60)
    assert plan.organisation == users.provider_admin.organisation
    change = plan.changes.get()
    assert change.kind == PlanChangeKind.CREATED and "每周 5 次" in change.explanation
    # 45.00 an hour (care worker, local price), fund 90 % on the plan basis: 5 × (40.50 + 4.50).
    assert "基金 202.50 元" in change.explanation and "个人自付 22.50 元" in change.explanation
    assert AuditEvent.objects.filter(action="careplans.plan_create", subject_id=str(plan.pk)).exists()


def test_a_plan_that_exceeds_its_entitlement_shows_the_self_pay_before_it_is_saved(level4, users):
    six = [visit(day) for day in range(6)]
    with pytest.raises(ValidationError) as refused:
        services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, visits=six)
    assert "1 次上门需自费，每周自付 45.00 元" in str(refused.value)
    assert not CarePlan.objects.exists()  # nothing half written

    preview = services.plan_preview(elder=level4, visits=services.clean_visits(six), on=MONDAY)
    assert preview.excess_count == 1 and preview.excess_self_pay == Decimal("45.00")
    assert preview.visits[5].funding == VisitFunding.SELF_PAY and "超过每周 5 次" in preview.visits[5].reason
    assert preview.weekly_fund == Decimal("202.50") and preview.weekly_self_pay == Decimal("67.50")

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, visits=six,
                                     accept_self_pay=True)
    assert plan.visits.filter(funding=VisitFunding.SELF_PAY).count() == 1


def test_a_visit_longer_than_the_entitled_hour_is_beyond_the_entitlement(level4, users):
    long_visit = [visit(0, "09:00", "11:00", 90)] + [visit(day) for day in range(1, 5)]
    preview = services.plan_preview(elder=level4, visits=services.clean_visits(long_visit), on=MONDAY)
    assert preview.visits[0].funding == VisitFunding.SELF_PAY and "每次 60 分钟" in preview.visits[0].reason


def test_bad_visits_are_named_and_nothing_is_written(level4, users):
    bad = [visit(9), visit(1, "10:00", "09:00"), visit(2, "09:00", "09:30", 60), visit(3, items=["no-such-item"])]
    with pytest.raises(ValidationError) as refused:
        services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, visits=bad)
    text = " ".join(refused.value.messages)
    assert "第 1 次上门：星期必须是 0（周一）到 6（周日）" in text
    assert "结束时刻 09:00 必须晚于开始时刻 10:00" in text
    assert "放不下 60 分钟" in text and "no-such-item" in text
    assert not CarePlan.objects.exists()


def test_no_plan_without_an_eligible_level_or_for_a_provider_not_serving_the_community(policy, users):
    elder = policy.elders.a1
    with pytest.raises(ValidationError, match="没有可享受长护险居家照护的照护等级"):
        services.care_plan_create(actor=users.provider_admin, elder=elder, on=MONDAY)
    set_level(elder, 1, dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="没有可享受"):
        services.care_plan_create(actor=users.provider_admin, elder=elder, on=MONDAY)
    set_level(elder, 4, dt.date(2026, 11, 20))
    with pytest.raises(ValidationError, match="不服务"):
        services.care_plan_create(actor=users.district_admin, elder=elder, organisation=policy.other_provider,
                                  on=MONDAY)
    with pytest.raises(PermissionDenied):
        services.care_plan_create(actor=users.caregiver, elder=elder, on=MONDAY)


def test_one_active_plan_per_programme(level4, users):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    with pytest.raises(IllegalStep) as refused:
        services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    assert "care_plan_update" in refused.value.allowed


def test_provider_edits_within_the_entitlement_and_the_family_can_read_why(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    edited = [visit(day, "14:00", "15:00") for day in (0, 1, 2, 3, 5)]
    services.care_plan_update(actor=users.provider_admin, plan=plan, visits=edited, on=MONDAY, dialect="上海话",
                              reason="老人希望下午服务")
    plan.refresh_from_db()
    assert plan.dialect == "上海话"
    assert sorted(plan.visits.values_list("weekday", flat=True)) == [0, 1, 2, 3, 5]
    assert plan.changes.filter(kind=PlanChangeKind.EDITED, explanation__contains="老人希望下午服务").exists()
    with pytest.raises(ValidationError):
        services.care_plan_update(actor=users.provider_admin, plan=plan, visits=edited + [visit(6)], on=MONDAY)


def test_a_new_level_changes_the_plan_automatically_with_an_explanation(level4, users,
                                                                       django_capture_on_commit_callbacks):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, weekdays=[0, 1, 2, 3, 4])
    with django_capture_on_commit_callbacks(execute=True):
        set_level(level4, 5, dt.date(2026, 12, 1))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED and plan.valid_until == dt.date(2026, 11, 30)
    new = CarePlan.objects.get(status=PlanStatus.ACTIVE)
    assert new.replaces == plan and new.care_level == 5 and new.valid_from == dt.date(2026, 12, 1)
    assert sorted(new.visits.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4, 5, 6]
    change = new.changes.get(kind=PlanChangeKind.LEVEL_CHANGED)
    assert "由 4 级变为 5 级" in change.explanation and "每周 7 次" in change.explanation
    assert "新增上门：周六 09:00–10:00、周日 09:00–10:00" in change.explanation

    with django_capture_on_commit_callbacks(execute=True):
        set_level(level4, 1, dt.date(2027, 1, 1))
    new.refresh_from_db()
    assert new.status == PlanStatus.STOPPED and new.stop_reason == StopReason.NOT_ELIGIBLE
    assert not CarePlan.objects.filter(status=PlanStatus.ACTIVE).exists()


def test_a_lower_level_drops_visits_rather_than_billing_them(level4, users, django_capture_on_commit_callbacks):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        set_level(level4, 2, dt.date(2026, 12, 1))
    new = CarePlan.objects.get(status=PlanStatus.ACTIVE)
    assert new.visits.count() == 3 and not new.visits.filter(funding=VisitFunding.SELF_PAY).exists()
    assert "减少 2 次上门" in new.changes.get().explanation


def test_an_elder_who_dies_with_visits_planned(level4, users, django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    work_orders.work_orders_generate(date=MONDAY)
    work_orders.work_orders_generate(date=MONDAY + dt.timedelta(days=1))
    assert WorkOrder.objects.filter(status=WorkOrderStatus.PENDING).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        elder_change_status(actor=users.street_staff, elder=level4, status="deceased", on=MONDAY,
                            reason="死亡医学证明")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED and plan.stop_reason == StopReason.DECEASED
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {WorkOrderStatus.CANCELLED}
    assert "老人去世" in WorkOrder.objects.first().suppressed_reason
    # The family and the provider read the same explanation.
    from carecircle.careplans.selectors import plan_changes

    for reader in (users.elder, users.provider_admin):
        stopped = plan_changes(reader, elder=level4).filter(kind=PlanChangeKind.STOPPED).get()
        assert "老人去世" in stopped.explanation and "已取消 2 个未开始的上门工单" in stopped.explanation
    # Nothing is generated for later days.
    assert work_orders.work_orders_generate(date=MONDAY + dt.timedelta(days=2))["created"] == 0


@pytest.mark.parametrize("change, reason", [("moved_out", StopReason.MOVED_OUT),
                                            ("institution", StopReason.INSTITUTION)])
def test_moving_away_or_admission_stops_the_plan(level4, users, change, reason, django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status, elder_update

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        if change == "moved_out":
            elder_change_status(actor=users.street_staff, elder=level4, status="moved_out", on=MONDAY,
                                reason="户籍迁出")
        else:
            elder_update(actor=users.street_staff, elder=level4, data={"household_type": "institution"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED and plan.stop_reason == reason


def test_stop_by_hand_needs_a_known_reason_and_an_active_plan(level4, users):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    with pytest.raises(ValidationError):
        services.care_plan_stop(actor=users.provider_admin, plan=plan, reason="bored", on=MONDAY)
    services.care_plan_stop(actor=users.provider_admin, plan=plan, reason="provider", on=MONDAY)
    with pytest.raises(IllegalStep):
        services.care_plan_stop(actor=users.provider_admin, plan=plan, reason="provider", on=MONDAY)


def test_a_reassessment_confirming_the_same_level_changes_nothing(level4, users, django_capture_on_commit_callbacks):
    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_level(level4, 5, dt.date(2026, 12, 1))
        set_level(level4, 4, dt.date(2026, 12, 1))  # the result corrected the same day: level 4 again
    assert callbacks  # the level-change events were delivered on commit
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and CarePlan.objects.count() == 1
    assert not plan.changes.filter(kind=PlanChangeKind.LEVEL_CHANGED).exists()


def test_plan_and_order_lists_find_elders_with_the_registrys_own_search(level4, users):
    """One elder search: the lists of plans and orders match names, initials and ID numbers the way the
    elder registry does (a name matches from its start)."""
    from carecircle.careplans import selectors

    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    user = users.provider_admin
    assert list(selectors.plan_list(user, q=level4.name[:2])) != []
    assert list(selectors.plan_list(user, q=level4.name_initials)) != []
    assert list(selectors.plan_list(user, q=level4.id_number[-4:])) != []
    assert list(selectors.plan_list(user, q=level4.name[1:])) == []  # not from the start of the name
    assert list(selectors.plan_list(user, q="!!")) == []
    assert selectors.order_list(user, q=level4.name).count() == 0
    assert selectors.plan_list(user, q="  ").count() == 1


def test_a_plan_change_reads_in_the_language_of_whoever_reads_it(level4, users, django_capture_on_commit_callbacks):
    from django.utils import translation

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, weekdays=[0, 1, 2, 3, 4])
    with django_capture_on_commit_callbacks(execute=True):
        set_level(level4, 5, dt.date(2026, 12, 1))
    new = CarePlan.objects.get(status=PlanStatus.ACTIVE)
    change = new.changes.get(kind=PlanChangeKind.LEVEL_CHANGED)
    assert set(change.explanation_texts) == {"zh-hans", "en"}
    with translation.override("en"):
        assert "The care level changed from 4 to 5" in change.text and "Visits added" in change.text
        assert "照护" not in change.text
        created = plan.changes.get(kind=PlanChangeKind.CREATED).text
        assert created.startswith("Care plan made from the level 4 entitlement")
    with translation.override("zh-hans"):
        assert "由 4 级变为 5 级" in change.text
    # A change recorded before the explanation was kept in each language reads as it was written.
    change.explanation_texts = {}
    change.save()
    with translation.override("en"):
        assert change.text == change.explanation
