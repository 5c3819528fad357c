from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import get_language

from carecircle.core.isolation import Scoping
from carecircle.core.roles import Role

from .choices import (
    Escalation,
    InspectionKind,
    InspectionStatus,
    NoticeStatus,
    ProblemStatus,
    RatingStatus,
    SchemeKind,
)


# The roles whose staff, when they work for a contracted agency, reach rows through the agency's assignment.
AGENCY_STAFF = frozenset({Role.INSPECTOR})


class RatingScheme(models.Model):
    """One version of a rating scheme or hazard list, as shipped in `inspections/data/*.json`. Rows are never
    changed: a new version of the data is a new row, and every inspection keeps the version it used."""

    code = models.CharField(_("代码"), max_length=40)
    version = models.CharField(_("版本"), max_length=20)
    kind = models.CharField(_("类型"), max_length=20, choices=SchemeKind.choices)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200)
    max_points = models.PositiveIntegerField(_("满分"), default=0)
    data = models.JSONField(_("标准内容"))
    sha256 = models.CharField(_("数据摘要"), max_length=64)
    source = models.TextField(_("来源"))
    is_current = models.BooleanField(_("现行版本"), default=True)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now_add=True)

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("评定标准")
        verbose_name_plural = _("评定标准")
        ordering = ["code", "-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="inspections_scheme_version")]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


def photo_path(instance, filename):
    """A generated name: what the uploader called the file never reaches the disk or a download."""
    from carecircle.core.uploads import stored_name

    return f"inspections/{instance.inspection_id}/{stored_name(filename)}"


def evidence_path(instance, filename):
    from carecircle.core.uploads import stored_name

    return f"inspections/evidence/{instance.notice_id}/{stored_name(filename)}"


class Inspection(models.Model):
    """One visit to one facility by the scheme in force: planned, done item by item, submitted, acknowledged.

    Assigned either to a district inspector or to a contracted agency, whose staff see only what their
    agency is assigned (`selectors.inspections_for`)."""

    facility = models.ForeignKey("providers.Facility", verbose_name=_("养老服务设施"), on_delete=models.PROTECT,
                                 related_name="+")
    scheme = models.ForeignKey(RatingScheme, verbose_name=_("评定标准"), on_delete=models.PROTECT,
                               related_name="inspections")
    kind = models.CharField(_("检查类型"), max_length=20, choices=InspectionKind.choices)
    period = models.CharField(_("周期"), max_length=10, blank=True,
                              help_text=_("计划检查所属的年度或季度，例如 2026 或 2026Q4"))
    unannounced = models.BooleanField(_("暗访"), default=False)
    due_on = models.DateField(_("应完成日期"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("检查人员"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("providers.Organisation", verbose_name=_("第三方机构"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=InspectionStatus.choices,
                              default=InspectionStatus.PLANNED)
    points = models.JSONField(_("各项得分"), default=dict, blank=True)
    item_notes = models.JSONField(_("各项说明"), default=dict, blank=True)
    hard_stops = models.JSONField(_("重大事故隐患"), default=list, blank=True)
    notes = models.TextField(_("检查意见"), blank=True)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=1, null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("建议星级"), null=True, blank=True)
    passed = models.BooleanField(_("检查合格"), null=True, blank=True)
    trace = models.JSONField(_("评分过程"), default=dict, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    manager_name = models.CharField(_("在场负责人"), max_length=50, blank=True)
    acknowledged_at = models.DateTimeField(_("机构确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("机构确认人"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledgement = models.TextField(_("机构意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # A contracted agency's inspectors reach the inspections their agency is assigned, and nothing else.
    scoping = Scoping(region="facility__community", organisation="facility__organisation",
                      organisation_links=(("agency", AGENCY_STAFF),))

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["due_on", "id"]
        constraints = [
            # A planning run for a period makes one inspection of a kind per facility, however often it runs.
            models.UniqueConstraint(fields=["facility", "kind", "period"], condition=~models.Q(period=""),
                                    name="inspections_one_per_period"),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return f"{self.facility} · {self.get_kind_display()} · {self.due_on:%Y-%m-%d}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, verbose_name=_("检查"), on_delete=models.CASCADE,
                                   related_name="photos")
    item_code = models.CharField(_("所属项目"), max_length=20, blank=True)
    image = models.FileField(_("照片"), upload_to=photo_path)
    content_type = models.CharField(_("文件类型"), max_length=50, editable=False)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    caption = models.CharField(_("照片说明"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scoping = Scoping(region="inspection__facility__community", organisation="inspection__facility__organisation",
                      organisation_links=(("inspection__agency", AGENCY_STAFF),))

    class Meta:
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")
        ordering = ["uploaded_at", "id"]


class RectificationNotice(models.Model):
    """整改意见书: the problems one inspection found, each with its own deadline."""

    inspection = models.OneToOneField(Inspection, verbose_name=_("检查"), on_delete=models.PROTECT,
                                      related_name="notice")
    facility = models.ForeignKey("providers.Facility", verbose_name=_("养老服务设施"), on_delete=models.PROTECT,
                                 related_name="+")
    number = models.CharField(_("文书编号"), max_length=30, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.OPEN)
    due_on = models.DateField(_("最迟整改期限"))
    issued_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下达人"), on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scoping = Scoping(region="facility__community", organisation="facility__organisation",
                      organisation_links=(("inspection__agency", AGENCY_STAFF),))

    class Meta:
        verbose_name = _("整改意见书")
        verbose_name_plural = _("整改意见书")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return self.number


class Problem(models.Model):
    notice = models.ForeignKey(RectificationNotice, verbose_name=_("整改意见书"), on_delete=models.CASCADE,
                               related_name="problems")
    item_code = models.CharField(_("所属项目"), max_length=20, blank=True)
    hard_stop = models.BooleanField(_("重大事故隐患"), default=False)
    description = models.TextField(_("问题"))
    working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"))
    due_on = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    response = models.TextField(_("整改说明"), blank=True)
    evidence = models.FileField(_("整改材料"), upload_to=evidence_path, blank=True)
    evidence_type = models.CharField(_("材料类型"), max_length=50, blank=True, editable=False)
    evidence_sha256 = models.CharField(_("材料摘要"), max_length=64, blank=True)
    responded_at = models.DateTimeField(_("提交整改时间"), null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    check_note = models.TextField(_("复查意见"), blank=True)
    checked_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("复查人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    escalation = models.CharField(_("升级处理"), max_length=20, choices=Escalation.choices, blank=True)

    scoping = Scoping(region="notice__facility__community", organisation="notice__facility__organisation",
                      organisation_links=(("notice__inspection__agency", AGENCY_STAFF),))

    class Meta:
        verbose_name = _("整改问题")
        verbose_name_plural = _("整改问题")
        ordering = ["notice", "id"]

    def __str__(self):
        return self.description[:40]


class StarRating(models.Model):
    """A facility's star rating, decided from a submitted inspection by the scheme's bands, valid for the
    policy's number of years; a new rating supersedes the one in force."""

    facility = models.ForeignKey("providers.Facility", verbose_name=_("养老服务设施"), on_delete=models.PROTECT,
                                 related_name="+")
    scheme = models.ForeignKey(RatingScheme, verbose_name=_("评定标准"), on_delete=models.PROTECT,
                               related_name="+")
    inspection = models.ForeignKey(Inspection, verbose_name=_("依据的检查"), on_delete=models.PROTECT,
                                   related_name="ratings")
    stars = models.PositiveSmallIntegerField(_("星级"))
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=20, choices=RatingStatus.choices, default=RatingStatus.IN_FORCE)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评定人"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("评定时间"), auto_now_add=True)
    reason = models.TextField(_("说明"), blank=True)

    scoping = Scoping(region="facility__community", organisation="facility__organisation")

    class Meta:
        verbose_name = _("星级评定")
        verbose_name_plural = _("星级评定")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility"], condition=models.Q(status="in_force"),
                                    name="inspections_one_rating_in_force"),
        ]

    def __str__(self):
        return f"{self.facility} · {self.stars}"


class ScorecardPublication(models.Model):
    """A month's scorecards as the district published them: what families read. The figures are frozen when
    published, so the public page says the same thing tomorrow as today; a month is published once."""

    region = models.ForeignKey("regions.Region", verbose_name=_("发布的行政区"), on_delete=models.PROTECT,
                               related_name="+")
    month = models.DateField(_("月份"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    # Published scorecards are public information: every signed-in reader may read them.
    scoping = Scoping(region="region", readable_by_all=True)

    class Meta:
        verbose_name = _("服务评价公示")
        verbose_name_plural = _("服务评价公示")
        ordering = ["-month", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="inspections_one_publication")]

    def __str__(self):
        return f"{self.region} · {self.month:%Y-%m}"


class PublishedScore(models.Model):
    """One row of a publication: a provider (no facility), one of its facilities, or a consortium's chain."""

    publication = models.ForeignKey(ScorecardPublication, verbose_name=_("服务评价公示"), on_delete=models.CASCADE,
                                    related_name="rows")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("运营机构"), on_delete=models.PROTECT,
                                     related_name="+")
    facility = models.ForeignKey("providers.Facility", verbose_name=_("养老服务设施"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    consortium = models.ForeignKey("Consortium", verbose_name=_("联合体"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=200)
    stars = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True)
    inspections = models.PositiveIntegerField(_("检查次数"), default=0)
    open_problems = models.PositiveIntegerField(_("未销号的整改问题"), default=0)
    overdue_problems = models.PositiveIntegerField(_("其中逾期"), default=0)
    visits = models.PositiveIntegerField(_("上门服务次数"), default=0)
    on_time_rate = models.DecimalField(_("准时率"), max_digits=5, decimal_places=1, null=True, blank=True)
    verified_share = models.DecimalField(_("核验率"), max_digits=5, decimal_places=1, null=True, blank=True)
    exception_rate = models.DecimalField(_("异常率"), max_digits=5, decimal_places=1, null=True, blank=True)
    satisfaction = models.DecimalField(_("满意度"), max_digits=4, decimal_places=2, null=True, blank=True)
    complaints = models.PositiveIntegerField(_("投诉件数"), default=0)
    complaints_per_1000 = models.DecimalField(_("每千次服务投诉数"), max_digits=7, decimal_places=1, null=True,
                                              blank=True)

    scoping = Scoping(region="publication__region", readable_by_all=True)

    class Meta:
        verbose_name = _("服务评价公示行")
        verbose_name_plural = _("服务评价公示行")
        ordering = ["publication", "name", "id"]


class ProviderListEntry(models.Model):
    """A provider on one of the district's lists (basic, government-guided, market services, negative), from
    its entry to its exit, each with its reason. Rows are never deleted: the history is the rows."""

    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("管理的行政区"), on_delete=models.PROTECT,
                               related_name="+")
    list_code = models.CharField(_("清单"), max_length=30)
    entered_on = models.DateField(_("列入日期"))
    entry_reason = models.TextField(_("列入理由"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("列入人"), on_delete=models.PROTECT,
                                   related_name="+")
    exited_on = models.DateField(_("移出日期"), null=True, blank=True)
    exit_reason = models.TextField(_("移出理由"), blank=True)
    exited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("移出人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    scoping = Scoping(region="region", organisation="organisation")

    class Meta:
        verbose_name = _("服务机构清单记录")
        verbose_name_plural = _("服务机构清单记录")
        ordering = ["list_code", "-entered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "region", "list_code"],
                                    condition=models.Q(exited_on__isnull=True), name="inspections_one_open_entry"),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.list_code}"


class Consortium(models.Model):
    """联合体: one institution and the street centres and community stations it runs as one chain, under the
    "five unifications" (each with what it means for this chain)."""

    name = models.CharField(_("联合体名称"), max_length=200)
    lead = models.ForeignKey("providers.Organisation", verbose_name=_("牵头机构"), on_delete=models.PROTECT,
                             related_name="+")
    institution = models.ForeignKey("providers.Facility", verbose_name=_("牵头养老机构"), on_delete=models.PROTECT,
                                    related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("所在行政区"), on_delete=models.PROTECT,
                               related_name="+")
    unifications = models.JSONField(_("五统一"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="region", organisation="lead")

    class Meta:
        verbose_name = _("联合体")
        verbose_name_plural = _("联合体")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class ConsortiumMember(models.Model):
    consortium = models.ForeignKey(Consortium, verbose_name=_("联合体"), on_delete=models.CASCADE,
                                   related_name="members")
    facility = models.OneToOneField("providers.Facility", verbose_name=_("成员设施"), on_delete=models.PROTECT,
                                    related_name="+")
    joined_on = models.DateField(_("加入日期"))

    scoping = Scoping(region="consortium__region", organisation="consortium__lead")

    class Meta:
        verbose_name = _("联合体成员")
        verbose_name_plural = _("联合体成员")
        ordering = ["consortium", "facility__name", "id"]
