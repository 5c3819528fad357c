from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemeKind(models.TextChoices):
    STAR_RATING = "star_rating", _("星级评定检查表")
    HAZARD_LIST = "hazard_list", _("重大事故隐患清单")


class InspectionKind(models.TextChoices):
    QUARTERLY = "quarterly", _("季度检查")
    ANNUAL = "annual", _("年度检查")
    RECHECK = "recheck", _("等级复核抽查")
    UNANNOUNCED = "unannounced", _("暗访")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("已计划")
    IN_PROGRESS = "in_progress", _("检查中")
    SUBMITTED = "submitted", _("已提交")
    ACKNOWLEDGED = "acknowledged", _("机构已确认")
    CANCELLED = "cancelled", _("已取消")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    CLOSED = "closed", _("已整改销号")
    ESCALATED = "escalated", _("已升级处理")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RESPONDED = "responded", _("已提交整改材料")
    CLOSED = "closed", _("复查通过")
    ESCALATED = "escalated", _("已升级处理")


class Escalation(models.TextChoices):
    INTERVIEW = "interview", _("约谈")
    PUBLIC_NOTICE = "public_notice", _("通报")
    DOWNGRADE = "downgrade", _("降级或撤销等级")
    SUBSIDY_LOSS = "subsidy_loss", _("取消运营补贴")


class RatingStatus(models.TextChoices):
    IN_FORCE = "in_force", _("有效")
    SUPERSEDED = "superseded", _("已被新评定取代")
    REVOKED = "revoked", _("已撤销评定")


# Facility kinds inspected every quarter (the centres) and the scheme each kind is rated by by default.
CENTRE_KINDS = ("community_centre", "day_centre")
INSTITUTION_KINDS = ("institution",)
