from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.choices import Gender  # noqa: F401  (re-exported: forms and serializers use it)
from carecircle.core.isolation import Scoping
from carecircle.core.roles import Role
from carecircle.core.sensitive import BirthDateField, EncryptedTextField, last4_lookup_hash, lookup_hash, mask_id_number

from .names import pinyin_forms


class HouseholdType(models.TextChoices):
    ALONE = "alone", _("独居")
    ELDERLY_ONLY = "elderly_only", _("纯老家庭")
    WITH_CHILDREN = "with_children", _("与子女同住")
    WITH_OTHERS = "with_others", _("与其他亲属同住")
    INSTITUTION = "institution", _("入住机构")


class Registration(models.TextChoices):
    LOCAL = "local", _("本地户籍")
    RESIDENT = "resident", _("常住外地户籍")


class EconomicCategory(models.TextChoices):
    EXTREME_POVERTY = "extreme_poverty", _("特困")
    MIN_LIVING = "min_living", _("低保")
    NEAR_POVERTY = "near_poverty", _("低保边缘")
    LOW_INCOME = "low_income", _("低收入")
    GENERAL = "general", _("一般")


class ElderStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")
    MERGED = "merged", _("已合并")


class Elder(models.Model):
    """One older person. One active record per ID number; duplicates are merged, never deleted."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("姓名拼音"), max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(_("拼音首字母"), max_length=20, editable=False, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = BirthDateField(_("出生日期"), db_index=True)
    id_number = EncryptedTextField(_("身份证号"), masker="id_number")
    id_number_hash = models.CharField(max_length=64, editable=False)
    # Staff often know only the last four characters; an indexed column avoids a '%1234' scan. It holds a keyed
    # hash, not the four characters: beside the clear birth date they would rebuild the number from a dump.
    id_number_last4_hash = models.CharField(max_length=64, editable=False, blank=True)
    phone = EncryptedTextField(_("联系电话"), masker="phone", blank=True)
    phone_hash = models.CharField(max_length=64, editable=False, blank=True)
    community = models.ForeignKey("regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT,
                                  related_name="elders")
    address = models.CharField(_("居住地址"), max_length=255)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    household_type = models.CharField(_("居住类型"), max_length=20, choices=HouseholdType.choices)
    registration = models.CharField(_("户籍"), max_length=20, choices=Registration.choices, default=Registration.LOCAL)
    economic_category = models.CharField(_("经济类别"), max_length=20, choices=EconomicCategory.choices,
                                         default=EconomicCategory.GENERAL)
    has_disability_certificate = models.BooleanField(_("持有残疾证"), default=False)
    disability_certificate_number = models.CharField(_("残疾证号"), max_length=30, blank=True)
    chronic_conditions = models.JSONField(_("慢性病"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ElderStatus.choices, default=ElderStatus.ACTIVE)
    status_date = models.DateField(_("状态变更日期"), null=True, blank=True)
    merged_into = models.ForeignKey("self", verbose_name=_("合并至"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_records")
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Assessors reach the elders their agency has assessment orders for (any state: the history too).
    scoping = Scoping(region="community", person="pk", organisation_reach="community",
                      organisation_links=(("assessment_orders__agency", frozenset({Role.ASSESSOR})),))

    class Meta:
        verbose_name = _("老人")
        verbose_name_plural = _("老人")
        ordering = ["community__path", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=~Q(status="merged"),
                                    name="one_record_per_id_number"),
        ]
        # Every index is rewritten for each changed row (a death file changes 50,000 at once), so the register
        # keeps only the ones a query uses: hashes and the status are matched whole, never by LIKE, so they get
        # a plain B-tree without the pattern-ops twin a `db_index` CharField gets on PostgreSQL; the household
        # type and the economic category are served by the composites that start with them.
        indexes = [
            models.Index(fields=["id_number_hash"], name="elder_id_number_hash_idx"),
            models.Index(fields=["id_number_last4_hash"], name="elder_id_last4_hash_idx"),
            models.Index(fields=["phone_hash"], name="elder_phone_hash_idx"),
            models.Index(fields=["status"], name="elder_status_idx"),
            models.Index(fields=["community", "status"]),
            # Filters combine a category with an age band; the category alone is not selective enough
            # and a birth-date range alone can cover half the district.
            models.Index(fields=["economic_category", "birth_date"], name="elder_economic_birth_idx"),
            models.Index(fields=["household_type", "birth_date"], name="elder_household_birth_idx"),
            # A street's or community's age band: the scope join reaches elders community by community.
            models.Index(fields=["community", "birth_date"], name="elder_community_birth_idx"),
            models.Index(fields=["community", "household_type", "birth_date"], name="elder_comm_household_idx"),
            models.Index(fields=["community", "economic_category", "birth_date"], name="elder_comm_economic_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self) -> str:
        """First 6 + last 4, computed from the decrypted number: nothing masked is stored beside the ciphertext.
        Whether a reader may see it next to the birth date is decided in elders.disclosure."""
        return mask_id_number(self.id_number or "")

    def fill_derived(self):
        """Search and lookup columns derived from the clear values (also used by bulk loaders)."""
        self.id_number = (self.id_number or "").strip().upper()
        self.id_number_hash = lookup_hash(self.id_number)
        self.id_number_last4_hash = last4_lookup_hash(self.id_number)
        self.phone_hash = lookup_hash(self.phone) if self.phone else ""
        self.name_pinyin, self.name_initials = pinyin_forms(self.name)

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)


class EmergencyContact(models.Model):
    elder = models.ForeignKey(Elder, verbose_name=_("老人"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=30)
    phone = EncryptedTextField(_("电话"), masker="phone")
    holds_key = models.BooleanField(_("持有钥匙"), default=False)
    priority = models.PositiveSmallIntegerField(_("联系顺序"), default=1)

    scoping = Scoping(region="elder__community", person="elder", organisation_reach="elder__community")

    class Meta:
        verbose_name = _("紧急联系人")
        verbose_name_plural = _("紧急联系人")
        ordering = ["priority", "id"]

    def __str__(self):
        return _("%(name)s（%(relation)s）") % {"name": self.name, "relation": self.relation}


class ElderAccountLink(models.Model):
    """Which accounts may act for an elder: the elder themself, or family members."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE,
                             related_name="elder_links")
    elder = models.ForeignKey(Elder, verbose_name=_("老人"), on_delete=models.CASCADE, related_name="account_links")
    relation = models.CharField(_("关系"), max_length=30)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("账号关联")
        verbose_name_plural = _("账号关联")
        constraints = [models.UniqueConstraint(fields=["user", "elder"], name="unique_elder_account_link")]

    def __str__(self):
        return f"{self.user} → {self.elder}"


class ElderMerge(models.Model):
    """A duplicate record folded into the survivor, with what is needed to undo it."""

    survivor = models.ForeignKey(Elder, verbose_name=_("保留档案"), on_delete=models.PROTECT,
                                 related_name="merges_received")
    merged = models.ForeignKey(Elder, verbose_name=_("被合并档案"), on_delete=models.PROTECT,
                               related_name="merges_as_duplicate")
    previous_status = models.CharField(_("合并前状态"), max_length=20, choices=ElderStatus.choices)
    previous_status_date = models.DateField(_("合并前状态日期"), null=True, blank=True)
    moved_contact_ids = models.JSONField(_("转移的联系人"), default=list, blank=True)
    moved_account_link_ids = models.JSONField(_("转移的账号关联"), default=list, blank=True)
    # Links that already existed on the survivor for the same account are dropped, and restored on undo.
    dropped_account_links = models.JSONField(_("重复而删除的账号关联"), default=list, blank=True)
    reason = models.TextField(_("合并原因"))
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    scoping = Scoping(region="survivor__community", person="survivor")

    class Meta:
        verbose_name = _("档案合并")
        verbose_name_plural = _("档案合并")
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认")
    APPLYING = "applying", _("导入中")
    APPLIED = "applied", _("已导入")
    FAILED = "failed", _("未导入")
    DISCARDED = "discarded", _("已放弃")


class ImportMode(models.TextChoices):
    VALID_ROWS = "valid_rows", _("导入有效行，跳过有问题的行")
    ALL_OR_NOTHING = "all_or_nothing", _("全部有效才导入，否则一行也不写")


class ElderImport(models.Model):
    """One uploaded file between preview and apply. The rows hold ID numbers, so they are encrypted."""

    filename = models.CharField(_("文件名"), max_length=255)
    rows = EncryptedTextField(_("数据行"), masker="id_number")
    preview = models.JSONField(_("预检结果"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    mode = models.CharField(_("导入方式"), max_length=20, choices=ImportMode.choices, blank=True)
    report = models.JSONField(_("导入报告"), default=dict, blank=True)
    job = models.ForeignKey("core.Job", verbose_name=_("后台任务"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename

