"""What the intake app tells people, made at display time in the reader's language.

Services store codes and values (a waiting-list cause, a notice's level, a category code); these functions turn
them into sentences when a page or a notice is rendered, so a record made by a Chinese-speaking clerk reads in
English for an English reader, and the other way round. Rows written before the codes were stored keep the
words they were written with."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .models import Channel

# Why the positions of a waiting list moved: the code stored on the timeline event, and its sentence.
CAUSES = {
    "joined": gettext_lazy("%(name)s 进入轮候"),
    "admitted": gettext_lazy("%(name)s 已入住/开始服务，后续轮候者依次前移"),
    "withdrew": gettext_lazy("%(name)s 撤回申请，退出轮候"),
}


def cause_text(cause: str, name: str) -> str:
    return str(CAUSES[cause]) % {"name": name} if cause in CAUSES else ""


def level_kind(application) -> str:
    """"care" when the application's level is the programme's care level (照护等级), "ability" when the
    instrument maps to no care level and the level is the assessment's ability level (能力等级)."""
    from django.core.exceptions import ObjectDoesNotExist

    if not application.assessment_order_id:
        return "care"
    try:
        assessment = application.assessment_order.assessment
    except ObjectDoesNotExist:
        return "care"
    return "ability" if assessment.is_final and assessment.care_level is None else "care"


def level_words(level, kind: str) -> str:
    if kind == "ability":
        return _("能力等级 %(level)s 级") % {"level": level}
    return _("照护等级 %(level)s 级") % {"level": level}


def notice_result(notice) -> str:
    """The result a public notice announces, in the reader's language."""
    application = notice.application
    type_name = _(application.type.name)
    if notice.level is not None:
        return _("%(level)s，拟予以%(type)s") % {"level": level_words(notice.level, level_kind(application)),
                                             "type": type_name}
    if notice.result and application.assessed_level is None:
        return _("拟予以%(type)s") % {"type": type_name}
    return notice.result  # written before the level was stored apart


def event_reason(event) -> str:
    """The explanation line of a timeline event: made from its stored codes where it has them."""
    data = event.data or {}
    if event.action == "position_changed" and data.get("cause") in CAUSES:
        cause = cause_text(data["cause"], data.get("name", ""))
        if data.get("from"):
            return _("轮候位次由第 %(old)s 位变为第 %(new)s 位：%(cause)s。") % {
                "old": data["from"], "new": data["to"], "cause": cause}
        return _("轮候位次为第 %(new)s 位：%(cause)s。") % {"new": data["to"], "cause": cause}
    if event.action == "merged" and event.channel in Channel.values:
        return _("同一老人同一类型已有办理中的申请，经“%(channel)s”提交的申请已并入本申请") % {
            "channel": Channel(event.channel).label}
    return event.reason


def waitlist_explanation(entry) -> str:
    """Why an entry stands where it does: its category, level and application date (the rule is shown once,
    above the list)."""
    from .waitlist import category_label

    label = category_label(entry.priority_category) if entry.priority_category or not entry.priority_label \
        else entry.priority_label
    level = _("%(level)s 级") % {"level": entry.level} if entry.level is not None else _("未评估")
    return _("优先类别：%(label)s（第 %(group)s 组）；评估等级：%(level)s；申请日期：%(applied)s。") % {
        "label": label, "group": entry.priority_group, "level": level, "applied": entry.applied_on.isoformat()}


def documents_list(names) -> str:
    return pgettext("list separator", "、").join(_(d) for d in names)
