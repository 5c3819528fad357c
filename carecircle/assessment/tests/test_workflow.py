"""The order and form step tables: an illegal step is the shared IllegalStep (HTTP 409 with the actions allowed
from here, never a 400), reasons keep their words, and the order page offers what the tables allow."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from carecircle.assessment import services
from carecircle.assessment.models import OrderStatus
from carecircle.assessment.workflow import ASSESSMENT_FLOW, ORDER_FLOW
from carecircle.core import workflow as core_workflow
from carecircle.core.errors import exception_handler

from .conftest import full_answers

pytestmark = pytest.mark.django_db


def _scheduled(team, district, users):
    order = services.assessment_order_create(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9))
    order.refresh_from_db()
    return order


def test_the_tables_are_registered_with_the_shared_mechanism(team, district, users):
    order = _scheduled(team, district, users)
    assert core_workflow.workflow_for(order) is ORDER_FLOW
    assert core_workflow.allowed_actions(order, users.street_staff) == ["cancel"]
    assert core_workflow.allowed_actions(order, team.first) == ["schedule", "start"]
    assert core_workflow.allowed_actions(order, users.district_admin) == ["schedule", "cancel"]
    assert services.IllegalStep is core_workflow.IllegalStep


def test_an_illegal_step_is_409_with_what_is_allowed(team, district, users):
    order = _scheduled(team, district, users)
    with pytest.raises(core_workflow.IllegalStep) as refused:
        services.assessment_order_reassign(order=order, actor=users.street_staff, reason="机构人手不足")
    assert refused.value.allowed == ["cancel"]
    assert "已安排评估员" in refused.value.message and "改派评估机构" in refused.value.message
    assert "取消评估任务" in refused.value.message
    assert not isinstance(refused.value, ValidationError)  # never answered as a 400 again
    answer = exception_handler(refused.value, {})
    assert answer.status_code == 409
    assert answer.data["allowed_actions"] == ["cancel"] and "改派评估机构" in answer.data["detail"]


def test_a_legal_step_without_its_reason_is_a_400_in_the_apps_words(team, district, users):
    order = _scheduled(team, district, users)
    with pytest.raises(ValidationError) as missing:
        services.assessment_order_cancel(order=order, actor=users.street_staff, reason="  ")
    assert missing.value.message_dict == {"reason": ["请填写取消原因"]}
    order.refresh_from_db()
    assert order.status == OrderStatus.SCHEDULED


def test_the_form_table_follows_the_signatures(team, district, users):
    order = _scheduled(team, district, users)
    a = services.assessment_start(order=order, actor=team.first)
    assert ASSESSMENT_FLOW.allowed_actions(a, team.first) == ["save", "submit", "add_photo"]
    services.assessment_save(assessment=a, actor=team.first, answers=full_answers("gbt42195_2022"))
    a = services.assessment_submit(assessment=a, actor=team.first)
    # The submitter has signed: the second signature is the other assessor's.
    assert ASSESSMENT_FLOW.allowed_actions(a, team.first) == ["reopen", "add_photo"]
    assert ASSESSMENT_FLOW.allowed_actions(a, team.second) == ["confirm", "reopen", "add_photo"]
    with pytest.raises(core_workflow.IllegalStep) as refused:
        services.assessment_confirm(assessment=a, actor=team.first)
    assert "另一名评估员" in refused.value.message and refused.value.allowed == ["reopen", "add_photo"]
    with pytest.raises(core_workflow.IllegalStep):
        services.assessment_save(assessment=a, actor=team.second, answers={"B.1.1": "4"})
    a = services.assessment_confirm(assessment=a, actor=team.second)
    assert a.is_final and ASSESSMENT_FLOW.allowed_actions(a, team.second) == []
    with pytest.raises(core_workflow.IllegalStep) as refused:
        services.assessment_reopen(assessment=a, actor=team.second, reason="改一项")
    assert refused.value.allowed == [] and "无可执行的操作" in refused.value.message


def test_the_order_page_offers_what_the_tables_allow(team, district, users, client):
    order = _scheduled(team, district, users)
    url = f"/assessment/orders/{order.pk}/"
    client.force_login(users.street_staff)
    page = client.get(url).content.decode()
    assert "取消评估任务" in page and "安排评估员与上门时间" not in page
    client.force_login(team.first)
    page = client.get(url).content.decode()
    assert 'id="start-button"' in page and "安排评估员与上门时间" in page and "取消评估任务" not in page
    client.force_login(users.street_staff)
    services.assessment_order_cancel(order=order, actor=users.street_staff, reason="老人住院")
    page = client.get(url).content.decode()
    assert "取消评估任务" not in page
    # A refused step on the page is a message, not an error page.
    answer = client.post(f"/assessment/orders/{order.pk}/cancel/", {"reason": "再取消一次"}, follow=True)
    assert answer.status_code == 200 and "不能执行“取消评估任务”" in answer.content.decode()


def test_a_death_closes_open_orders_and_ends_levels_in_the_name_of_who_recorded_it(
        team, district, users, django_capture_on_commit_callbacks):
    from carecircle.assessment.models import CareLevel
    from carecircle.core.models import AuditEvent, OutboxEvent
    from carecircle.elders.services import elder_change_status

    elder = district.elders.a1
    order = _scheduled(team, district, users)
    services.care_level_record_external(elder=elder, programme="ltci", level=3, source="市评估系统 R-1",
                                        valid_from=dt.date(2026, 1, 1), actor=None)
    died = dt.date(2026, 11, 20)
    with django_capture_on_commit_callbacks(execute=True):
        elder_change_status(actor=users.street_staff, elder=elder, status="deceased", on=died, reason="死亡医学证明")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_reason == "老人已去世"
    assert CareLevel.objects.get(elder=elder).valid_until == died
    event = OutboxEvent.objects.get(name="elders.status_changed")
    assert event.delivered_at is not None
    assert "assessment.close_orders_for_elder" in set(event.deliveries.values_list("handler", flat=True))
    cancel = AuditEvent.objects.get(action="assessment.order_cancel", subject_id=str(order.pk))
    assert cancel.actor == users.street_staff and cancel.reason == "老人已去世"
