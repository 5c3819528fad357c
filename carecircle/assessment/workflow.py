"""The assessment's two step tables on the shared workflow mechanism (carecircle/core/workflow.py).

* `ORDER_FLOW` — the order at the agency: scheduling the two assessors, moving it to another agency,
  cancelling it, starting the form.
* `ASSESSMENT_FLOW` — the assessors' form: saving answers, submitting, the second signature, sending it back,
  photos. A form belongs to an order that is still running (an order cancelled mid-way freezes its draft).

Who may take a step: the capability from the role table, and for the form the two assessors the order names
(the guard). Services check the step before they write; the order page offers what `allowed_actions` says.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

from .models import AssessmentStatus, OrderStatus

ORDER = "assessment.order"
SCHEDULE = "assessment.schedule"
ASSESS = "assessment.assess"

OPEN_BEFORE_SUBMISSION = {OrderStatus.ASSIGNED, OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS}


def is_order_assessor(order, actor) -> bool:
    """One of the two assessors the order names (the system and superusers too)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    return actor.pk in {order.assessor_1_id, order.assessor_2_id}


def _schedules_for_order(order, actor) -> bool:
    """An assessor schedules only the orders of their own agency; the district and streets any they see."""
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    if getattr(actor, "scope_region_id", None) is not None:
        return True
    return actor.organisation_id == order.agency_id


def _order_assessor(order, actor) -> bool:
    return is_order_assessor(order, actor)


def _form_assessor(assessment, actor) -> bool:
    return is_order_assessor(assessment.order, actor)


def _form_in_progress(assessment, actor) -> bool:
    return assessment.order.status == OrderStatus.IN_PROGRESS and is_order_assessor(assessment.order, actor)


def _form_awaiting_signatures(assessment, actor) -> bool:
    return assessment.order.status == OrderStatus.SUBMITTED and is_order_assessor(assessment.order, actor)


def not_signed_yet(assessment, actor) -> bool:
    """The second signature comes from the assessor who has not signed (each signs once)."""
    if actor is None:
        return True
    return not assessment.confirmations.filter(assessor_id=actor.pk).exists()


def _may_confirm(assessment, actor) -> bool:
    return _form_awaiting_signatures(assessment, actor) and not_signed_yet(assessment, actor)


ORDER_FLOW = Workflow("assessment.assessmentorder", state_field="status", steps=[
    Step("schedule", _("安排评估员与上门时间"), OPEN_BEFORE_SUBMISSION, None, {SCHEDULE}, guard=_schedules_for_order),
    Step("reassign", _("改派评估机构"), {OrderStatus.ASSIGNED}, None, {ORDER}, needs_reason=True),
    Step("cancel", _("取消评估任务"), OPEN_BEFORE_SUBMISSION, OrderStatus.CANCELLED, {ORDER}, needs_reason=True),
    Step("start", _("开始评估"), {OrderStatus.SCHEDULED}, OrderStatus.IN_PROGRESS, {ASSESS}, guard=_order_assessor),
])

ASSESSMENT_FLOW = Workflow("assessment.assessment", state_field="status", steps=[
    Step("save", _("保存评估表"), {AssessmentStatus.DRAFT}, None, {ASSESS}, guard=_form_in_progress),
    Step("submit", _("提交评估结果"), {AssessmentStatus.DRAFT}, AssessmentStatus.SUBMITTED, {ASSESS},
         guard=_form_in_progress),
    Step("confirm", _("确认评估结果"), {AssessmentStatus.SUBMITTED}, None, {ASSESS}, guard=_may_confirm),
    Step("reopen", _("退回修改"), {AssessmentStatus.SUBMITTED}, AssessmentStatus.DRAFT, {ASSESS},
         guard=_form_awaiting_signatures, needs_reason=True),
    Step("add_photo", _("上传照片"), {AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED}, None, {ASSESS},
         guard=_form_assessor),
])
