"""Assessment orders, results (with their raw answers and the engine's explanation), photos and care levels."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping
from carecircle.core.roles import Role


class Programme(models.TextChoices):
    LTCI = "ltci", _("长期护理保险")
    GOV_PURCHASE = "gov_purchase", _("政府购买服务")
    CARE_SUBSIDY = "care_subsidy", _("养老服务补贴")
    INSTITUTION = "institution", _("机构入住")


class OrderReason(models.TextChoices):
    APPLICATION = "application", _("申请评估")
    REASSESSMENT = "reassessment", _("到期复评")
    CHANGE = "change", _("状况变化即时评估")
    OBJECTION = "objection", _("异议复评")


class OrderStatus(models.TextChoices):
    ASSIGNED = "assigned", _("已派给评估机构")
    SCHEDULED = "scheduled", _("已安排评估员")
    IN_PROGRESS = "in_progress", _("评估中")
    SUBMITTED = "submitted", _("待双人确认")
    FINAL = "final", _("已出结果")
    CANCELLED = "cancelled", _("已取消")


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("轮派")
    MANUAL = "manual", _("指定")


class AssessmentOrder(models.Model):
    """A request that an agency assess an elder, from an application, a renewal, a change or an objection."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="assessment_orders")
    programme = models.CharField(_("项目"), max_length=30, choices=Programme.choices)
    reason = models.CharField(_("评估原因"), max_length=20, choices=OrderReason.choices)
    reason_note = models.TextField(_("原因说明"), blank=True)
    # The intake application's id; no foreign key so that assessment does not depend on intake.
    application_id = models.PositiveBigIntegerField(_("申请编号"), null=True, blank=True, db_index=True)
    instrument_code = models.CharField(_("评估工具"), max_length=40)
    agency = models.ForeignKey("providers.Organisation", verbose_name=_("评估机构"), on_delete=models.PROTECT,
                               related_name="assessment_orders")
    assignment_method = models.CharField(_("派单方式"), max_length=20, choices=AssignmentMethod.choices)
    excluded_agency_ids = models.JSONField(_("回避的评估机构"), default=list, blank=True)
    previous = models.ForeignKey("Assessment", verbose_name=_("上次评估结果"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="follow_up_orders")
    assessor_1 = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评估员一"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   limit_choices_to={"role": Role.ASSESSOR})
    assessor_2 = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评估员二"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   limit_choices_to={"role": Role.ASSESSOR})
    appointment_at = models.DateTimeField(_("上门评估时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.ASSIGNED,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下单人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    finalised_at = models.DateTimeField(_("出结果时间"), null=True, blank=True)
    cancelled_reason = models.TextField(_("取消原因"), blank=True)

    scoping = Scoping(region="elder__community", organisation="agency")

    class Meta:
        verbose_name = _("评估任务")
        verbose_name_plural = _("评估任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self):
        return _("评估任务 %(id)s（%(elder)s）") % {"id": self.pk, "elder": self.elder.name}

    @property
    def assessors(self):
        return [u for u in (self.assessor_1, self.assessor_2) if u is not None]


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待确认")
    FINAL = "final", _("已定稿")


class Assessment(models.Model):
    """One assessment of an elder under an order: the raw answers and, once final, the scored result.

    Option codes are stored, never points: the result is recomputed from the answers by the engine, and
    `result` keeps the engine's full explanation (dimension scores, bands, rules fired, settings used).
    """

    order = models.OneToOneField(AssessmentOrder, verbose_name=_("评估任务"), on_delete=models.PROTECT,
                                 related_name="assessment")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="assessments")
    instrument_code = models.CharField(_("评估工具"), max_length=40)
    instrument_version = models.CharField(_("工具版本"), max_length=20)
    ruleset_hash = models.CharField(_("规则数据摘要"), max_length=32, blank=True)
    answers = models.JSONField(_("作答"), default=dict, blank=True)
    diagnoses = models.JSONField(_("疾病诊断（ICD-10）"), default=list, blank=True)
    risk_events = models.JSONField(_("近30天照护风险事件"), default=dict, blank=True)
    coma = models.BooleanField(_("昏迷"), default=False)
    settings_used = models.JSONField(_("采用的判定设置"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.DRAFT, db_index=True)
    result = models.JSONField(_("评分与说明"), default=dict, blank=True)
    total = models.IntegerField(_("总分"), null=True, blank=True)
    initial_level = models.PositiveSmallIntegerField(_("初步等级"), null=True, blank=True)
    final_level = models.PositiveSmallIntegerField(_("最终等级"), null=True, blank=True)
    care_level = models.PositiveSmallIntegerField(_("照护等级"), null=True, blank=True)
    pending_confirmation = models.BooleanField(_("规则待核实"), default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="order__agency", person="elder")

    class Meta:
        verbose_name = _("评估结果")
        verbose_name_plural = _("评估结果")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        from .explain import instrument_name

        return _("%(elder)s 的评估（%(instrument)s）") % {"elder": self.elder.name,
                                                       "instrument": instrument_name(self.instrument_code)}

    @property
    def instrument(self):
        from carecircle.engines.scoring import load_instrument

        return load_instrument(self.instrument_code)

    @property
    def is_final(self) -> bool:
        return self.status == AssessmentStatus.FINAL

    @property
    def explanation(self) -> str:
        from .explain import explain

        return explain(self.result) if self.result else ""


class AssessmentConfirmation(models.Model):
    """An assessor's signature on a submitted result; a result is final once both assessors have signed."""

    assessment = models.ForeignKey(Assessment, verbose_name=_("评估结果"), on_delete=models.CASCADE,
                                   related_name="confirmations")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评估员"), on_delete=models.PROTECT,
                                 related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    scoping = Scoping(region="assessment__elder__community", organisation="assessment__order__agency")

    class Meta:
        verbose_name = _("评估员确认")
        verbose_name_plural = _("评估员确认")
        constraints = [models.UniqueConstraint(fields=["assessment", "assessor"], name="one_confirmation_per_assessor")]


def photo_path(instance, filename):
    """A generated name: what the uploader called the file never reaches the disk or a download."""
    from carecircle.core.uploads import stored_name

    return f"assessment/{instance.assessment_id}/{stored_name(filename)}"


class AssessmentPhoto(models.Model):
    """A photo of a document (diagnosis, discharge summary, ID) taken during the visit."""

    assessment = models.ForeignKey(Assessment, verbose_name=_("评估结果"), on_delete=models.CASCADE,
                                   related_name="photos")
    image = models.FileField(_("照片"), upload_to=photo_path)
    # The type the content proved when it was checked; files stored before checking have none and are
    # only ever served as a download.
    content_type = models.CharField(_("文件类型"), max_length=50, blank=True, editable=False)
    caption = models.CharField(_("照片说明"), max_length=100, blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scoping = Scoping(region="assessment__elder__community", organisation="assessment__order__agency")

    class Meta:
        verbose_name = _("评估照片")
        verbose_name_plural = _("评估照片")
        ordering = ["uploaded_at", "id"]


class CareLevelSource(models.TextChoices):
    ASSESSMENT = "assessment", _("本平台评估")
    EXTERNAL = "external", _("外部评估结果")


class CareLevel(models.Model):
    """The care level a programme uses for an elder over a period, from an assessment or imported."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="care_levels")
    programme = models.CharField(_("项目"), max_length=30, choices=Programme.choices)
    level = models.PositiveSmallIntegerField(_("照护等级"))
    source = models.CharField(_("来源"), max_length=20, choices=CareLevelSource.choices)
    external_source = models.CharField(_("外部来源"), max_length=200, blank=True)
    assessment = models.ForeignKey(Assessment, verbose_name=_("评估结果"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="care_levels")
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder", organisation_reach="elder__community")

    class Meta:
        verbose_name = _("照护等级")
        verbose_name_plural = _("照护等级")
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["elder", "programme", "valid_from"])]

    def __str__(self):
        return _("%(elder)s %(programme)s %(level)s级") % {
            "elder": self.elder.name, "programme": self.get_programme_display(), "level": self.level}

