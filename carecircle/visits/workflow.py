"""The visit's step table: a check-in or "not at home" starts it, items and the confirmation are recorded
while it is under way, the check-out ends it; the system verifies it or holds it while an exception is open."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

from .models import ExceptionStatus as E
from .models import VisitStatus as S

FIELD = {"visits.record"}

VISIT_FLOW = Workflow("visits.visit", steps=[
    Step("check_in", _("签到"), {S.PLANNED}, S.CHECKED_IN, FIELD),
    Step("not_home", _("登记老人不在家"), {S.PLANNED}, S.NOT_HOME, FIELD),
    Step("items", _("记录服务项目"), {S.CHECKED_IN}, None, FIELD),
    Step("confirm", _("老人或家属确认"), {S.CHECKED_IN}, None, FIELD),
    Step("check_out", _("签退"), {S.CHECKED_IN}, S.CHECKED_OUT, FIELD),
    # The system's own steps (actor None): a visit with an open exception waits, one without is verified.
    Step("hold", _("转入异常待处理"), {S.CHECKED_IN, S.CHECKED_OUT, S.VERIFIED}, S.HELD, {"visits.resolve"}),
    Step("verify", _("核验"), {S.CHECKED_OUT, S.HELD}, S.VERIFIED, {"visits.approve"}),
])

EXCEPTION_FLOW = Workflow("visits.visitexception", steps=[
    Step("resolve", _("处理"), {E.OPEN}, E.RESOLVED, {"visits.resolve"}),
    Step("approve", _("复核通过"), {E.RESOLVED}, E.APPROVED, {"visits.approve"}),
    Step("return", _("退回重新处理"), {E.RESOLVED}, E.OPEN, {"visits.approve"}, negative=True),
])
