from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.choices import Gender  # noqa: F401  (re-exported: forms and serializers use it)
from carecircle.core.isolation import DIRECT_LINKS, REGION_REACH, Scoping
from carecircle.core.sensitive import EncryptedTextField


class OrganisationKind(models.TextChoices):
    HOME_CARE = "home_care", _("居家养老服务企业")
    DAY_CENTRE = "day_centre", _("日间照料中心")
    COMMUNITY_CENTRE = "community_centre", _("社区综合为老服务中心")
    INSTITUTION = "institution", _("养老机构")
    NURSING_STATION = "nursing_station", _("护理站")
    CANTEEN = "canteen", _("长者食堂/助餐点运营方")
    ASSESSMENT_AGENCY = "assessment_agency", _("第三方评估机构")
    HOTLINE_CENTRE = "hotline_centre", _("呼叫服务中心")


class Organisation(models.Model):
    name = models.CharField(_("机构名称"), max_length=200)
    kind = models.CharField(_("机构类型"), max_length=32, choices=OrganisationKind.choices)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("登记所在区域"), on_delete=models.PROTECT,
                               related_name="organisations")
    parent = models.ForeignKey("self", verbose_name=_("上级/连锁机构"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="branches")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在营"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # A region also changes the registration of a provider registered elsewhere that serves one of its
    # communities (`region_reach` may write); rows that declare `organisation_reach` are reached through
    # the communities the organisation serves.
    scoping = Scoping(region="region", organisation="self", region_reach="service_areas__community",
                      change_via=DIRECT_LINKS | {REGION_REACH}, serves="service_areas__community")

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FacilityKind(models.TextChoices):
    INSTITUTION = "institution", _("养老机构")
    SMALL_CARE_HOME = "small_care_home", _("长者照护之家")
    COMMUNITY_CENTRE = "community_centre", _("社区综合为老服务中心")
    DAY_CENTRE = "day_centre", _("日间照料中心")
    MEAL_POINT = "meal_point", _("助餐点")
    ACTIVITY_ROOM = "activity_room", _("老年活动室")
    NURSING_STATION = "nursing_station", _("护理站")
    ADVISOR_POINT = "advisor_point", _("养老顾问点")


class Facility(models.Model):
    organisation = models.ForeignKey(Organisation, verbose_name=_("运营机构"), on_delete=models.PROTECT,
                                     related_name="facilities")
    name = models.CharField(_("设施名称"), max_length=200)
    kind = models.CharField(_("设施类型"), max_length=32, choices=FacilityKind.choices)
    community = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT,
                                  related_name="facilities")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    nursing_beds = models.PositiveIntegerField(_("护理型床位数"), default=0)
    floor_area_m2 = models.DecimalField(_("建筑面积（平方米）"), max_digits=10, decimal_places=2, default=0)
    opening_hours = models.CharField(_("开放时间"), max_length=100, blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    is_active = models.BooleanField(_("运营中"), default=True)

    scoping = Scoping(region="community", organisation="organisation")

    class Meta:
        verbose_name = _("养老服务设施")
        verbose_name_plural = _("养老服务设施")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceArea(models.Model):
    """A community an organisation serves; providers see elders only where they serve."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("服务机构"), on_delete=models.CASCADE,
                                     related_name="service_areas")
    community = models.ForeignKey("regions.Region", verbose_name=_("服务社区"), on_delete=models.PROTECT,
                                  related_name="service_areas")
    since = models.DateField(_("开始日期"), null=True, blank=True)

    scoping = Scoping(region="community", organisation="organisation")

    class Meta:
        verbose_name = _("服务区域")
        verbose_name_plural = _("服务区域")
        constraints = [models.UniqueConstraint(fields=["organisation", "community"], name="unique_service_area")]

    def __str__(self):
        return f"{self.organisation} → {self.community}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    ACTIVE = "active", _("履行中")
    SUSPENDED = "suspended", _("暂停")
    ENDED = "ended", _("已终止")


class Contract(models.Model):
    organisation = models.ForeignKey(Organisation, verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="contracts")
    region = models.ForeignKey("regions.Region", verbose_name=_("签约区域"), on_delete=models.PROTECT,
                               related_name="contracts")
    number = models.CharField(_("合同编号"), max_length=60, unique=True)
    programme = models.CharField(_("服务项目/资金渠道"), max_length=60)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    note = models.TextField(_("备注"), blank=True)

    scoping = Scoping(region="region", organisation="organisation")

    class Meta:
        verbose_name = _("服务合同")
        verbose_name_plural = _("服务合同")
        ordering = ["-starts_on"]

    def __str__(self):
        return self.number


class StaffPosition(models.TextChoices):
    CAREGIVER = "caregiver", _("护理员/助老员")
    NURSE = "nurse", _("护士")
    THERAPIST = "therapist", _("康复师")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    ASSESSOR = "assessor", _("评估员")
    MANAGER = "manager", _("管理人员")
    COOK = "cook", _("厨师/配餐员")
    OPERATOR = "operator", _("坐席")


class StaffMember(models.Model):
    organisation = models.ForeignKey(Organisation, verbose_name=_("所属机构"), on_delete=models.PROTECT,
                                     related_name="staff")
    user = models.OneToOneField("accounts.User", verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="staff_profile")
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    id_number = EncryptedTextField(_("身份证号"), masker="id_number")
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("手机号"), masker="phone", blank=True)
    position = models.CharField(_("岗位"), max_length=32, choices=StaffPosition.choices)
    dialects = models.CharField(_("方言"), max_length=100, blank=True)
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)

    scoping = Scoping(region="organisation__region", organisation="organisation")

    class Meta:
        verbose_name = _("从业人员")
        verbose_name_plural = _("从业人员")
        ordering = ["organisation", "name"]

    def __str__(self):
        return self.name


class Qualification(models.TextChoices):
    CARE_WORKER_5 = "care_worker_5", _("养老护理员（五级/初级）")
    CARE_WORKER_4 = "care_worker_4", _("养老护理员（四级/中级）")
    CARE_WORKER_3 = "care_worker_3", _("养老护理员（三级/高级）")
    CARE_WORKER_2 = "care_worker_2", _("养老护理员（二级/技师）")
    CARE_WORKER_1 = "care_worker_1", _("养老护理员（一级/高级技师）")
    REGISTERED_NURSE = "registered_nurse", _("执业护士")
    MEDICAL_CARE = "medical_care", _("医疗照护")
    REHAB_THERAPIST = "rehab_therapist", _("康复师")
    ASSESSOR = "assessor", _("老年人能力评估师")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    HEALTH_MANAGER = "health_manager", _("健康管理师")
    FOOD_SAFETY = "food_safety", _("食品安全/健康证")


class Certificate(models.Model):
    staff = models.ForeignKey(StaffMember, verbose_name=_("从业人员"), on_delete=models.CASCADE,
                              related_name="certificates")
    qualification = models.CharField(_("资质"), max_length=32, choices=Qualification.choices)
    number = models.CharField(_("证书编号"), max_length=60)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    scoping = Scoping(region="staff__organisation__region", organisation="staff__organisation")

    class Meta:
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        ordering = ["expires_on"]

    def __str__(self):
        return f"{self.get_qualification_display()} {self.number}"

