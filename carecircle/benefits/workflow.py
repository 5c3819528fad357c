"""Step tables: the month's payment run and the application for the allowance or the card."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

RUN_FLOW = Workflow("benefits.paymentrun", steps=[
    Step("remake", _("重新生成"), {"draft", "checked"}, "draft", {"benefits.run"}),
    Step("check", _("核对"), {"draft"}, "checked", {"benefits.run"}),
    Step("return_to_draft", _("退回重做"), {"checked"}, "draft", {"benefits.run", "benefits.approve"}, negative=True),
    Step("approve", _("审批"), {"checked"}, "approved", {"benefits.approve"}),
    Step("record_return", _("导入银行回盘"), {"approved", "paid"}, None, {"benefits.run"}),
    Step("adjust", _("增加调整"), {"draft", "checked"}, None, {"benefits.run"}, needs_reason=True),
])

APPLICATION_FLOW = Workflow("benefits.benefitapplication", steps=[
    Step("approve", _("批准"), {"submitted"}, "approved", {"benefits.change"}),
    Step("reject", _("不予批准"), {"submitted"}, "rejected", {"benefits.change"}, negative=True),
])
