"""The month's settlement: one run per district and month, claims per provider and programme, and their lines.

A line is one verified visit's item (or one delivered order line, one facility subsidy, one meal-subsidy claim,
one adjustment) with its quantity, unit price, amount and the split between the LTCI fund, the government's
subsidy and the elder, each amount in yuan to the fen. Lines are never edited after the claim is submitted:
a rejected line stays visible with its reason and a correction or an adjustment is a line of its own.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.isolation import Scoping


class RunStatus(models.TextChoices):
    OPEN = "open", _("未关账")
    CLOSED = "closed", _("已关账")


class SettlementRun(models.Model):
    """A district's month. `settle` builds the claims and closes it; a closed month changes only after a recorded
    reopening."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.OPEN)
    total = models.DecimalField(_("金额"), max_digits=16, decimal_places=2, default=0)
    fund = models.DecimalField(_("基金支付"), max_digits=16, decimal_places=2, default=0)
    subsidy = models.DecimalField(_("政府补贴"), max_digits=16, decimal_places=2, default=0)
    self_pay = models.DecimalField(_("个人自付"), max_digits=16, decimal_places=2, default=0)
    visits_settled = models.PositiveIntegerField(_("结算上门次数"), default=0)
    visits_held = models.PositiveIntegerField(_("暂缓结算上门次数"), default=0)
    lines = models.PositiveIntegerField(_("明细条数"), default=0)
    closed_at = models.DateTimeField(_("关账时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("关账人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scoping = Scoping(region="region", ancestors_visible=True, organisation_reach=None)

    class Meta:
        verbose_name = _("月度结算")
        verbose_name_plural = _("月度结算")
        ordering = ["-month", "region__path"]
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="billing_one_run_a_month")]

    def __str__(self):
        return f"{self.region.name} {self.month:%Y-%m}"


class Reopening(models.Model):
    """A closed month opened again, by whom and why (the only way a closed month changes)."""

    run = models.ForeignKey(SettlementRun, verbose_name=_("月度结算"), on_delete=models.CASCADE,
                            related_name="reopenings")
    reason = models.CharField(_("原因"), max_length=500)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reopened_at = models.DateTimeField(_("重新开账时间"), auto_now_add=True)

    scoping = Scoping(region="run__region", ancestors_visible=True)

    class Meta:
        verbose_name = _("重新开账")
        verbose_name_plural = _("重新开账")
        ordering = ["-reopened_at"]


class ClaimProgramme(models.TextChoices):
    LTCI = "ltci", _("长期护理保险")
    GOV_PURCHASE = "gov_purchase", _("政府购买服务")
    ORDER = "order", _("按需服务订单")
    MEALS = "meals", _("助餐补贴")
    FACILITY = "facility", _("设施建设运营补贴")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("待提交")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回更正")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已支付")


class Claim(models.Model):
    """What one provider claims for one programme and month. Its amounts are the sums of its counted lines."""

    run = models.ForeignKey(SettlementRun, verbose_name=_("月度结算"), on_delete=models.PROTECT, related_name="claims")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="claims")
    programme = models.CharField(_("资金渠道"), max_length=20, choices=ClaimProgramme.choices)
    status = models.CharField(_("状态"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT,
                              db_index=True)
    total = models.DecimalField(_("金额"), max_digits=16, decimal_places=2, default=0)
    fund = models.DecimalField(_("基金支付"), max_digits=16, decimal_places=2, default=0)
    subsidy = models.DecimalField(_("政府补贴"), max_digits=16, decimal_places=2, default=0)
    self_pay = models.DecimalField(_("个人自付"), max_digits=16, decimal_places=2, default=0)
    lines_count = models.PositiveIntegerField(_("明细条数"), default=0)
    rejected_count = models.PositiveIntegerField(_("被驳回条数"), default=0)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="run__region", organisation="organisation", ancestors_visible=False)

    class Meta:
        verbose_name = _("结算申报")
        verbose_name_plural = _("结算申报")
        ordering = ["-run__month", "organisation__name", "programme"]
        constraints = [models.UniqueConstraint(fields=["run", "organisation", "programme"],
                                               name="billing_one_claim_per_programme")]

    def __str__(self):
        return f"{self.organisation} {self.get_programme_display()} {self.run.month:%Y-%m}"


class Basis(models.Model):
    """The rules behind a group of lines (a price, or a split), as code and values, explained in the reader's
    language when shown. Lines share them: a month of a million visits has a few thousand."""

    run = models.ForeignKey(SettlementRun, verbose_name=_("月度结算"), on_delete=models.CASCADE, related_name="bases")
    rules = models.JSONField(_("计价依据"), default=list)

    scoping = Scoping(region="run__region", ancestors_visible=True)

    class Meta:
        verbose_name = _("计价依据")
        verbose_name_plural = _("计价依据")


class LineKind(models.TextChoices):
    VISIT = "visit", _("上门服务")
    ORDER = "order", _("按需订单")
    CORRECTION = "correction", _("更正")
    ADJUSTMENT = "adjustment", pgettext_lazy("claim line", "调整")
    MEALS = "meals", _("助餐补贴")
    FACILITY = "facility", _("设施补贴")


class LineStatus(models.TextChoices):
    COUNTED = "counted", _("计入")
    REJECTED = "rejected", _("已驳回")


class ClaimLine(models.Model):
    """One amount of a claim. `fund + subsidy + self_pay = amount` on every line (a database check)."""

    claim = models.ForeignKey(Claim, verbose_name=_("结算申报"), on_delete=models.CASCADE, related_name="lines",
                              db_index=False)
    kind = models.CharField(_("类型"), max_length=12, choices=LineKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=LineStatus.choices, default=LineStatus.COUNTED)
    # A visit lives in a table partitioned by month on PostgreSQL: it is named by (id, date) and its work order.
    visit_id = models.BigIntegerField(_("上门服务"), null=True, blank=True)
    visit_date = models.DateField(_("服务日期"), null=True, blank=True)
    # The references below are written by the statement that joins the rows they name, so each is right by
    # construction; the database does not check them again line by line (a foreign key costs one index probe and
    # row lock per line: a million-visit month spent most of its closing time on them). Deletes of the rows they
    # name are still refused by the ORM (PROTECT).
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("工单"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    order = models.ForeignKey("careplans.ServiceOrder", verbose_name=_("按需订单"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False, db_constraint=False)
    community = models.ForeignKey("regions.Region", verbose_name=_("社区"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("服务项目"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("单价"), max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    fund = models.DecimalField(_("基金支付"), max_digits=14, decimal_places=2, default=0)
    subsidy = models.DecimalField(_("政府补贴"), max_digits=14, decimal_places=2, default=0)
    self_pay = models.DecimalField(_("个人自付"), max_digits=14, decimal_places=2, default=0)
    fund_share = models.DecimalField(_("基金支付比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    subsidy_share = models.DecimalField(_("补贴比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    # The subsidy the share asked for; less was granted when the month's budget ran out.
    subsidy_wanted = models.DecimalField(_("按比例应补"), max_digits=14, decimal_places=2, default=0)
    self_pay_confirmed = models.BooleanField(_("老人确认的超出待遇自费"), default=False)
    price_basis = models.ForeignKey(Basis, verbose_name=_("单价依据"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    split_basis = models.ForeignKey(Basis, verbose_name=_("分担依据"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    replaces = models.ForeignKey("self", verbose_name=_("更正的明细"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    # What a subsidy line pays for (a meal-subsidy claim, a facility's month, a construction), so that no run
    # pays it twice; never shown.
    source_key = models.CharField(max_length=40, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False)

    scoping = Scoping(region="community", organisation="claim__organisation", person="elder",
                      region_reach="claim__run__region")

    class Meta:
        verbose_name = _("结算申报明细")
        verbose_name_plural = _("结算申报明细")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["claim", "status"], name="billing_line_claim"),
            models.Index(fields=["elder", "visit_date"], name="billing_line_elder"),
        ]
        constraints = [
            # A visit's item is claimed once, ever: running a month again cannot duplicate it.
            models.UniqueConstraint(fields=["visit_id", "visit_date", "item"], condition=Q(kind="visit"),
                                    name="billing_visit_item_once"),
            models.UniqueConstraint(fields=["order", "item"], condition=Q(kind="order"), name="billing_order_item_once"),
            # Compared in whole fen: SQLite keeps decimals as floating point, whose sums are not exact.
            models.CheckConstraint(condition=Exact(Round(models.F("amount") * 100),
                                                   Round(models.F("fund") * 100) + Round(models.F("subsidy") * 100)
                                                   + Round(models.F("self_pay") * 100)),
                                   name="billing_line_parts_add_up"),
        ]


class HoldReason(models.TextChoices):
    OPEN_EXCEPTION = "open_exception", _("有未处理的异常")
    NOT_VERIFIED = "not_verified", _("尚未核验")
    BEYOND_CAP = "beyond_cap", _("超出每周待遇上限且老人未确认自费")
    AFTER_DEATH = "after_death", _("服务日期在老人身故之后")
    NO_PRICE = "no_price", _("没有有效单价")
    NO_ENTITLEMENT = "no_entitlement", _("服务日期没有可享受长护险待遇的照护等级")
    CLAIM_CLOSED = "claim_closed", _("本月申报已提交，转入下月结算")


class HeldVisit(models.Model):
    """A visit of the month that was not paid in this run, and why. Held for an open exception, it enters a later
    run once the exception is resolved."""

    run = models.ForeignKey(SettlementRun, verbose_name=_("月度结算"), on_delete=models.CASCADE, related_name="held")
    visit_id = models.BigIntegerField(_("上门服务"))
    visit_date = models.DateField(_("服务日期"))
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("工单"), on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    reason = models.CharField(_("原因"), max_length=20, choices=HoldReason.choices)

    scoping = Scoping(region="run__region", organisation="organisation", ancestors_visible=False)

    class Meta:
        verbose_name = _("暂缓结算的上门服务")
        verbose_name_plural = _("暂缓结算的上门服务")
        ordering = ["visit_date", "visit_id"]
        indexes = [models.Index(fields=["run", "organisation"], name="billing_held_run"),
                   models.Index(fields=["visit_id", "visit_date"], name="billing_held_visit")]


class Payer(models.TextChoices):
    FUND = "fund", _("长护险基金")
    SUBSIDY = "subsidy", _("财政补贴")
    SELF_PAY = "self_pay", _("老人自付")


class Payment(models.Model):
    """Money received for a claim from one payer (a bank credit, a transfer from the fund), for reconciliation."""

    claim = models.ForeignKey(Claim, verbose_name=_("结算申报"), on_delete=models.PROTECT, related_name="payments")
    payer = models.CharField(_("付款方"), max_length=10, choices=Payer.choices)
    amount = models.DecimalField(_("到账金额"), max_digits=16, decimal_places=2)
    received_on = models.DateField(_("到账日期"))
    reference = models.CharField(_("流水号"), max_length=100)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="claim__run__region", organisation="claim__organisation")

    class Meta:
        verbose_name = _("到账记录")
        verbose_name_plural = _("到账记录")
        ordering = ["-received_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["payer", "reference"], name="billing_payment_reference_once")]


class Completion(models.Model):
    """A new facility accepted as built: its one-off construction subsidy is paid by the next month's run."""

    facility = models.OneToOneField("providers.Facility", verbose_name=_("养老服务设施"), on_delete=models.PROTECT,
                                    related_name="+")
    completed_on = models.DateField(_("竣工验收日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="facility__community", organisation="facility__organisation")

    class Meta:
        verbose_name = _("设施竣工验收")
        verbose_name_plural = _("设施竣工验收")
        ordering = ["-completed_on"]
