"""Service quality: complaints from any channel with their deadlines in working days, return visits (回访)
sampled by policy, and the steps each took. The provider scorecard is computed from these and the visits.

Every step goes through the services (`services/`), checked against the step tables below, and is written
as a `ComplaintStep` (the timeline everyone with the complaint in scope reads) and an audit event.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from carecircle.core.isolation import Scoping
from carecircle.core.roles import has_capability
from carecircle.core.workflow import Step, Workflow


# The unit of a policy parameter of this app that the kernel's list of units does not carry (core/policy.py).
UNITS = (gettext_noop("次"),)


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("热线电话")
    WINDOW = "window", _("窗口")
    PORTAL = "portal", _("老人或家属网上提交")
    COMMUNITY = "community", _("居委工作人员")
    RETURN_VISIT = "return_visit", _("回访中提出")


class Category(models.TextChoices):
    LATE_OR_MISSED = "late_or_missed", _("迟到或未上门")
    SHORTENED = "shortened", _("服务时间不足")
    QUALITY = "quality", _("服务质量")
    ATTITUDE = "attitude", _("服务态度")
    SAFETY = "safety", _("安全问题")
    CHARGES = "charges", _("收费问题")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已登记")
    ACCEPTED = "accepted", _("已受理，待机构答复")
    ESCALATED = "escalated", _("已升级至区民政")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED, ComplaintStatus.ESCALATED)


class Complaint(models.Model):
    """One complaint about a provider, a visit (work order) or a caregiver, from any channel.

    `accept_due` and `answer_due` are working days counted from the day it was received
    (`quality.complaint.*` policy parameters); a reopened complaint gets a new answer deadline."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("被投诉机构"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("相关上门服务"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("相关护理员"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("来源渠道"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("投诉类别"), max_length=20, choices=Category.choices)
    summary = models.TextField(_("投诉内容"), max_length=2000)
    complainant = models.CharField(_("投诉人"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED, db_index=True)
    received_on = models.DateField(_("登记日期"))
    accept_due = models.DateField(_("受理期限"))
    answer_due = models.DateField(_("答复期限"), db_index=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer = models.TextField(_("答复内容"), blank=True, max_length=2000)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    complainant_satisfied = models.BooleanField(_("投诉人是否满意"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新处理次数"), default=0)
    return_visit = models.ForeignKey("quality.ReturnVisit", verbose_name=_("来自回访"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="complaints_raised")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["answer_due", "id"]
        indexes = [models.Index(fields=["organisation", "received_on"], name="quality_complaint_org_day")]

    def __str__(self):
        return f"{self.pk} {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        return self.is_open and self.answer_due < today


class ComplaintStep(models.Model):
    """One step on a complaint's timeline: what was done, by whom, from which state to which, and what was
    said. The complainant reads these on their own page."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True, choices=ComplaintStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ComplaintStatus.choices)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"))

    scoping = Scoping(region="complaint__elder__community", organisation="complaint__organisation",
                      person="complaint__elder")

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["at", "id"]


class ReturnVisitReason(models.TextChoices):
    SAMPLED = "sampled", _("按比例抽查")
    EXCEPTION = "exception", _("服务有异常")
    COMPLAINT = "complaint", _("投诉办结")
    MANUAL = "manual", _("工作人员安排")


class ReturnVisitStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    DONE = "done", _("已回访")
    REFUSED = "refused", _("老人拒绝回访")
    UNREACHABLE = "unreachable", _("多次未联系上")


class Outcome(models.TextChoices):
    REACHED = "reached", _("已联系上")
    NOT_REACHED = "not_reached", _("未联系上")
    REFUSED = "refused", _("拒绝回访")


class ReturnVisit(models.Model):
    """A telephone call to the elder after a visit or a complaint: who to call, why, by when, and how it went.

    One per (visit, reason) and one per complaint closure, so a replayed event adds nothing."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=_("上门服务"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    visit_id = models.BigIntegerField(_("上门记录编号"), null=True, blank=True)
    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="return_visits")
    reason = models.CharField(_("回访原因"), max_length=20, choices=ReturnVisitReason.choices)
    status = models.CharField(_("状态"), max_length=20, choices=ReturnVisitStatus.choices,
                              default=ReturnVisitStatus.PENDING, db_index=True)
    period = models.DateField(_("所属月份"), help_text=_("服务或投诉所在月份的第一天"))
    due_on = models.DateField(_("回访期限"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("已拨打次数"), default=0)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    notes = models.TextField(_("回访记录"), blank=True, max_length=2000)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit_id", "reason"], condition=Q(visit_id__isnull=False),
                                    name="quality_one_return_visit_per_visit_reason"),
            models.UniqueConstraint(fields=["complaint", "reason"], condition=Q(complaint__isnull=False),
                                    name="quality_one_return_visit_per_complaint_reason"),
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="quality_satisfaction_1_to_5"),
        ]
        indexes = [models.Index(fields=["organisation", "period"], name="quality_rv_org_period")]

    def __str__(self):
        return f"{self.get_reason_display()} {self.elder}"

    @property
    def is_pending(self) -> bool:
        return self.status == ReturnVisitStatus.PENDING


class ReturnVisitAttempt(models.Model):
    """One call: when, by whom, how it went, and what the elder said."""

    return_visit = models.ForeignKey(ReturnVisit, verbose_name=_("回访"), on_delete=models.CASCADE,
                                     related_name="calls")
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    notes = models.TextField(_("记录"), blank=True, max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("时间"))

    scoping = Scoping(region="return_visit__elder__community", organisation="return_visit__organisation",
                      person="return_visit__elder")

    class Meta:
        verbose_name = _("回访通话")
        verbose_name_plural = _("回访通话")
        ordering = ["at", "id"]


S = ComplaintStatus
HANDLERS = {"quality.handle"}  # district, street, community workers and the hotline
RESPONDERS = {"quality.respond"}  # the provider answers; the district answers what was escalated
FILERS = {"quality.file", "quality.handle"}


def _may_answer(complaint, actor) -> bool:
    """An escalated complaint is answered by the district; one accepted by the provider it is about."""
    if actor is None:
        return True
    if complaint.status == S.ESCALATED:
        return has_capability(actor, "quality.district")
    return complaint.organisation_id is not None and getattr(actor, "organisation_id", None) == complaint.organisation_id


def reopen_until(complaint):
    """The last day the complainant may reopen: the policy's calendar days after the answer (or the closure)."""
    import datetime as dt

    from carecircle.core.policy import policy_value

    moment = complaint.closed_at or complaint.answered_at
    if moment is None:
        return None
    from django.utils import timezone

    day = timezone.localtime(moment).date()
    days = policy_value("quality.complaint.reopen_days", region=complaint.elder.community, on=day)
    return day + dt.timedelta(days=days)


def _within_reopen_window(complaint, actor) -> bool:
    from django.utils import timezone

    last = reopen_until(complaint)
    today = getattr(complaint, "checked_on", None) or timezone.localdate()  # the service's "now", when it has one
    return last is not None and today <= last


COMPLAINT_FLOW = Workflow("quality.complaint", steps=[
    Step("accept", _("受理并转交机构"), {S.RECEIVED}, S.ACCEPTED, HANDLERS),
    Step("answer", _("答复"), {S.ACCEPTED, S.ESCALATED}, S.ANSWERED, RESPONDERS, guard=_may_answer),
    Step("escalate", _("升级至区民政"), {S.RECEIVED, S.ACCEPTED}, S.ESCALATED, HANDLERS, needs_reason=True),
    Step("close", _("办结"), {S.ANSWERED}, S.CLOSED, HANDLERS),
    Step("reopen", _("重新处理"), {S.ANSWERED, S.CLOSED}, None, FILERS, negative=True,
         guard=_within_reopen_window),
])
