"""The state machine: which action leads from which state to which, who may take it, and what it needs.

One table; services, the API (its `action` enum) and the pages all read it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import State

# Capabilities (core/roles.py): the street window, the district review, the applicant (elder/family).
STREET = "intake.street"
DISTRICT = "intake.district"
APPLICANT = "intake.apply"


@dataclass(frozen=True)
class Step:
    action: str
    label: object
    source: frozenset
    target: str | None  # None: the service decides (e.g. waiting list or service start)
    capabilities: frozenset
    needs_reason: bool = False
    negative: bool = False  # refusals and returns: a reason is required and shown


def _step(action, label, source, target, capabilities, *, needs_reason=False, negative=False):
    return Step(action, label, frozenset(source), target, frozenset(capabilities),
                needs_reason or negative, negative)


OPEN_BEFORE_SERVICE = {
    State.REGISTERED, State.ACCEPTED, State.CORRECTION, State.STREET_PASSED, State.DISTRICT_PASSED,
    State.ASSESSMENT_ORDERED, State.ASSESSED, State.PUBLIC_NOTICE, State.WAITLISTED, State.APPROVED,
}

STEPS = [
    _step("accept", _("受理"), {State.REGISTERED}, State.ACCEPTED, {STREET}),
    _step("not_accept", _("不予受理"), {State.REGISTERED}, State.NOT_ACCEPTED, {STREET}, negative=True),
    _step("pass_first_review", _("初审通过"), {State.ACCEPTED}, State.STREET_PASSED, {STREET}),
    _step("return_for_correction", _("退回补正"), {State.ACCEPTED}, State.CORRECTION, {STREET}, negative=True),
    _step("reject_first_review", _("初审不通过"), {State.ACCEPTED}, State.STREET_REJECTED, {STREET}, negative=True),
    _step("resubmit", _("补正后重新提交"), {State.CORRECTION}, State.ACCEPTED, {STREET, APPLICANT}),
    _step("pass_district_review", _("区审核通过"), {State.STREET_PASSED}, State.DISTRICT_PASSED, {DISTRICT}),
    _step("reject_district_review", _("区审核不通过"), {State.STREET_PASSED}, State.DISTRICT_REJECTED, {DISTRICT},
          negative=True),
    _step("order_assessment", _("派发评估任务"), {State.DISTRICT_PASSED}, State.ASSESSMENT_ORDERED, {DISTRICT}),
    _step("publish_notice", _("发布公示"), {State.ASSESSED, State.DISTRICT_PASSED}, State.PUBLIC_NOTICE, {STREET}),
    _step("answer_objection", _("答复异议"), {State.PUBLIC_NOTICE}, None, {STREET, DISTRICT}, needs_reason=True),
    _step("close_notice", _("公示期满，结束公示"), {State.PUBLIC_NOTICE}, None, {STREET}),
    _step("approve", _("核准（无需公示）"), {State.ASSESSED, State.DISTRICT_PASSED}, None, {STREET}),
    _step("admit", _("轮候入住/开始服务"), {State.WAITLISTED}, State.IN_SERVICE, {STREET}),
    _step("start_service", _("开始服务"), {State.APPROVED}, State.IN_SERVICE, {STREET}),
    _step("withdraw", _("撤回申请"), OPEN_BEFORE_SERVICE, State.WITHDRAWN, {APPLICANT, STREET}, needs_reason=True),
]

BY_ACTION = {step.action: step for step in STEPS}
ACTION_CHOICES = [(step.action, step.label) for step in STEPS]

# Actions that depend on the type's configuration as well as on the state.
def step_applies(step: Step, application, *, listing: bool = True) -> bool:
    """Whether the step fits this application's type and situation. With `listing` False (taking the step),
    the waiting-order rule is left to the step itself, which says who is first."""
    kind = application.type
    state = application.state
    if step.action == "order_assessment":
        return kind.requires_assessment
    if step.action == "publish_notice":
        if not kind.public_notice:
            return False
        return state == State.ASSESSED or not kind.requires_assessment
    if step.action == "admit" and listing:
        # Admission follows the waiting order: only the first in the queue is admitted next.
        from .models import WaitlistEntry

        return WaitlistEntry.objects.filter(application=application, position=1, status="waiting").exists()
    if step.action == "approve":
        if kind.public_notice:
            return False
        return state == State.ASSESSED or not kind.requires_assessment
    return True
