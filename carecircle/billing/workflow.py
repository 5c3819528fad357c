"""Step tables: a claim from draft to paid, and a month's run (closed, reopened with a reason)."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.workflow import Step, Workflow

CLAIM_FLOW = Workflow("billing.claim", steps=[
    Step("submit", _("提交申报"), {"draft", "returned"}, "submitted", {"billing.submit"}),
    Step("reject_line", _("驳回明细"), {"submitted"}, None, {"billing.review"}, needs_reason=True),
    # The target is the service's: returned to the provider while a rejected line has no correction, else reviewed.
    Step("review", _("完成审核"), {"submitted"}, None, {"billing.review"}),
    Step("correct_line", _("更正明细"), {"returned"}, None, {"billing.submit"}),
    Step("adjust", _("增加调整"), {"draft", "submitted", "returned", "reviewed"}, None, {"billing.review"},
         needs_reason=True),
    Step("approve", _("审批"), {"reviewed"}, "approved", {"billing.approve"}),
    Step("record_payment", _("登记到账"), {"approved", "paid"}, None, {"billing.approve"}),
    Step("pay", _("确认已支付"), {"approved"}, "paid", {"billing.approve"}),
])

RUN_FLOW = Workflow("billing.settlementrun", steps=[
    Step("settle", _("关账结算"), {"open"}, "closed", {"billing.settle"}),
    Step("reopen", _("重新开账"), {"closed"}, "open", {"billing.approve"}, needs_reason=True),
])
