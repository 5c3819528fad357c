"""The steps of an emergency case: answered, acted on, closed, called back."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

ALARM_FLOW = Workflow("hotline.alarm", state_field="status", steps=[
    Step("acknowledge", _("响应"), {"open"}, "acknowledged", {"hotline.operate"}),
    Step("act", _("记录处置"), {"open", "acknowledged"}, "acknowledged", {"hotline.operate"}),
    Step("close", _("结案"), {"acknowledged"}, "closed", {"hotline.operate"}),
    Step("callback", _("回访"), {"closed"}, "closed", {"hotline.operate"},
         guard=lambda alarm, actor: alarm.callback_at is None),
])
