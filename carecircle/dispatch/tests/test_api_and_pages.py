"""The API and the pages: isolation (a provider sees only its own board, a caregiver only their own day),
409 for illegal steps, the board's parts and the caregiver's day."""
import datetime as dt

import pytest

from carecircle.accounts.models import User
from carecircle.dispatch import services
from carecircle.dispatch.models import DispatchPlan, Shift
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrderStatus

from .conftest import DAY, make_order, make_shift, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_board(board, district):
    """The neighbouring provider 康乐 with its own caregiver, shift, elder, order and plan."""
    from carecircle.conftest import make_elder

    org = district.other_provider
    admin = User.objects.create_user(username="kangle_admin", password="Test-pass-2026", role="provider_admin",
                                     organisation=org)
    nurse = make_staff(org, name="康乐护士甲", qualifications=("registered_nurse",))
    shift = make_shift(admin, nurse, lat="31.19", lng="121.46")
    elder = make_elder(district.b1, name="欧阳九", lat="31.1905", lng="121.4605")
    order = make_order(org, elder, "09:00", "11:00")
    plan = DispatchPlan.objects.create(organisation=org, date=DAY)
    return type("Other", (), {"org": org, "admin": admin, "shift": shift, "order": order, "plan": plan,
                              "elder": elder})


class TestApi:
    def test_shifts_list_and_create(self, api_as, board, users):
        client = api_as(users.provider_admin)
        listed = client.get("/api/v1/dispatch/shifts/", {"date": DAY.isoformat()}).json()
        assert listed["count"] == 3
        staff = make_staff(board.org, name="新人")
        created = client.post("/api/v1/dispatch/shifts/", {
            "caregiver": staff.pk, "date": DAY.isoformat(), "start_time": "09:00", "end_time": "15:00",
            "start_lat": "31.2", "start_lng": "121.44", "end_lat": "31.2", "end_lng": "121.44"}, format="json")
        assert created.status_code == 201, created.json()
        assert created.json()["caregiver_name"] == "新人" and created.json()["lunch_minutes"] == 30
        bad = client.post("/api/v1/dispatch/shifts/", {
            "caregiver": staff.pk, "date": (DAY + dt.timedelta(days=1)).isoformat(), "start_time": "15:00",
            "end_time": "09:00", "start_lat": "31.2", "start_lng": "121.44", "end_lat": "31.2", "end_lng": "121.44"},
            format="json")
        assert bad.status_code == 400 and "end_time" in bad.json()

    def test_a_provider_sees_only_its_own_shifts_and_plans(self, api_as, optimised, other_board):
        client = api_as(optimised.actor)
        names = {s["caregiver_name"] for s in client.get("/api/v1/dispatch/shifts/").json()["results"]}
        assert names == {"王芳", "李强", "赵敏"}
        plans = client.get("/api/v1/dispatch/plans/").json()["results"]
        assert [p["id"] for p in plans] == [optimised.plan.pk]
        assert client.get(f"/api/v1/dispatch/plans/{other_board.plan.pk}/").status_code == 404
        moved = client.post(f"/api/v1/dispatch/plans/{other_board.plan.pk}/move/",
                            {"work_order": other_board.order.pk}, format="json")
        assert moved.status_code == 404

    def test_another_providers_caregiver_cannot_be_named_in_a_shift(self, api_as, optimised, other_board):
        client = api_as(optimised.actor)
        place = {"date": (DAY + dt.timedelta(days=1)).isoformat(), "start_time": "09:00", "end_time": "15:00",
                 "start_lat": "31.2", "start_lng": "121.44", "end_lat": "31.2", "end_lng": "121.44"}
        foreign = client.post("/api/v1/dispatch/shifts/", {"caregiver": other_board.shift.caregiver_id, **place},
                              format="json")
        assert foreign.status_code == 400 and "caregiver" in foreign.json()
        assert not Shift.objects.filter(caregiver_id=other_board.shift.caregiver_id, date=DAY + dt.timedelta(days=1)).exists()

    def test_optimise_move_publish_and_conflicts(self, api_as, board, django_capture_on_commit_callbacks):
        client = api_as(board.actor)
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post("/api/v1/dispatch/plans/optimise/", {"date": DAY.isoformat(), "iterations": 2000},
                                  format="json")
        assert started.status_code == 202
        plan_id = started.json()["id"]
        plan = client.get(f"/api/v1/dispatch/plans/{plan_id}/").json()
        assert plan["status"] == "ready" and len(plan["stops"]) == 6
        refused = client.post(f"/api/v1/dispatch/plans/{plan_id}/move/",
                              {"work_order": board.orders[1].pk, "shift": board.shifts.li.pk}, format="json")
        assert refused.status_code == 400 and "李强 不具备" in str(refused.json())
        published = client.post(f"/api/v1/dispatch/plans/{plan_id}/publish/")
        assert published.status_code == 200 and published.json()["published"] >= 5
        again = client.post(f"/api/v1/dispatch/plans/{plan_id}/publish/")
        # A published plan is not published again; what it still allows is named (from the step table).
        assert again.status_code == 409 and again.json()["allowed_actions"] == again.json()["allowed"] == [
            "move", "replan", "place"]
        reoptimise = client.post("/api/v1/dispatch/plans/optimise/", {"date": DAY.isoformat()}, format="json")
        assert reoptimise.status_code == 409 and "replan" in reoptimise.json()["allowed"]
        replanned = client.post(f"/api/v1/dispatch/plans/{plan_id}/replan/",
                                {"shift": board.shifts.wang.pk, "off_from": "10:00", "iterations": 300}, format="json")
        assert replanned.status_code == 200 and replanned.json()["plan"]["status"] == "ready"

    def test_caregivers_see_their_own_day_only(self, api_as, optimised, users):
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        mine = api_as(users.caregiver).get("/api/v1/dispatch/my-day/", {"date": DAY.isoformat()}).json()["results"]
        orders = {o.pk: o for o in optimised.orders}
        assert mine and all(orders[v["id"]].caregiver_id is None or True for v in mine)
        from carecircle.workorders.models import WorkOrder

        assert {v["id"] for v in mine} == set(WorkOrder.objects.filter(caregiver=optimised.staff.wang)
                                              .values_list("id", flat=True))
        assert all("*" in v["phone"] for v in mine)
        assert api_as(users.caregiver).get("/api/v1/dispatch/plans/").status_code == 403
        assert api_as(users.provider_admin).get("/api/v1/dispatch/my-day/").status_code == 403
        assert api_as(users.district_admin).get("/api/v1/dispatch/shifts/").status_code == 403


class TestPages:
    def test_board_shows_map_data_timeline_unscheduled_and_orders(self, client, optimised):
        client.force_login(optimised.actor)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert 'id="dispatch-map-data"' in body and "timeline-visit" in body
        for order in optimised.orders:
            assert order.elder.name in body
        assert "data-action=\"publish\"" in body and "<script>" not in body.replace('<script src=', '')

    def test_board_filters_work_orders(self, client, optimised):
        client.force_login(optimised.actor)
        response = client.get("/dispatch/", {"date": DAY.isoformat(), "qualification": "registered_nurse"})
        assert list(response.context["orders"]) == [optimised.orders[1]]
        empty = client.get("/dispatch/", {"date": (DAY + dt.timedelta(days=9)).isoformat()}).content.decode()
        assert "当天没有符合条件的工单" in empty and "尚未排程" in empty

    def test_board_shows_nothing_of_another_provider(self, client, optimised, other_board):
        client.force_login(optimised.actor)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert other_board.elder.name not in body and "康乐护士甲" not in body
        client.force_login(other_board.admin)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert optimised.elders[0].name not in body and other_board.elder.name in body

    def test_a_refused_move_names_the_problem_on_the_page(self, client, optimised):
        client.force_login(optimised.actor)
        response = client.post(f"/dispatch/plans/{optimised.plan.pk}/move/",
                               {"work_order": optimised.orders[1].pk, "shift": optimised.shifts.li.pk}, follow=True)
        assert "李强 不具备" in response.content.decode()

    def test_optimise_and_publish_from_the_page(self, client, board, district, django_capture_on_commit_callbacks):
        from carecircle.core.services import policy_parameter_set

        # The district gives the optimiser one second a day (a dated policy value): the page runs the real job.
        policy_parameter_set(actor=None, key="dispatch.optimise.seconds", region=district.district, value=1,
                             effective_from=DAY.replace(day=1), source="测试：本地决定", confidence="local")
        client.force_login(board.actor)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/dispatch/optimise/", {"date": DAY.isoformat()})
        plan = DispatchPlan.objects.get(organisation=board.org, date=DAY)
        assert plan.status == "ready"
        status = client.get(f"/dispatch/plans/{plan.pk}/status/", HTTP_HX_REQUEST="true")
        assert status["HX-Refresh"] == "true"
        response = client.post(f"/dispatch/plans/{plan.pk}/publish/", follow=True)
        assert "已发布" in response.content.decode()

    def test_while_optimising_the_board_polls_the_job_progress(self, client, board):
        plan = services.plan_optimise(actor=board.actor, date=DAY)  # the job waits for the commit
        client.force_login(board.actor)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert f'hx-get="/dispatch/plans/{plan.pk}/status/"' in body and 'hx-trigger="every 2s"' in body
        fragment = client.get(f"/dispatch/plans/{plan.pk}/status/", HTTP_HX_REQUEST="true")
        assert "HX-Refresh" not in fragment and "优化中" in fragment.content.decode()

    def test_an_order_cancelled_after_planning_is_flagged_and_not_published(self, client, optimised):
        from carecircle.workorders.models import WorkOrder

        stop = optimised.plan.stops.filter(shift__isnull=False).first()
        work_orders.work_orders_cancel(actor=None, work_orders=WorkOrder.objects.filter(pk=stop.work_order_id),
                                       reason="老人住院")
        client.force_login(optimised.actor)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}).content.decode()
        assert "data-withdrawn" in body and "老人住院" in body
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        assert WorkOrder.objects.get(pk=stop.work_order_id).status == WorkOrderStatus.CANCELLED

    def test_export_lists_the_plan_with_masked_phones(self, client, optimised):
        client.force_login(optimised.actor)
        response = client.get(f"/dispatch/plans/{optimised.plan.pk}/export.csv")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "王芳" in text and "138****8000" in text and "13800138000" not in text

    def test_the_roster_exports_as_csv_for_the_own_provider_only(self, client, board, other_board):
        client.force_login(board.actor)
        response = client.get("/dispatch/shifts/export.csv", {"date": DAY.isoformat()})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        lines = text.strip().splitlines()
        assert len(lines) == 4 and "王芳" in text and "电动自行车" in text and "康乐护士甲" not in text
        assert "11:30–13:00 / 30" in text

    def test_shift_page_adds_and_copies_shifts(self, client, board):
        client.force_login(board.actor)
        staff = make_staff(board.org, name="新人")
        response = client.post(f"/dispatch/shifts/?date={DAY.isoformat()}", {
            "caregiver": staff.pk, "date": DAY.isoformat(), "start_time": "09:00", "end_time": "16:00",
            "travel_mode": "walking", "start_kind": "home", "start_lat": "31.2", "start_lng": "121.44",
            "end_kind": "home", "end_lat": "31.2", "end_lng": "121.44"}, follow=True)
        assert "已为 新人 录入" in response.content.decode()
        bad = client.post(f"/dispatch/shifts/?date={DAY.isoformat()}", {
            "caregiver": staff.pk, "date": DAY.isoformat(), "start_time": "09:00", "end_time": "16:00",
            "travel_mode": "walking", "start_kind": "home", "end_kind": "home"})
        assert bad.status_code == 200 and "须填写住所的纬度和经度" in bad.content.decode()
        copied = client.post("/dispatch/shifts/copy/", {"date": (DAY + dt.timedelta(days=7)).isoformat()}, follow=True)
        assert "复制 4 个班次" in copied.content.decode()

    def test_my_day_page_lists_visits_in_order_with_masked_phone(self, client, optimised, users):
        services.plan_publish(actor=optimised.actor, plan=optimised.plan)
        client.force_login(users.caregiver)
        body = client.get("/dispatch/my-day/", {"date": DAY.isoformat()}).content.decode()
        assert "138****8000" in body and "13800138000" not in body and "geo:" in body
        assert client.get("/dispatch/").status_code == 403

    def test_the_board_in_english(self, client, optimised):
        client.force_login(optimised.actor)
        body = client.get("/dispatch/", {"date": DAY.isoformat()}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Dispatch board" in body and "Publish" in body


def chinese_interface_text(html: str, data: set[str]) -> list[str]:
    """Chinese left on a page once scripts, tags and the data people entered (names, addresses) are removed."""
    import re

    text = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+", text)


def test_the_dispatch_pages_in_english_have_no_chinese_interface_text(client, optimised, users, district):
    from carecircle.workorders.models import WorkOrder

    services.stop_move(actor=optimised.actor, plan=optimised.plan, work_order_id=optimised.orders[0].pk, shift=None)
    data = {"上海话", "中文", "简体中文", district.provider.name, district.a1.name, users.provider_admin.display_name}
    data |= {e.name for e in optimised.elders} | {e.address for e in optimised.elders}
    data |= {s.name for s in vars(optimised.staff).values()} | {district.elders.a1.name}
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    client.force_login(optimised.actor)
    for url in (f"/dispatch/?date={DAY}", f"/dispatch/shifts/?date={DAY}"):
        body = client.get(url, **english).content.decode()
        assert chinese_interface_text(body, data) == [], url
    assert "Taken off by the dispatcher" in client.get(f"/dispatch/?date={DAY}", **english).content.decode()
    services.plan_publish(actor=optimised.actor, plan=optimised.plan)
    assert WorkOrder.objects.filter(caregiver=optimised.staff.wang).exists()
    client.force_login(users.caregiver)
    body = client.get(f"/dispatch/my-day/?date={DAY}", **english).content.decode()
    assert chinese_interface_text(body, data | {users.caregiver.display_name}) == []
