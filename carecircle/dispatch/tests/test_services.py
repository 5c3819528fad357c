"""Shifts, the optimise job, manual moves checked by the engine, publishing and re-planning."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.core.models import AuditEvent, Job
from carecircle.core.workflow import IllegalStep
from carecircle.dispatch import services
from carecircle.dispatch.models import DispatchPlan, DispatchStop, Shift
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .conftest import DAY, make_order, make_shift, make_staff

pytestmark = pytest.mark.django_db


# --- shifts ------------------------------------------------------------------------------------------

class TestShifts:
    def test_a_shift_takes_policy_defaults_and_is_audited(self, board):
        shift = board.shifts.wang
        assert shift.lunch_minutes == 30 and shift.lunch_earliest == dt.time(11, 30)
        assert shift.max_hours == 8 and shift.organisation == board.org
        assert AuditEvent.objects.filter(action="dispatch.shift_create", subject_id=str(shift.pk)).exists()

    @pytest.mark.parametrize("kwargs, field, words", [
        ({"start": "17:00", "end": "08:00"}, "end_time", "晚于"),
        ({"max_hours": "9"}, "max_hours", "每日上限"),
        ({"max_hours": "0"}, "max_hours", "大于 0"),
        ({"lat": "", "lng": ""}, "start_lat", "纬度"),
        ({"lat": "95", "lng": "121.4"}, "start_lat", "范围"),
        ({"travel_mode": "car"}, "travel_mode", "步行"),
    ])
    def test_bad_input_is_refused_naming_the_field(self, board, kwargs, field, words):
        staff = make_staff(board.org, name="新人")
        with pytest.raises(ValidationError) as caught:
            make_shift(board.actor, staff, **kwargs)
        assert field in caught.value.error_dict
        assert words in " ".join(caught.value.message_dict[field])
        assert not Shift.objects.filter(caregiver=staff).exists()

    def test_one_shift_per_caregiver_and_day(self, board):
        with pytest.raises(ValidationError) as caught:
            make_shift(board.actor, board.staff.wang)
        assert "已有班次" in str(caught.value)

    def test_a_facility_of_another_provider_is_refused(self, board, district):
        from carecircle.providers.models import Facility

        theirs = Facility.objects.create(organisation=district.other_provider, community=district.b1, name="别家中心",
                                         kind="day_centre", lat="31.19", lng="121.46")
        staff = make_staff(board.org, name="新人")
        with pytest.raises(ValidationError) as caught:
            make_shift(board.actor, staff, start_kind="facility", start_facility=theirs)
        assert "本机构" in str(caught.value)

    def test_starting_at_the_providers_centre_uses_its_place(self, board, district):
        from carecircle.providers.models import Facility

        centre = Facility.objects.create(organisation=board.org, community=district.a1, name="福寿中心",
                                         kind="day_centre", lat="31.201000", lng="121.441000")
        staff = make_staff(board.org, name="新人")
        shift = make_shift(board.actor, staff, start_kind="facility", start_facility=centre, end_kind="facility",
                           end_facility=centre, lat="", lng="")
        assert (str(shift.start_lat), str(shift.start_lng)) == ("31.201000", "121.441000")

    def test_another_providers_caregiver_cannot_be_rostered(self, board, district):
        theirs = make_staff(district.other_provider, name="外人")
        with pytest.raises(PermissionDenied):
            make_shift(board.actor, theirs)

    def test_a_caregiver_without_the_capability_cannot_enter_shifts(self, board, users):
        with pytest.raises(PermissionDenied):
            make_shift(users.caregiver, make_staff(board.org, name="新人"))

    def test_deleting_a_planned_shift_leaves_its_visits_unscheduled(self, optimised):
        shift = optimised.shifts.wang
        planned = set(optimised.plan.stops.filter(shift=shift).values_list("work_order_id", flat=True))
        services.shift_delete(actor=optimised.actor, shift=shift)
        stops = optimised.plan.stops.filter(work_order_id__in=planned)
        assert planned and stops.count() == len(planned)
        assert all(s.shift_id is None and "班次已删除" in s.unscheduled_reason for s in stops)

    def test_a_shift_with_published_visits_cannot_be_deleted(self, optimised):
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        with pytest.raises(IllegalStep) as caught:
            services.shift_delete(actor=optimised.actor, shift=optimised.shifts.wang)
        assert caught.value.allowed == ["replan"]

    def test_copy_last_week_copies_only_missing_shifts(self, board):
        next_week = DAY + dt.timedelta(days=7)
        make_shift(board.actor, board.staff.li, day=next_week, start="09:00", end="15:00")
        result = services.shifts_copy_last_week(actor=board.actor, date=next_week)
        assert result == {"created": 2, "skipped": 1, "source": DAY}
        copied = Shift.objects.get(caregiver=board.staff.zhao, date=next_week)
        assert copied.travel_mode == "walking" and copied.start_time == dt.time(8)
        assert Shift.objects.get(caregiver=board.staff.li, date=next_week).start_time == dt.time(9)
        assert services.shifts_copy_last_week(actor=board.actor, date=next_week)["created"] == 0


# --- optimising --------------------------------------------------------------------------------------

class TestOptimise:
    def test_an_audited_stop_is_filed_under_its_providers_region(self, optimised):
        from carecircle.core import audit

        stop = DispatchStop.objects.filter(plan=optimised.plan).first()
        event = audit.record(actor=None, action="dispatch.plan_move", subject=stop)
        assert event.region_id == optimised.plan.organisation.region_id is not None

    def test_the_job_runs_end_to_end_and_the_plan_is_ready(self, optimised):
        plan = optimised.plan
        assert plan.status == "ready"
        job = Job.objects.get(pk=plan.job_id)
        assert job.status == "done" and job.progress == job.total == 3
        assert job.result["violations"] == 0 and job.result["visits"] == 6
        assert plan.figures["violations"] == 0
        assert plan.stops.count() == 6
        placed = plan.stops.filter(shift__isnull=False)
        assert all(WorkOrder.objects.get(pk=s.work_order_id).status == WorkOrderStatus.SCHEDULED for s in placed)
        assert AuditEvent.objects.filter(action="workorders.work_order_schedule").count() == placed.count()
        # The nurse-only visit went to the nurse; the woman-only visit to a woman.
        nurse_stop = plan.stops.get(work_order=optimised.orders[1])
        assert nurse_stop.shift_id in (None, optimised.shifts.zhao.pk)
        female_stop = plan.stops.get(work_order=optimised.orders[4])
        assert female_stop.shift_id != optimised.shifts.li.pk
        assert AuditEvent.objects.filter(action="dispatch.plan_optimised", subject_id=str(plan.pk)).exists()

    def test_runs_are_reproducible_by_iteration_count(self, board, django_capture_on_commit_callbacks):
        layouts = []
        for _ in range(2):
            DispatchPlan.objects.filter(organisation=board.org, date=DAY).delete()
            with django_capture_on_commit_callbacks(execute=True):
                plan = services.plan_optimise(actor=board.actor, date=DAY, iterations=500)
            layouts.append(sorted(plan.stops.values_list("work_order_id", "shift_id", "position", "planned_start")))
        assert layouts[0] == layouts[1]

    def test_a_day_without_shifts_is_refused(self, board):
        with pytest.raises(ValidationError) as caught:
            services.plan_optimise(actor=board.actor, date=DAY + dt.timedelta(days=3))
        assert "班次" in str(caught.value)

    def test_a_published_day_cannot_be_optimised_again(self, optimised):
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        with pytest.raises(IllegalStep) as caught:
            services.plan_optimise(actor=optimised.actor, date=DAY)
        assert "replan" in caught.value.allowed

    def test_a_failed_run_returns_the_plan_to_draft_and_may_be_started_again(self, board, client):
        from carecircle.core.jobs import job_start
        from carecircle.core.tasks import run_job

        plan = DispatchPlan.objects.create(organisation=board.org, date=DAY, status="optimising")
        plan.job = job_start(kind="dispatch.optimise", actor=board.actor, organisation=board.org,
                             params={"plan": plan.pk, "iterations": "many"})
        plan.save()
        assert run_job(plan.job.pk) == "failed"
        plan.refresh_from_db()
        assert plan.status == "draft" and plan.job.status == "failed"
        client.force_login(board.actor)
        assert "上次优化失败" in client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert services.plan_optimise(actor=board.actor, date=DAY).status == "optimising"

    def test_a_failed_run_returning_the_plan_to_draft_is_audited(self, board):
        from carecircle.core.jobs import job_start
        from carecircle.core.tasks import run_job

        plan = DispatchPlan.objects.create(organisation=board.org, date=DAY, status="optimising")
        plan.job = job_start(kind="dispatch.optimise", actor=board.actor, organisation=board.org,
                             params={"plan": plan.pk, "iterations": "many"})
        plan.save()
        assert run_job(plan.job.pk) == "failed"
        event = AuditEvent.objects.get(action="dispatch.plan_failed")
        assert event.changes["status"] == ["optimising", "draft"] and event.actor == board.actor

    def test_a_day_under_way_is_not_optimised_again(self, optimised):
        WorkOrder.objects.filter(pk=optimised.orders[0].pk).update(status=WorkOrderStatus.STARTED)
        with pytest.raises(IllegalStep) as caught:
            services.plan_optimise(actor=optimised.actor, date=DAY)
        assert caught.value.allowed == ["replan", "move"]

    def test_a_plan_being_optimised_cannot_be_started_twice(self, board):
        services.plan_optimise(actor=board.actor, date=DAY)  # the job waits for the commit
        with pytest.raises(IllegalStep):
            services.plan_optimise(actor=board.actor, date=DAY)


# --- manual moves ------------------------------------------------------------------------------------

def refused(optimised, order, shift, position=None):
    with pytest.raises(ValidationError) as caught:
        services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=order.pk, shift=shift,
                           position=position)
    return " ".join(caught.value.messages)


class TestMoves:
    def test_missing_qualification_is_refused(self, optimised):
        text = refused(optimised, optimised.orders[1], optimised.shifts.li)
        assert "李强 不具备" in text

    def test_gender_preference_is_refused(self, optimised):
        text = refused(optimised, optimised.orders[4], optimised.shifts.li)
        assert "李强 不能承接" in text and "性别" in text

    def test_an_excluded_caregiver_is_refused(self, optimised):
        optimised.orders[0].excluded_caregivers.add(optimised.staff.zhao)
        text = refused(optimised, optimised.orders[0], optimised.shifts.zhao)
        assert "赵敏 不能承接" in text

    def test_a_fixed_time_visit_out_of_reach_is_refused(self, optimised):
        late = make_shift(optimised.actor, make_staff(optimised.org, name="晚班"), start="10:30", end="18:00")
        text = refused(optimised, optimised.orders[2], late)
        assert "时间窗" in text

    def test_a_visit_after_the_shift_ends_is_refused(self, optimised):
        early = make_shift(optimised.actor, make_staff(optimised.org, name="早班"), start="07:00", end="09:00")
        assert "超出了班次" in refused(optimised, optimised.orders[3], early)

    def test_too_many_working_hours_are_refused(self, optimised):
        short = make_shift(optimised.actor, make_staff(optimised.org, name="短工"), max_hours="0.5")
        assert "工作时长超过上限" in refused(optimised, optimised.orders[0], short)

    def test_working_through_lunch_is_refused(self, optimised, district):
        lunch = make_shift(optimised.actor, make_staff(optimised.org, name="午班"), lunch_minutes=30,
                           lunch_earliest=dt.time(11, 30), lunch_latest=dt.time(11, 30))
        long_visit = make_order(optimised.org, optimised.elders[0], "11:00", "12:30", 90, fixed_time=True)
        # A work order added after the plan was made joins it as unscheduled, then moves like any other.
        DispatchStop.objects.create(plan=optimised.plan, work_order=long_visit, unscheduled_reason="新增")
        assert "午休" in refused(optimised, long_visit, lunch)

    def test_a_refused_move_changes_nothing(self, optimised):
        before = sorted(optimised.plan.stops.values_list("work_order_id", "shift_id", "position"))
        refused(optimised, optimised.orders[1], optimised.shifts.li)
        assert sorted(optimised.plan.stops.values_list("work_order_id", "shift_id", "position")) == before
        assert not AuditEvent.objects.filter(action="dispatch.plan_move").exists()

    def test_a_soft_preference_only_warns(self, optimised):
        spare = make_shift(optimised.actor, make_staff(optimised.org, name="替班", gender="F"))
        result = services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=optimised.orders[3].pk,
                                    shift=spare)
        assert result["warnings"] and "王芳" in result["warnings"][0]
        stop = optimised.plan.stops.get(work_order=optimised.orders[3])
        assert stop.shift_id == spare.pk and "王芳" in stop.warning_display
        optimised.plan.refresh_from_db()
        assert optimised.plan.figures["violations"] == 0
        event = AuditEvent.objects.get(action="dispatch.plan_move")
        assert event.changes["shift"][1] == spare.pk

    def test_unassigning_lists_the_visit_as_unscheduled(self, optimised):
        order = optimised.orders[0]
        services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=order.pk, shift=None)
        stop = optimised.plan.stops.get(work_order=order)
        assert stop.shift_id is None and stop.unscheduled_reason
        order.refresh_from_db()
        assert order.status == "pending"

    def test_a_move_on_a_plan_being_optimised_is_a_workflow_error(self, optimised):
        optimised.plan.status = "optimising"
        optimised.plan.save()
        with pytest.raises(IllegalStep):
            services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=optimised.orders[0].pk,
                               shift=None)

    def test_a_visit_under_way_cannot_be_moved(self, optimised):
        order = optimised.orders[0]
        WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrderStatus.STARTED)
        with pytest.raises(IllegalStep):
            services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=order.pk, shift=None)

    def test_another_providers_plan_cannot_be_touched(self, optimised, users):
        from carecircle.accounts.models import User

        other = User.objects.create_user(username="other_provider", password="x-Test-2026", role="provider_admin",
                                         organisation=optimised.org.__class__.objects.exclude(pk=optimised.org.pk)
                                         .filter(kind="nursing_station").first())
        with pytest.raises(PermissionDenied):
            services.stop_move(actor=other, plan=optimised.plan, work_order_id=optimised.orders[0].pk, shift=None)


# --- publishing and the caregiver's day ----------------------------------------------------------------

class TestPublish:
    def test_publish_changes_work_orders_only_through_the_workorders_services(self, optimised, monkeypatch):
        from carecircle.workorders import services as work_orders

        calls = []
        real_publish, real_unschedule = work_orders.work_orders_publish, work_orders.work_orders_unschedule

        def publish(**kwargs):
            calls.append(("publish", sorted(order.pk for order, _c, _s in kwargs["assignments"])))
            return real_publish(**kwargs)

        def unschedule(**kwargs):
            calls.append(("unschedule", sorted(kwargs["work_orders"].values_list("pk", flat=True))))
            return real_unschedule(**kwargs)

        monkeypatch.setattr(work_orders, "work_orders_publish", publish)
        monkeypatch.setattr(work_orders, "work_orders_unschedule", unschedule)
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        placed = sorted(optimised.plan.stops.filter(shift__isnull=False).values_list("work_order_id", flat=True))
        assert ("publish", placed) in calls
        assert [name for name, _ids in calls] == ["publish", "unschedule"]
        published = WorkOrder.objects.filter(status=WorkOrderStatus.PUBLISHED)
        assert sorted(published.values_list("pk", flat=True)) == placed
        # Each changed order carries its own audit event from the owner of work orders.
        events = AuditEvent.objects.filter(action="workorders.work_order_publish")
        assert sorted(int(e.subject_id) for e in events) == placed
        assert all(e.changes["status"] == ["scheduled", "published"] for e in events)

    def test_publish_writes_caregiver_time_and_status_and_is_audited(self, optimised):
        result = services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        plan = DispatchPlan.objects.get(pk=optimised.plan.pk)
        assert plan.status == "published" and plan.published_by == optimised.actor
        placed = plan.stops.filter(shift__isnull=False).select_related("shift", "work_order")
        assert result["published"] == placed.count() > 0
        for stop in placed:
            order = stop.work_order
            assert order.status == "published" and order.caregiver_id == stop.shift.caregiver_id
            assert order.planned_start == stop.planned_start
        assert AuditEvent.objects.filter(action="workorders.work_order_publish").count() == placed.count()
        assert AuditEvent.objects.filter(action="dispatch.plan_publish").count() == 1

    def test_publishing_twice_is_a_workflow_error(self, optimised):
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        with pytest.raises(IllegalStep):
            services.plan_publish(actor=optimised.actor, plan=DispatchPlan.objects.get(pk=optimised.plan.pk))

    def test_a_draft_plan_cannot_be_published(self, board):
        plan = DispatchPlan.objects.create(organisation=board.org, date=DAY)
        with pytest.raises(IllegalStep) as caught:
            services.plan_publish(actor=board.actor, plan=plan)
        assert caught.value.allowed == ["optimise"]

    def test_the_caregiver_sees_only_their_own_published_day(self, optimised, users):
        from carecircle.dispatch.selectors import my_day

        assert not my_day(users.caregiver, DAY).exists()  # nothing before publishing
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        mine = list(my_day(users.caregiver, DAY))
        assert mine and all(o.caregiver == optimised.staff.wang for o in mine)
        assert [o.planned_start for o in mine] == sorted(o.planned_start for o in mine)
        assert not my_day(users.provider_admin, DAY).exists()  # no staff profile, no day


# --- re-planning ---------------------------------------------------------------------------------------

class TestReplan:
    def test_off_sick_from_ten_keeps_the_morning_and_moves_the_rest(self, optimised):
        plan = optimised.plan
        services.plan_publish(actor=optimised.actor, plan=plan)
        plan.refresh_from_db()
        wang = optimised.shifts.wang
        ten = dt.time(10, 0)
        wang_stops = list(plan.stops.filter(shift=wang).order_by("position"))
        before_ten = [s.work_order_id for s in wang_stops if timezone.localtime(s.planned_start).time() < ten]
        WorkOrder.objects.filter(pk__in=before_ten).update(status=WorkOrderStatus.STARTED)
        result = services.plan_replan(actor=optimised.actor, plan=plan, shift=wang, off_from=ten, iterations=500)
        plan.refresh_from_db()
        assert plan.status == "ready" and plan.figures["violations"] == 0
        wang.refresh_from_db()
        assert wang.off_from == ten
        for stop in plan.stops.filter(shift=wang):
            assert stop.work_order_id in before_ten  # nothing new, nothing after ten
            assert timezone.localtime(stop.planned_start).time() < ten
        for pk in before_ten:
            assert plan.stops.get(work_order_id=pk).shift_id == wang.pk
        assert result["figures"]["unscheduled"] == plan.stops.filter(shift__isnull=True).count()
        assert AuditEvent.objects.filter(action="dispatch.plan_replan").exists()
        assert AuditEvent.objects.filter(action="dispatch.shift_off", subject_id=str(wang.pk)).exists()

    def test_the_off_time_must_lie_within_the_shift(self, optimised):
        with pytest.raises(ValidationError) as caught:
            services.plan_replan(actor=optimised.actor, plan=optimised.plan, shift=optimised.shifts.wang,
                                 off_from=dt.time(19, 0), iterations=10)
        assert "off_from" in caught.value.error_dict

    def test_a_shift_of_another_day_is_refused(self, optimised):
        other_day = make_shift(optimised.actor, optimised.staff.wang, day=DAY + dt.timedelta(days=1))
        with pytest.raises(ValidationError):
            services.plan_replan(actor=optimised.actor, plan=optimised.plan, shift=other_day,
                                 off_from=dt.time(10, 0), iterations=10)
