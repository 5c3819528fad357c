"""The step tables of inspections and rectification problems (core/workflow.py)."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

from .choices import InspectionStatus as S
from .choices import ProblemStatus as P

INSPECTION_FLOW = Workflow("inspections.inspection", steps=[
    Step("start", _("开始检查"), {S.PLANNED}, S.IN_PROGRESS, {"inspections.inspect"}),
    Step("save", _("保存草稿"), {S.PLANNED, S.IN_PROGRESS}, S.IN_PROGRESS, {"inspections.inspect"}),
    Step("add_photo", _("添加照片"), {S.PLANNED, S.IN_PROGRESS}, None, {"inspections.inspect"}),
    Step("submit", _("提交检查结果"), {S.PLANNED, S.IN_PROGRESS}, S.SUBMITTED, {"inspections.inspect"}),
    Step("issue_notice", _("下达整改意见书"), {S.SUBMITTED, S.ACKNOWLEDGED}, None, {"inspections.inspect"}),
    Step("acknowledge", _("确认检查结果"), {S.SUBMITTED}, S.ACKNOWLEDGED, {"inspections.respond"}),
    Step("assign", _("分派"), {S.PLANNED, S.IN_PROGRESS}, None, {"inspections.plan"}),
    Step("cancel", _("取消检查"), {S.PLANNED}, S.CANCELLED, {"inspections.plan"}, negative=True),
    Step("rate", _("评定星级"), {S.SUBMITTED, S.ACKNOWLEDGED}, None, {"inspections.rate"}),
])

PROBLEM_FLOW = Workflow("inspections.problem", steps=[
    Step("respond", _("提交整改材料"), {P.OPEN}, P.RESPONDED, {"inspections.respond"}),
    Step("close", _("复查通过，销号"), {P.RESPONDED}, P.CLOSED, {"inspections.inspect"}),
    Step("return", _("复查未通过，退回整改"), {P.RESPONDED}, P.OPEN, {"inspections.inspect"}, negative=True),
    Step("escalate", _("升级处理"), {P.OPEN, P.RESPONDED}, P.ESCALATED, {"inspections.inspect", "inspections.rate"},
         negative=True),
])
