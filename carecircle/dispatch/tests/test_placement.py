"""Visits that arrive after a day is published: placed into the gaps without moving published visits (or with a
re-plan when the planner allows it), assigned by hand under the engine's checker, published through the
work-order services, audited, and refused with a 409 when another planner changed the plan meanwhile."""
import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.dispatch import services
from carecircle.dispatch.models import DispatchPlan, DispatchStop, PlanStatus
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .conftest import DAY, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def published(optimised):
    """The board's day optimised and published; the caregivers have their day."""
    services.plan_publish(actor=optimised.actor, plan=optimised.plan)
    optimised.plan.refresh_from_db()
    assert optimised.plan.status == PlanStatus.PUBLISHED
    return optimised


def _published_times():
    return {o.pk: (o.caregiver_id, o.planned_start) for o in WorkOrder.objects.filter(status=WorkOrderStatus.PUBLISHED)}


def _fresh(plan):
    plan.refresh_from_db()
    return plan


_births = itertools.count()


def _new_elder(board, name, lat="31.2030", lng="121.4430"):
    from carecircle.conftest import make_elder

    birth = dt.date(1941, 1, 1) + dt.timedelta(days=next(_births))
    return make_elder(board.elders[0].community, name=name, lat=lat, lng=lng, birth=birth)


class TestPlaceNew:
    def test_a_new_visit_goes_into_a_gap_and_published_visits_keep_their_times(self, published):
        before = _published_times()
        new = make_order(published.org, _new_elder(published, "新来一"), "08:00", "17:00", 30)
        plan = published.plan
        result = services.plan_place_new(actor=published.actor, plan=plan, version=services.plan_version(plan))
        assert result["placed"] == [new.pk] and result["moved"] == [] and result["unplaced"] == {}
        new.refresh_from_db()
        assert new.status == WorkOrderStatus.PUBLISHED and new.caregiver_id and new.planned_start
        after = _published_times()
        assert {pk: after[pk] for pk in before} == before
        plan = _fresh(plan)
        assert plan.status == PlanStatus.PUBLISHED and plan.figures["violations"] == 0
        stop = DispatchStop.objects.get(plan=plan, work_order=new)
        assert stop.shift.caregiver_id == new.caregiver_id and stop.planned_start == new.planned_start
        # Audited on the plan and on the work order (through the work-order services).
        assert AuditEvent.objects.filter(action="dispatch.plan_place", subject_id=str(plan.pk)).exists()
        assert AuditEvent.objects.filter(action="workorders.work_order_publish", subject_id=str(new.pk)).exists()
        # The caregiver sees it on their own day.
        from carecircle.dispatch.selectors import my_day

        if new.caregiver.user is not None:
            assert new in list(my_day(new.caregiver.user, DAY))

    def test_a_visit_that_fits_nowhere_stays_unplaced_with_the_reason(self, published):
        before = _published_times()
        # Five fixed visits at the same minute: three caregivers can take at most three of them.
        orders = [make_order(published.org, _new_elder(published, f"同时{i}", lat=f"{31.2030 + i * 0.0005:.4f}"),
                             "11:00", "11:40", 40, fixed_time=True) for i in range(5)]
        plan = published.plan
        result = services.plan_place_new(actor=published.actor, plan=plan, version=services.plan_version(plan))
        assert len(result["unplaced"]) >= 2
        assert set(result["placed"]) | set(result["unplaced"]) >= {o.pk for o in orders}
        assert all("不改动已发布上门的时间" in reason for reason in result["unplaced"].values())
        for pk in result["unplaced"]:
            order = WorkOrder.objects.get(pk=pk)
            assert order.status == WorkOrderStatus.PENDING and order.caregiver_id is None
            stop = DispatchStop.objects.get(plan=plan, work_order_id=pk)
            assert stop.shift_id is None and stop.reason_display
        after = _published_times()
        assert {pk: after[pk] for pk in before} == before

    def test_a_visit_nobody_is_qualified_for_says_so(self, published):
        new = make_order(published.org, _new_elder(published, "康复一"), "09:00", "16:00", 30,
                         required_qualification="rehab_therapist")
        plan = published.plan
        result = services.plan_place_new(actor=published.actor, plan=plan, version=services.plan_version(plan))
        assert "没有可承接的护理员" in result["unplaced"][new.pk]

    def test_allowing_moves_replans_and_republishes_what_moved(self, published):
        make_order(published.org, _new_elder(published, "新来二"), "10:00", "11:00", 45)
        plan = published.plan
        result = services.plan_place_new(actor=published.actor, plan=plan, version=services.plan_version(plan),
                                         allow_moving=True, iterations=300)
        plan = _fresh(plan)
        assert plan.status == PlanStatus.PUBLISHED and plan.figures["violations"] == 0
        # Every visit on a caregiver's day is published to that caregiver at the planned time.
        for stop in DispatchStop.objects.filter(plan=plan, shift__isnull=False).select_related("work_order", "shift"):
            assert stop.work_order.status == WorkOrderStatus.PUBLISHED
            assert (stop.work_order.caregiver_id, stop.work_order.planned_start) == (
                stop.shift.caregiver_id, stop.planned_start)
        for pk in result["unplaced"]:
            assert WorkOrder.objects.get(pk=pk).status == WorkOrderStatus.PENDING
        assert AuditEvent.objects.get(action="dispatch.plan_place").changes["allow_moving"] is True

    def test_two_planners_placing_at_once_the_second_gets_a_conflict(self, published):
        make_order(published.org, _new_elder(published, "新来三"), "08:00", "17:00", 30)
        plan = published.plan
        seen = services.plan_version(plan)  # both planners loaded the board
        services.plan_place_new(actor=published.actor, plan=plan, version=seen)
        placed = _published_times()
        with pytest.raises(IllegalStep) as refused:
            services.plan_place_new(actor=published.actor, plan=DispatchPlan.objects.get(pk=plan.pk), version=seen)
        assert "刚被其他人修改过" in refused.value.message
        assert _published_times() == placed
        assert AuditEvent.objects.filter(action="dispatch.plan_place").count() == 1

    def test_a_plan_being_optimised_cannot_be_placed_into(self, published):
        DispatchPlan.objects.filter(pk=published.plan.pk).update(status=PlanStatus.DRAFT)
        plan = _fresh(published.plan)
        with pytest.raises(IllegalStep):
            services.plan_place_new(actor=published.actor, plan=plan, version=services.plan_version(plan))

    def test_a_caregiver_may_not_place(self, published, users):
        from django.core.exceptions import PermissionDenied

        plan = published.plan
        with pytest.raises(PermissionDenied):
            services.plan_place_new(actor=users.caregiver, plan=plan, version=services.plan_version(plan))


class TestAssign:
    def test_an_assignment_keeps_the_other_visits_times_and_publishes_the_new_one(self, published):
        before = _published_times()
        new = make_order(published.org, _new_elder(published, "指派一"), "08:00", "17:00", 30)
        plan = published.plan
        shift = published.shifts.zhao
        result = services.plan_assign(actor=published.actor, plan=plan, version=services.plan_version(plan),
                                      work_order_id=new.pk, shift=shift, position=None)
        new.refresh_from_db()
        assert result["placed"] == [new.pk]
        assert new.status == WorkOrderStatus.PUBLISHED and new.caregiver_id == shift.caregiver_id
        after = _published_times()
        assert {pk: after[pk] for pk in before} == before
        assert AuditEvent.objects.filter(action="dispatch.plan_assign").exists()

    def test_an_assignment_that_breaks_a_hard_rule_is_refused_in_words(self, published):
        new = make_order(published.org, _new_elder(published, "护理一"), "08:00", "17:00", 30,
                         required_qualification="registered_nurse")
        plan = published.plan
        version = services.plan_version(plan)
        with pytest.raises(ValidationError) as refused:
            services.plan_assign(actor=published.actor, plan=plan, version=version, work_order_id=new.pk,
                                 shift=published.shifts.li)
        assert any("李强 不具备" in m for m in refused.value.messages)
        new.refresh_from_db()
        assert new.status == WorkOrderStatus.PENDING
        assert services.plan_version(_fresh(plan)) == version  # nothing written

    def test_a_visit_that_only_fits_by_moving_others_needs_the_option(self, published):
        # Right at the start of 王芳's first published visit, for its whole length: only moving her day helps.
        first = (WorkOrder.objects.filter(caregiver=published.staff.wang, status=WorkOrderStatus.PUBLISHED)
                 .order_by("planned_start").first())
        start = dt.datetime.fromisoformat(first.planned_start.isoformat()).astimezone(
            dt.timezone(dt.timedelta(hours=8))).time()
        end = (dt.datetime.combine(DAY, start) + dt.timedelta(minutes=20)).time()
        new = make_order(published.org, _new_elder(published, "插队一"), start.strftime("%H:%M"),
                         end.strftime("%H:%M"), 20, fixed_time=True)
        plan = published.plan
        with pytest.raises(ValidationError) as refused:
            services.plan_assign(actor=published.actor, plan=plan, version=services.plan_version(plan),
                                 work_order_id=new.pk, shift=published.shifts.wang, position=0)
        assert any("允许调整已发布的上门" in m for m in refused.value.messages)

    def test_a_visit_already_on_a_day_or_of_another_day_is_refused(self, published):
        plan = published.plan
        version = services.plan_version(plan)
        placed = DispatchStop.objects.filter(plan=plan, shift__isnull=False).first()
        with pytest.raises(ValidationError):
            services.plan_assign(actor=published.actor, plan=plan, version=version,
                                 work_order_id=placed.work_order_id, shift=published.shifts.zhao)
        other_day = make_order(published.org, published.elders[0], "09:00", "10:00", day=DAY + dt.timedelta(days=1))
        with pytest.raises(ValidationError):
            services.plan_assign(actor=published.actor, plan=plan, version=version, work_order_id=other_day.pk,
                                 shift=published.shifts.zhao)
        with pytest.raises(ValidationError):
            services.plan_assign(actor=published.actor, plan=plan, version=version, work_order_id=999999,
                                 shift=published.shifts.zhao)


class TestApiAndPage:
    def test_api_place_assign_refusal_and_conflict(self, api_as, published):
        client = api_as(published.actor)
        plan = client.get(f"/api/v1/dispatch/plans/{published.plan.pk}/").json()
        new = make_order(published.org, _new_elder(published, "接口一"), "08:00", "17:00", 30)
        nurse_only = make_order(published.org, _new_elder(published, "接口二"), "08:00", "17:00", 30,
                                required_qualification="registered_nurse")
        missing = client.post(f"/api/v1/dispatch/plans/{published.plan.pk}/place/", {}, format="json")
        assert missing.status_code == 400 and "version" in missing.json()
        refused = client.post(f"/api/v1/dispatch/plans/{published.plan.pk}/assign/", {
            "version": plan["version"], "work_order": nurse_only.pk, "shift": published.shifts.li.pk}, format="json")
        assert refused.status_code == 400 and "李强 不具备" in str(refused.json())
        done = client.post(f"/api/v1/dispatch/plans/{published.plan.pk}/assign/", {
            "version": plan["version"], "work_order": new.pk, "shift": published.shifts.zhao.pk},
            format="json")
        assert done.status_code == 200, done.json()
        assert done.json()["placed"] == [new.pk] and done.json()["plan"]["version"] != plan["version"]
        stale = client.post(f"/api/v1/dispatch/plans/{published.plan.pk}/place/", {"version": plan["version"]},
                            format="json")
        assert stale.status_code == 409 and "place" in stale.json()["allowed_actions"]
        fresh = client.post(f"/api/v1/dispatch/plans/{published.plan.pk}/place/",
                            {"version": done.json()["plan"]["version"]}, format="json")
        assert fresh.status_code == 200
        assert set(fresh.json()["placed"]) | set(fresh.json()["unplaced"]) == {nurse_only.pk}

    def test_the_board_lists_new_orders_with_the_controls(self, client_as, published):
        new = make_order(published.org, _new_elder(published, "页面一"), "08:00", "17:00", 30)
        page = client_as(published.actor).get(f"/dispatch/?date={DAY.isoformat()}")
        body = page.content.decode()
        assert f'data-unscheduled="{new.pk}"' in body and 'data-action="place"' in body
        assert f'data-assign="{new.pk}"' in body and "允许调整已发布的上门" in body

    def test_a_refused_assignment_is_a_message_on_the_page(self, client_as, published):
        new = make_order(published.org, _new_elder(published, "页面二"), "08:00", "17:00", 30,
                         required_qualification="registered_nurse")
        client = client_as(published.actor)
        response = client.post(f"/dispatch/plans/{published.plan.pk}/assign/", {
            "version": services.plan_version(published.plan), "work_order": new.pk,
            "shift": published.shifts.li.pk}, follow=True)
        assert response.status_code == 200
        assert "李强 不具备" in response.content.decode()
        new.refresh_from_db()
        assert new.status == WorkOrderStatus.PENDING
        stale = client.post(f"/dispatch/plans/{published.plan.pk}/place/", {"version": "1.0"}, follow=True)
        assert "刚被其他人修改过" in stale.content.decode()

    def test_the_travel_of_each_visit_is_explained(self, client_as, published):
        body = client_as(published.actor).get(f"/dispatch/?date={DAY.isoformat()}").content.decode()
        assert "data-travel-basis" in body and "绕行系数 1.3" in body and "每分钟" in body
        assert "从住所出发" in body or "从设施" in body


class TestBaseMap:
    def _map(self, client, actor):
        import json
        import re

        body = client.get(f"/dispatch/?date={DAY.isoformat()}").content.decode()
        found = {name: json.loads(re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', body,
                                            re.S).group(1)) for name in ("dispatch-map-data", "dispatch-basemap")}
        return body, found["dispatch-map-data"], found["dispatch-basemap"]

    def test_without_tiles_the_board_draws_the_streets_and_communities_with_their_names(self, client_as, published,
                                                                                        district, settings):
        settings.CARECIRCLE_TILE_URL, settings.CARECIRCLE_MBTILES_PATH = "", ""
        body, data, config = self._map(client_as(published.actor), published.actor)
        assert config == {"source": "boundaries"} and "data-basemap-note" in body
        names = {f["properties"]["name"]: f for f in data["regions"]["features"]}
        # The community its elders live in and the street above it, with the boundary the region tree holds.
        assert names[district.a1.name]["geometry"] == district.a1.boundary
        assert names[district.a1.parent.name]["properties"]["kind"] == "street"
        assert district.b1.name not in names  # neither served nor visited that day

    def test_a_region_without_a_boundary_is_a_labelled_point_and_one_without_a_place_is_left_out(
            self, client_as, published, district, settings):
        from carecircle.regions.models import Region

        settings.CARECIRCLE_TILE_URL, settings.CARECIRCLE_MBTILES_PATH = "", ""
        Region.objects.filter(pk=district.a1.pk).update(boundary=None)
        Region.objects.filter(pk=district.a1.parent_id).update(boundary=None, centroid_lat=None, centroid_lng=None)
        _body, data, _config = self._map(client_as(published.actor), published.actor)
        names = {f["properties"]["name"]: f for f in data["regions"]["features"]}
        assert names[district.a1.name]["geometry"] == {
            "type": "Point", "coordinates": [float(district.a1.centroid_lng), float(district.a1.centroid_lat)]}
        assert district.a1.parent.name not in names

    def test_a_configured_tile_server_replaces_the_boundaries(self, client_as, published, settings):
        settings.CARECIRCLE_TILE_URL = "https://tiles.xuhui.gov.cn/{z}/{x}/{y}.png"
        body, data, config = self._map(client_as(published.actor), published.actor)
        assert config["source"] == "url" and config["url"] == settings.CARECIRCLE_TILE_URL
        assert "regions" not in data and "data-basemap-note" not in body


def test_the_new_controls_in_english_have_no_chinese_interface_text(client_as, published, users, district):
    from .test_api_and_pages import chinese_interface_text

    new = make_order(published.org, _new_elder(published, "英文一"), "08:00", "17:00", 30)
    client = client_as(published.actor)
    body = client.get(f"/dispatch/?date={DAY}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-assign="{new.pk}"' in body and 'data-action="place"' in body
    data = {"上海话", "中文", "简体中文", district.provider.name, users.provider_admin.display_name, new.elder.name,
            new.elder.address}
    data |= {e.name for e in published.elders} | {e.address for e in published.elders}
    data |= {s.name for s in vars(published.staff).values()} | {district.elders.a1.name}
    assert chinese_interface_text(body, data) == []
    assert "Place new visits" in body and "Allow published visits to move" in body and "detour factor" in body
    nurse_only = make_order(published.org, _new_elder(published, "英文二"), "08:00", "17:00", 30,
                            required_qualification="registered_nurse")
    refused = client.post(f"/dispatch/plans/{published.plan.pk}/assign/", {
        "version": services.plan_version(published.plan), "work_order": nurse_only.pk,
        "shift": published.shifts.li.pk, "position": "1"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "李强 lacks the qualification" in refused.content.decode()
    placed = client.post(f"/dispatch/plans/{published.plan.pk}/place/", {
        "version": services.plan_version(published.plan)}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "placed and published to the caregivers" in placed.content.decode()


def test_on_a_day_not_yet_published_an_assignment_is_scheduled_not_published(optimised):
    from .conftest import make_order as order_for

    plan = optimised.plan
    assert plan.status == PlanStatus.READY
    new = order_for(optimised.org, _new_elder(optimised, "未发布一"), "08:00", "17:00", 30)
    result = services.plan_assign(actor=optimised.actor, plan=plan, version=services.plan_version(plan),
                                  work_order_id=new.pk, shift=optimised.shifts.zhao)
    new.refresh_from_db()
    assert result["placed"] == [new.pk] and new.status == WorkOrderStatus.SCHEDULED and new.caregiver_id is None
    assert _fresh(plan).status == PlanStatus.READY
    assert not WorkOrder.objects.filter(status=WorkOrderStatus.PUBLISHED).exists()
