from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping
from carecircle.core.sensitive import EncryptedTextField


class Programme(models.TextChoices):
    AGE_ALLOWANCE = "age_allowance", _("老年综合津贴")
    CARD = "card", _("老年优待证")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("发放中")
    STOPPED = "stopped", _("已停发")


class EnrolmentSource(models.TextChoices):
    AUTOMATIC = "automatic", _("达到年龄自动纳入")
    APPLICATION = "application", _("申请")


class Enrolment(models.Model):
    """One elder on the senior-allowance roll: from which month, in which band, until when."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                                 related_name="allowance_enrolment")
    band = models.PositiveSmallIntegerField(_("年龄档（起始年龄）"))
    start_month = models.DateField(_("起发月份"))
    status = models.CharField(_("状态"), max_length=20, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.ACTIVE, db_index=True)
    stop_on = models.DateField(_("停发依据日期"), null=True, blank=True)
    stop_reason = models.CharField(_("停发原因"), max_length=200, blank=True)
    source = models.CharField(_("纳入方式"), max_length=20, choices=EnrolmentSource.choices)
    created_at = models.DateTimeField(_("纳入时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("津贴发放对象")
        verbose_name_plural = _("津贴发放对象")
        ordering = ["elder__community__path", "elder__name", "id"]

    def __str__(self):
        return str(self.elder)


class NoticeKind(models.TextChoices):
    ENROLLED = "enrolled", _("纳入发放通知")
    BAND_UP = "band_up", _("升档通知")
    STOPPED = "stopped", _("停发通知")
    RECOVERY = "recovery", _("多发津贴追回告知书")
    CARD_ISSUED = "card_issued", _("优待证办结通知")


class Notice(models.Model):
    """A letter to the elder or the family: enrolment, band move, stop, recovery of an overpayment."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="benefit_notices")
    kind = models.CharField(_("类型"), max_length=20, choices=NoticeKind.choices)
    month = models.DateField(_("所属月份"))
    body = models.TextField(_("通知内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("津贴通知")
        verbose_name_plural = _("津贴通知")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["elder", "kind", "month"], name="one_benefit_notice_a_month")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.elder}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CHECKED = "checked", _("已核对")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已发放")


class PaymentRun(models.Model):
    """The month's payment list of one district. Frozen once approved: its lines never change again."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=20, choices=RunStatus.choices, default=RunStatus.DRAFT)
    beneficiaries = models.PositiveIntegerField(_("发放人数"), default=0)
    total = models.DecimalField(_("发放金额"), max_digits=14, decimal_places=2, default=0)
    recovery_total = models.DecimalField(_("待追回金额"), max_digits=14, decimal_places=2, default=0)
    made_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    scoping = Scoping(region="region", ancestors_visible=True)

    class Meta:
        verbose_name = _("月度发放批次")
        verbose_name_plural = _("月度发放批次")
        ordering = ["-month", "region__path"]
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="one_payment_run_a_month")]

    def __str__(self):
        return f"{self.region.name} {self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.status in (RunStatus.APPROVED, RunStatus.PAID)


class LineKind(models.TextChoices):
    REGULAR = "regular", _("当月发放")
    ARREARS = "arrears", _("补发")
    RETRY = "retry", _("发放失败重发")
    ADJUSTMENT = "adjustment", _("手工调整")
    RECOVERY = "recovery", _("多发追回")


class LineStatus(models.TextChoices):
    PENDING = "pending", _("待发放")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("发放失败")
    TO_RECOVER = "to_recover", _("待追回")


class PaymentLine(models.Model):
    """One amount for one elder and one month in a run. Recoveries are negative and never go to the bank."""

    run = models.ForeignKey(PaymentRun, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="lines")
    # No index of its own: the (elder, for_month) index below serves every look-up by elder, and it is one
    # index fewer to write when a month's million lines are inserted.
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="allowance_lines", db_index=False)
    kind = models.CharField(_("类型"), max_length=20, choices=LineKind.choices)
    for_month = models.DateField(_("所属月份"))
    band = models.PositiveSmallIntegerField(_("年龄档"), null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    rule = models.JSONField(_("计算依据"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=LineStatus.choices, default=LineStatus.PENDING)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["run", "elder_id", "for_month", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "elder", "kind", "for_month"],
                                               condition=~Q(kind="adjustment"), name="one_line_per_kind_month")]
        indexes = [models.Index(fields=["elder", "for_month"])]

    def __str__(self):
        return f"{self.elder} {self.for_month:%Y-%m} {self.amount}"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class Channel(models.TextChoices):
    PORTAL = "portal", _("网上申请")
    WINDOW = "window", _("窗口申请")


class BenefitApplication(models.Model):
    """An application for the allowance or the card, online by the elder or family, or at the street's window."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="benefit_applications")
    programme = models.CharField(_("项目"), max_length=20, choices=Programme.choices)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=20, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    check_result = models.TextField(_("核对结果"), blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("津贴优待申请")
        verbose_name_plural = _("津贴优待申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["elder", "programme"], condition=Q(status="submitted"),
                                               name="one_open_benefit_application")]

    def __str__(self):
        return f"{self.get_programme_display()} · {self.elder}"


class CardStatus(models.TextChoices):
    VALID = "valid", _("有效")
    LOST = "lost", _("已挂失")
    REPLACED = "replaced", _("已补发新证")
    CANCELLED = "cancelled", _("已注销")


class PreferentialCard(models.Model):
    """A preferential card (老年优待证) with its number: the credential canteens and transport read."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="preferential_cards")
    kind = models.CharField(_("证件种类"), max_length=10)
    number = models.CharField(_("证号"), max_length=30, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=CardStatus.choices, default=CardStatus.VALID)
    issued_on = models.DateField(_("发证日期"))
    replaces = models.ForeignKey("self", verbose_name=_("补发自"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    printed_times = models.PositiveSmallIntegerField(_("打印次数"), default=0)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("老年优待证")
        verbose_name_plural = _("老年优待证")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["elder"], condition=Q(status="valid"),
                                               name="one_valid_card_per_elder")]

    def __str__(self):
        return self.number


class CheckKind(models.TextChoices):
    DEATH = "death", _("死亡及火化记录")
    HOUSEHOLD = "household", _("户籍迁移记录")
    POPULATION = "population", _("公安人口数据")


class CheckOutcome(models.TextChoices):
    MATCHED = "matched", _("一致")
    NOT_FOUND = "not_found", _("档案中查无此人")
    CONFLICT = "conflict", _("姓名或出生日期不一致")
    ELIGIBLE = "eligible", _("符合条件但未纳入发放，待联系")


class CheckStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认")
    APPLIED = "applied", _("已比对")
    DISCARDED = "discarded", _("已放弃")


class RegistryCheck(models.Model):
    """One imported comparison file (death records, household moves), matched on the ID number's keyed hash."""

    kind = models.CharField(_("类型"), max_length=20, choices=CheckKind.choices)
    filename = models.CharField(_("文件名"), max_length=255)
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=CheckStatus.choices, default=CheckStatus.APPLIED)
    # The file's rows until the comparison is applied or discarded (ID numbers: encrypted at rest, then emptied).
    rows = EncryptedTextField(_("数据行"), masker="id_number", blank=True, default="")
    columns = models.JSONField(_("列对应"), default=dict, blank=True)
    preview = models.JSONField(_("预检结果"), default=dict, blank=True)
    summary = models.JSONField(_("比对结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("数据比对")
        verbose_name_plural = _("数据比对")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename


class RegistryFinding(models.Model):
    """One row of a comparison file that needs a person: not on the register, or disagreeing with it."""

    check_run = models.ForeignKey(RegistryCheck, verbose_name=_("比对"), on_delete=models.CASCADE,
                                  related_name="findings")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("比对结果"), max_length=20, choices=CheckOutcome.choices)
    row_number = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("文件中的姓名"), max_length=50)
    event_date = models.DateField(_("文件中的日期"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=300)
    resolved = models.BooleanField(_("已处理"), default=False)
    resolution = models.CharField(_("处理说明"), max_length=200, blank=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("比对差异")
        verbose_name_plural = _("比对差异")
        ordering = ["resolved", "check_run", "row_number"]

    def __str__(self):
        return f"{self.check_run} #{self.row_number}"
