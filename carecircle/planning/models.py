"""Planning data the district keeps: each community's residents and households (for the area norms), the
candidate sites it could use for new facilities, and the site studies run over them."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping


class EstateType(models.TextChoices):
    NEW = "new_estate", _("新建小区")
    OLD = "old_estate", _("旧城区和已建小区")


class CommunityPopulation(models.Model):
    """Residents and households of a community on a date (from the census or the street's register)."""

    community = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT,
                                  related_name="+")
    as_of = models.DateField(_("统计日期"))
    residents = models.PositiveIntegerField(_("常住人口"))
    households = models.PositiveIntegerField(_("户数"))
    estate_type = models.CharField(_("住区类型"), max_length=20, choices=EstateType.choices, default=EstateType.OLD)
    source = models.CharField(_("数据来源"), max_length=200, blank=True)

    scoping = Scoping(region="community")

    class Meta:
        verbose_name = _("社区人口")
        verbose_name_plural = _("社区人口")
        ordering = ["community__path", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["community", "as_of"], name="planning_population_once")]

    def __str__(self):
        return f"{self.community} {self.as_of}"


class CandidateSite(models.Model):
    """An existing building the district could use for a new facility, imported from a file."""

    region = models.ForeignKey("regions.Region", verbose_name=_("所属区域"), on_delete=models.PROTECT,
                               related_name="+")
    name = models.CharField(_("名称"), max_length=200)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    floor_area_m2 = models.DecimalField(_("建筑面积（平方米）"), max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("候选选址")
        verbose_name_plural = _("候选选址")
        ordering = ["region__path", "name", "id"]

    def __str__(self):
        return self.name


class StudyStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("计算失败")


class SiteStudy(models.Model):
    """One run of "where should the next facilities go": a facility type, a radius, how many new sites; the
    result holds the optimal choice and the naive one with each site's gain."""

    region = models.ForeignKey("regions.Region", verbose_name=_("研究区域"), on_delete=models.PROTECT,
                               related_name="+")
    facility_kind = models.CharField(_("设施类型"), max_length=32)
    radius_m = models.PositiveIntegerField(_("服务半径（米）"))
    site_count = models.PositiveSmallIntegerField(_("新设施数量"))
    status = models.CharField(_("状态"), max_length=20, choices=StudyStatus.choices, default=StudyStatus.RUNNING)
    job = models.ForeignKey("core.Job", verbose_name=_("后台任务"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("选址研究")
        verbose_name_plural = _("选址研究")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.region} {self.created_at:%Y-%m-%d}"


class NetworkStatus(models.TextChoices):
    IMPORTING = "importing", _("导入中")
    READY = "ready", _("已启用")
    FAILED = "failed", _("导入失败")


class RoadNetwork(models.Model):
    """A walking network read from an OpenStreetMap extract the district downloaded itself (the platform never
    fetches one). The newest ready network of a region, or of a region above it, measures walking distance
    there; the graph is kept as compressed arrays (nodes with their coordinates, edges with their length)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("适用区域"), on_delete=models.PROTECT,
                               related_name="+")
    name = models.CharField(_("文件名"), max_length=200)
    file_bytes = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=NetworkStatus.choices,
                              default=NetworkStatus.IMPORTING)
    job = models.ForeignKey("core.Job", verbose_name=_("后台任务"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    ways = models.PositiveIntegerField(_("可步行道路条数"), default=0)
    nodes = models.PositiveIntegerField(_("路网节点数"), default=0)
    edges = models.PositiveIntegerField(_("路段数"), default=0)
    length_km = models.DecimalField(_("路网总长（公里）"), max_digits=10, decimal_places=2, default=0)
    graph = models.BinaryField(_("步行图"), null=True, blank=True, editable=False)
    error = models.CharField(_("失败原因"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("步行路网")
        verbose_name_plural = _("步行路网")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class GuideEntry(models.Model):
    """What the district's yearly service guide says about one facility beyond its register entry: the
    services offered, the phone the public may call, the prices and who may use it."""

    facility = models.OneToOneField("providers.Facility", verbose_name=_("设施"), on_delete=models.CASCADE,
                                     related_name="+")
    services = models.TextField(_("服务内容"), max_length=1000)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    eligibility = models.CharField(_("服务对象"), max_length=255, blank=True)
    prices = models.CharField(_("收费"), max_length=255, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    scoping = Scoping(region="facility__community")

    class Meta:
        verbose_name = _("服务指南条目")
        verbose_name_plural = _("服务指南条目")

    def __str__(self):
        return str(self.facility)


class Advisor(models.Model):
    """A care advisor (养老顾问) who answers at an advisor point."""

    point = models.ForeignKey("providers.Facility", verbose_name=_("养老顾问点"), on_delete=models.PROTECT,
                              related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("平台账号"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("在岗"), default=True)
    since = models.DateField(_("上岗日期"), null=True, blank=True)

    scoping = Scoping(region="point__community")

    class Meta:
        verbose_name = _("养老顾问")
        verbose_name_plural = _("养老顾问")
        ordering = ["point__name", "name", "id"]

    def __str__(self):
        return self.name


class ConsultationTopic(models.TextChoices):
    POLICY = "policy", _("政策咨询")
    SUBSIDY = "subsidy", _("补贴和长护险")
    ASSESSMENT = "assessment", _("照护需求评估")
    HOME_SERVICE = "home_service", _("居家上门服务")
    MEALS = "meals", _("助餐")
    DAY_CARE = "day_care", _("日间照料")
    INSTITUTION = "institution", _("机构入住")
    ADAPTATION = "adaptation", _("适老化改造")
    OTHER = "other", _("其他")


class Consultation(models.Model):
    """One consultation at an advisor point: the topic, the advice given and, when the person wanted it, the
    application registered for them (through the application service, whose number is kept here)."""

    point = models.ForeignKey("providers.Facility", verbose_name=_("养老顾问点"), on_delete=models.PROTECT,
                              related_name="+")
    advisor = models.ForeignKey(Advisor, verbose_name=_("养老顾问"), on_delete=models.PROTECT,
                                related_name="consultations")
    consulted_on = models.DateField(_("咨询日期"))
    topic = models.CharField(_("咨询事项"), max_length=20, choices=ConsultationTopic.choices)
    advice = models.TextField(_("答复和建议"), max_length=2000)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("转办老人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    referral = models.CharField(_("转办申请编号"), max_length=40, blank=True)
    order = models.ForeignKey("careplans.ServiceOrder", verbose_name=_("转办的服务订单"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scoping = Scoping(region="point__community")

    class Meta:
        verbose_name = _("养老顾问咨询")
        verbose_name_plural = _("养老顾问咨询")
        ordering = ["-consulted_on", "-id"]

    def __str__(self):
        return f"{self.point} {self.consulted_on}"
