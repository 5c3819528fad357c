"""Quality supervision: rating schemes as data, inspection plans, inspections on a phone, rectification
notices to closure, star ratings and the published ratings. The district plans and rates; inspectors (the
district's own or a contracted agency's, who see only what their agency is assigned) inspect and re-check;
providers acknowledge and answer notices; everyone signed in reads the published ratings."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    SCHEME_LOAD = "inspections.scheme_load"
    PLAN_GENERATE = "inspections.plan_generate"
    CREATE = "inspections.create"
    ASSIGN = "inspections.assign"
    CANCEL = "inspections.cancel"
    START = "inspections.start"
    SAVE = "inspections.save"
    SUBMIT = "inspections.submit"
    ACKNOWLEDGE = "inspections.acknowledge"
    PHOTO_ADD = "inspections.photo_add"
    NOTICE_ISSUE = "inspections.notice_issue"
    PROBLEM_RESPOND = "inspections.problem_respond"
    PROBLEM_CLOSE = "inspections.problem_close"
    PROBLEM_ESCALATE = "inspections.problem_escalate"
    RATING_DECIDE = "inspections.rating_decide"
    RATING_REVOKE = "inspections.rating_revoke"
    SCORECARD_PUBLISH = "inspections.scorecard_publish"
    LIST_ENTER = "inspections.list_enter"
    LIST_EXIT = "inspections.list_exit"
    CONSORTIUM_CREATE = "inspections.consortium_create"
    CONSORTIUM_MEMBER_ADD = "inspections.consortium_member_add"


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


VIEW = {"inspections.view", "inspections.scorecard"}

plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: VIEW | {"inspections.plan", "inspections.rate", "inspections.overdue",
                                     "inspections.lists"},
        Role.STREET_STAFF: VIEW | {"inspections.overdue"},
        Role.COMMUNITY_WORKER: {"inspections.scorecard"},
        Role.OPERATOR: {"inspections.scorecard"},
        Role.INSPECTOR: VIEW | {"inspections.inspect", "inspections.overdue"},
        Role.PROVIDER_ADMIN: VIEW | {"inspections.respond"},
        Role.CAREGIVER: {"inspections.scorecard"},
        Role.ASSESSOR: {"inspections.scorecard"},
        Role.ELDER: {"inspections.scorecard"},
        Role.FAMILY: {"inspections.scorecard"},
    },
    navigation=[
        NavItem(141, pgettext_lazy("menu", "检查"), "inspections:list", "inspections.view"),
        NavItem(143, pgettext_lazy("menu", "整改"), "inspections:notice-list", "inspections.view"),
        NavItem(147, pgettext_lazy("menu", "星级评定公示"), "inspections:ratings-public", "inspections.scorecard"),
        NavItem(145, pgettext_lazy("menu", "服务评价公示"), "inspections:scorecards-public", "inspections.scorecard"),
        NavItem(146, pgettext_lazy("menu", "服务机构清单"), "inspections:lists", "inspections.view"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="inspections/",
    api=True,
)
