"""Applications from every channel, their reviewed steps, public notices, objections and waiting lists."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping
from carecircle.core.sensitive import EncryptedTextField


class Programme(models.TextChoices):
    LTCI = "ltci", _("长期护理保险")
    GOV_PURCHASE = "gov_purchase", _("政府购买服务")
    INSTITUTION = "institution", _("机构养老")
    DEVICE = "device", _("一键通")
    AGE_ALLOWANCE = "age_allowance", _("高龄津贴")


class ApplicationType(models.Model):
    """One kind of application a region offers, with the documents it needs and the steps it goes through.

    Configured per region (usually the district); a community's elders see the types of its nearest ancestor
    that configures them. Deadlines are policy parameters keyed by the type's code."""

    region = models.ForeignKey("regions.Region", verbose_name=_("适用区域"), on_delete=models.PROTECT,
                               related_name="application_types")
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    programme = models.CharField(_("项目"), max_length=20, choices=Programme.choices)
    documents = models.JSONField(_("所需材料"), default=list, blank=True)
    requires_assessment = models.BooleanField(_("需要评估"), default=True)
    public_notice = models.BooleanField(_("需要公示"), default=True)
    waitlist = models.BooleanField(_("经轮候入住/开始服务"), default=False)
    capacity = models.PositiveIntegerField(_("服务容量"), null=True, blank=True,
                                           help_text=_("同时在服务的人数上限；空表示不限"))
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("申请类型")
        verbose_name_plural = _("申请类型")
        ordering = ["sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="intake_type_region_code")]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    WINDOW = "window", _("街镇受理窗口")
    COMMUNITY = "community", _("居委代办")
    HOTLINE = "hotline", _("热线坐席")
    PORTAL = "portal", _("网上申请")
    API = "api", _("合作系统接口")


class State(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    CORRECTION = "correction", _("退回补正")
    STREET_PASSED = "street_passed", _("初审通过")
    STREET_REJECTED = "street_rejected", _("初审不通过")
    DISTRICT_PASSED = "district_passed", _("区审核通过")
    DISTRICT_REJECTED = "district_rejected", _("区审核不通过")
    ASSESSMENT_ORDERED = "assessment_ordered", _("已派评估")
    ASSESSED = "assessed", _("已评估")
    PUBLIC_NOTICE = "public_notice", _("公示中")
    WAITLISTED = "waitlisted", _("轮候中")
    APPROVED = "approved", _("待开始服务")
    IN_SERVICE = "in_service", _("服务中")
    WITHDRAWN = "withdrawn", _("已撤回")


CLOSED_STATES = {State.NOT_ACCEPTED, State.STREET_REJECTED, State.DISTRICT_REJECTED, State.IN_SERVICE,
                 State.WITHDRAWN}


class Application(models.Model):
    """One application of one elder for one type: whatever door it came through, one record."""

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="applications")
    type = models.ForeignKey(ApplicationType, verbose_name=_("申请类型"), on_delete=models.PROTECT,
                             related_name="applications")
    community = models.ForeignKey("regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT,
                                  related_name="+")
    street = models.ForeignKey("regions.Region", verbose_name=_("所属街镇"), on_delete=models.PROTECT,
                               related_name="+")
    channel = models.CharField(_("首次申请渠道"), max_length=20, choices=Channel.choices)
    state = models.CharField(_("状态"), max_length=30, choices=State.choices, default=State.REGISTERED,
                             db_index=True)
    is_open = models.BooleanField(_("办理中"), default=True, editable=False)
    applicant_name = models.CharField(_("申请人"), max_length=50, blank=True)
    applicant_relation = models.CharField(_("与老人关系"), max_length=20, blank=True)
    applicant_phone = EncryptedTextField(_("申请人电话"), masker="phone", blank=True)
    documents_received = models.JSONField(_("已收材料"), default=list, blank=True)
    note = models.TextField(_("申请说明"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("本环节办理期限"), null=True, blank=True, db_index=True)
    state_since = models.DateTimeField(_("进入本环节时间"))
    assessed_level = models.PositiveSmallIntegerField(_("评估等级"), null=True, blank=True)
    assessment_summary = models.TextField(_("评估结论"), blank=True)
    assessment_agency = models.ForeignKey("providers.Organisation", verbose_name=_("评估机构"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    previous_agency_ids = models.JSONField(_("曾派评估机构"), default=list, blank=True)
    assessment_order = models.ForeignKey("assessment.AssessmentOrder", verbose_name=_("评估任务"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="community", person="elder")

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open application per elder and type: a second one is merged, never duplicated.
            models.UniqueConstraint(fields=["elder", "type"], condition=Q(is_open=True),
                                    name="intake_one_open_application"),
        ]
        indexes = [models.Index(fields=["street", "state", "due_on"]), models.Index(fields=["type", "state"])]

    def __str__(self):
        return self.number


class ApplicationEvent(models.Model):
    """One line of the timeline: a step, a merge, a notice, an objection, a change of waiting position."""

    application = models.ForeignKey(Application, verbose_name=_("申请"), on_delete=models.CASCADE,
                                    related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_repr = models.CharField(_("操作人"), max_length=150, blank=True)
    office = models.CharField(_("办理单位"), max_length=100, blank=True)
    action = models.CharField(_("操作"), max_length=40)
    from_state = models.CharField(_("原状态"), max_length=30, blank=True)
    to_state = models.CharField(_("新状态"), max_length=30, blank=True)
    channel = models.CharField(_("渠道"), max_length=20, blank=True)
    reason = models.TextField(_("原因/说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    scoping = Scoping(region="application__community", person="application__elder")

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.application_id} {self.action}"


class PublicNotice(models.Model):
    """The street's public notice of a result, for a number of working days; objections may be lodged."""

    application = models.ForeignKey(Application, verbose_name=_("申请"), on_delete=models.CASCADE,
                                    related_name="notices")
    street = models.ForeignKey("regions.Region", verbose_name=_("街镇"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示截止"))
    result = models.CharField(_("公示结果"), max_length=200)
    level = models.PositiveSmallIntegerField(_("公示的等级"), null=True, blank=True)
    is_open = models.BooleanField(_("公示中"), default=True)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    scoping = Scoping(region="application__community", person="application__elder")

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return f"{self.application.number} {self.starts_on}–{self.ends_on}"


class ObjectionOutcome(models.TextChoices):
    REVIEW = "review", _("异议成立：退回区审核")
    REASSESS = "reassess", _("异议成立：另派评估机构复评")
    DISMISS = "dismiss", _("异议不成立：继续公示")


class Objection(models.Model):
    notice = models.ForeignKey(PublicNotice, verbose_name=_("公示"), on_delete=models.CASCADE,
                               related_name="objections")
    application = models.ForeignKey(Application, verbose_name=_("申请"), on_delete=models.CASCADE,
                                    related_name="objections")
    lodged_by = models.CharField(_("异议人"), max_length=50)
    phone = EncryptedTextField(_("联系电话"), masker="phone", blank=True)
    text = models.TextField(_("异议内容"))
    lodged_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=ObjectionOutcome.choices, blank=True)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    scoping = Scoping(region="application__community", person="application__elder")

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["lodged_at", "id"]

    def __str__(self):
        return f"{self.application.number} {self.lodged_by}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("轮候中")
    ADMITTED = "admitted", _("已入住/已开始服务")
    LEFT = "left", _("已退出")


class WaitlistEntry(models.Model):
    """An application's place on its type's waiting list, with the reason for its position."""

    application = models.OneToOneField(Application, verbose_name=_("申请"), on_delete=models.CASCADE,
                                       related_name="waitlist_entry")
    type = models.ForeignKey(ApplicationType, verbose_name=_("轮候队列"), on_delete=models.PROTECT,
                             related_name="waitlist_entries")
    status = models.CharField(_("状态"), max_length=20, choices=WaitlistStatus.choices,
                              default=WaitlistStatus.WAITING, db_index=True)
    priority_group = models.PositiveSmallIntegerField(_("优先组"))
    priority_label = models.CharField(_("优先类别"), max_length=60)
    # The category's code from the policy list ("extreme_poverty", …; empty: none), so pages name it in the
    # reader's language; priority_label keeps the words written when the entry was made.
    priority_category = models.CharField(_("优先类别代码"), max_length=40, blank=True)
    level = models.PositiveSmallIntegerField(_("评估等级"), null=True, blank=True)
    applied_on = models.DateField(_("申请日期"))
    position = models.PositiveIntegerField(_("当前位次"), null=True, blank=True)
    explanation = models.TextField(_("排序说明"), blank=True)
    joined_at = models.DateTimeField(_("进入轮候时间"), auto_now_add=True)
    admitted_at = models.DateTimeField(_("入住/开始服务时间"), null=True, blank=True)

    scoping = Scoping(region="application__community", person="application__elder")

    class Meta:
        verbose_name = _("轮候记录")
        verbose_name_plural = _("轮候记录")
        ordering = ["type", "position", "id"]

    def __str__(self):
        return f"{self.application.number} #{self.position}"
