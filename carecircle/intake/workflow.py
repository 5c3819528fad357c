"""The state machine: which action leads from which state to which, who may take it, and what it needs.

One table on the shared workflow mechanism (carecircle/core/workflow.py); services, the API (its `action`
enum) and the pages all read it. What depends on the application type's configuration (assessment, public
notice, waiting order) is each step's guard.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

from .models import State

# Capabilities (core/roles.py): the street window, the district review, the applicant (elder/family).
STREET = "intake.street"
DISTRICT = "intake.district"
APPLICANT = "intake.apply"


OPEN_BEFORE_SERVICE = {
    State.REGISTERED, State.ACCEPTED, State.CORRECTION, State.STREET_PASSED, State.DISTRICT_PASSED,
    State.ASSESSMENT_ORDERED, State.ASSESSED, State.PUBLIC_NOTICE, State.WAITLISTED, State.APPROVED,
}


def _requires_assessment(application, actor) -> bool:
    return application.type.requires_assessment


def _notice_applies(application, actor) -> bool:
    kind = application.type
    return kind.public_notice and (application.state == State.ASSESSED or not kind.requires_assessment)


def _approval_without_notice(application, actor) -> bool:
    kind = application.type
    return not kind.public_notice and (application.state == State.ASSESSED or not kind.requires_assessment)


def open_notice(application):
    from .models import PublicNotice

    return PublicNotice.objects.filter(application=application, is_open=True).order_by("-id").first()


def notice_period_over(application, actor=None, *, today=None) -> bool:
    """A notice may be closed once its period (policy: working days) has passed and every objection is answered.

    The page offers "close" only then, and a refusal lists only what this says is allowed."""
    from django.utils import timezone

    from .models import Objection

    notice = open_notice(application)
    if notice is not None and (today or timezone.localdate()) <= notice.ends_on:
        return False
    return not Objection.objects.filter(application=application, outcome="").exists()


def has_open_objection(application, actor=None) -> bool:
    from .models import Objection

    return Objection.objects.filter(application=application, outcome="").exists()


def first_in_queue(application, actor=None) -> bool:
    """Admission follows the waiting order: only the first in the queue is admitted next."""
    from .models import WaitlistEntry

    return WaitlistEntry.objects.filter(application=application, position=1, status="waiting").exists()


FLOW = Workflow("intake.application", state_field="state", steps=[
    Step("accept", _("受理"), {State.REGISTERED}, State.ACCEPTED, {STREET}),
    Step("not_accept", _("不予受理"), {State.REGISTERED}, State.NOT_ACCEPTED, {STREET}, negative=True),
    Step("pass_first_review", _("初审通过"), {State.ACCEPTED}, State.STREET_PASSED, {STREET}),
    Step("return_for_correction", _("退回补正"), {State.ACCEPTED}, State.CORRECTION, {STREET}, negative=True),
    Step("reject_first_review", _("初审不通过"), {State.ACCEPTED}, State.STREET_REJECTED, {STREET}, negative=True),
    Step("resubmit", _("补正后重新提交"), {State.CORRECTION}, State.ACCEPTED, {STREET, APPLICANT}),
    Step("pass_district_review", _("区审核通过"), {State.STREET_PASSED}, State.DISTRICT_PASSED, {DISTRICT}),
    Step("district_return_for_correction", _("区审核退回补正"), {State.STREET_PASSED}, State.CORRECTION, {DISTRICT},
         negative=True),
    Step("reject_district_review", _("区审核不通过"), {State.STREET_PASSED}, State.DISTRICT_REJECTED, {DISTRICT},
         negative=True),
    Step("order_assessment", _("派发评估任务"), {State.DISTRICT_PASSED}, State.ASSESSMENT_ORDERED, {DISTRICT},
         guard=_requires_assessment),
    Step("publish_notice", _("发布公示"), {State.ASSESSED, State.DISTRICT_PASSED}, State.PUBLIC_NOTICE, {STREET},
         guard=_notice_applies),
    Step("answer_objection", _("答复异议"), {State.PUBLIC_NOTICE}, None, {STREET, DISTRICT}, needs_reason=True,
         guard=has_open_objection),
    Step("close_notice", _("公示期满，结束公示"), {State.PUBLIC_NOTICE}, None, {STREET}, guard=notice_period_over),
    Step("approve", _("核准（无需公示）"), {State.ASSESSED, State.DISTRICT_PASSED}, None, {STREET},
         guard=_approval_without_notice),
    # The street admits its own first in line; the district, which runs the type's one queue, may too.
    Step("admit", _("轮候入住/开始服务"), {State.WAITLISTED}, State.IN_SERVICE, {STREET, DISTRICT},
         guard=first_in_queue),
    Step("start_service", _("开始服务"), {State.APPROVED}, State.IN_SERVICE, {STREET}),
    Step("withdraw", _("撤回申请"), OPEN_BEFORE_SERVICE, State.WITHDRAWN, {APPLICANT, STREET}, needs_reason=True),
])

STEPS = FLOW.steps
BY_ACTION = FLOW.by_action
ACTION_CHOICES = FLOW.choices
