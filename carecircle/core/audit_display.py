"""The audit trail as a person reads it: what was done, to what, and a table of field, old value, new value.

An event stores its action name (`intake.accept`), its subject's model label and id and a dictionary of
changes; none of that is shown as it is stored. Field names read as the model's verbose_name, choice values as
their labels, references as the record they point to (only when the reader may see it), lists and tables as
words. An action reads as the label its app declared for it, else as the app's name and the verb in words.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from .labels import code_label, looks_like_code, words_for

# Verbs of the house style "area.entity_verb", for actions whose app declared no label of their own.
VERBS = {
    "create": pgettext_lazy("audit verb", "新建"), "update": pgettext_lazy("audit verb", "修改"), "change": pgettext_lazy("audit verb", "修改"),
    "edit": pgettext_lazy("audit verb", "修改"), "delete": pgettext_lazy("audit verb", "删除"), "add": pgettext_lazy("audit verb", "添加"),
    "remove": pgettext_lazy("audit verb", "移除"), "cancel": pgettext_lazy("audit verb", "取消"), "accept": pgettext_lazy("audit verb", "接受"),
    "decline": pgettext_lazy("audit verb", "拒绝"), "stop": pgettext_lazy("audit verb", "停止"), "record": pgettext_lazy("audit verb", "登记"),
    "place": pgettext_lazy("audit verb", "下单"), "offer": pgettext_lazy("audit verb", "派单"), "complete": pgettext_lazy("audit verb", "完成"),
    "rate": pgettext_lazy("audit verb", "评价"), "publish": pgettext_lazy("audit verb", "发布"), "import": pgettext_lazy("audit verb", "导入"),
    "export": pgettext_lazy("audit verb", "导出"), "reveal": pgettext_lazy("audit verb", "查看明文"), "merge": pgettext_lazy("audit verb", "合并"),
    "approve": pgettext_lazy("audit verb", "批准"), "reject": pgettext_lazy("audit verb", "驳回"), "move": pgettext_lazy("audit verb", "调整"),
    "generate": pgettext_lazy("audit verb", "生成"), "confirm": pgettext_lazy("audit verb", "确认"), "start": pgettext_lazy("audit verb", "开始"),
    "submit": pgettext_lazy("audit verb", "提交"), "schedule": pgettext_lazy("audit verb", "安排"), "login": pgettext_lazy("audit verb", "登录"),
    "logout": pgettext_lazy("audit verb", "退出登录"), "set": pgettext_lazy("audit verb", "设置"), "search": pgettext_lazy("audit verb", "检索"),
    "undo": pgettext_lazy("audit verb", "撤销"), "assign": pgettext_lazy("audit verb", "分派"), "finalise": pgettext_lazy("audit verb", "定稿"),
    "issue": pgettext_lazy("audit verb", "发放"), "revoke": pgettext_lazy("audit verb", "吊销"), "expired": pgettext_lazy("audit verb", "过期"),
    "run": pgettext_lazy("audit verb", "运行"), "retry": pgettext_lazy("audit verb", "重试"), "deliver": pgettext_lazy("audit verb", "投递"),
}


def _declared_labels() -> dict[str, str]:
    from .plugins import registry

    labels = {}
    for plugin in registry:
        choices = getattr(plugin.audit_actions, "choices", None)
        if not choices:
            continue
        for value, label in choices:
            # TextChoices without an explicit label get their member name in title case: not a label.
            auto = str(value).split(".", 1)[-1].replace("_", " ").title()
            if label and str(label) != auto and not looks_like_code(str(label)):
                labels[value] = label
    return labels


def action_label(action: str) -> str:
    """An audit action in words."""
    label = _declared_labels().get(action)
    if label is not None:
        return str(label)
    area, _dot, rest = str(action).partition(".")
    try:
        app = apps.get_app_config(area).verbose_name
    except LookupError:
        app = code_label(area) or _("系统")
    verb = rest.rsplit("_", 1)[-1] if rest else ""
    entity = rest.rsplit("_", 1)[0] if "_" in rest else ""
    entity_words = ""
    if entity:
        for model in apps.get_models():
            if model._meta.model_name == entity.replace("_", "") and model._meta.app_label == area:
                entity_words = str(model._meta.verbose_name)
                break
    verb_words = str(VERBS.get(verb, _("操作")))
    return _("%(app)s：%(verb)s%(entity)s") % {"app": app, "verb": verb_words, "entity": entity_words}


def subject_model(subject_type: str):
    try:
        return apps.get_model(subject_type) if subject_type else None
    except (LookupError, ValueError):
        return None


def subject_label(subject_type: str) -> str:
    """The kind of record an event is about, in words ("申请", "老人档案")."""
    model = subject_model(subject_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return str(code_label(subject_type) or _("其他记录"))


def reason_words(reason: str) -> str:
    """A recorded reason: a sentence the platform wrote (a message of its catalogue) in the reader's language, a
    reason a person typed as it was typed."""
    return _(reason) if reason else ""


@dataclass
class ChangeRow:
    field: str
    old: str
    new: str


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _value_words(value, field, user) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and getattr(field, "choices", None) and not isinstance(value, (list, dict)):
        return str(dict(field.flatchoices).get(value, words_for(value)))
    if field is not None and isinstance(field, models.ForeignKey) and isinstance(value, (int, str)):
        return _related_words(field.related_model, value, user)
    if isinstance(value, dict):
        return pgettext("table separator", "；").join(
            _("%(key)s：%(value)s") % {"key": words_for(k), "value": _value_words(v, None, user)}
            for k, v in value.items())
    if isinstance(value, list):
        return pgettext("list separator", "、").join(_value_words(v, None, user) for v in value) or "—"
    if isinstance(value, str):
        return words_for(value) if looks_like_code(value) else _(value) if value else value
    return str(value)


def _related_words(model, pk, user) -> str:
    from .isolation import is_visible

    try:
        obj = model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        obj = None
    if obj is None:
        return _("（已删除的记录）")
    if user is not None and getattr(model, "scoping", None) is not None and not is_visible(user, obj):
        return _("（您无权查看的记录）")
    return str(obj)


def _field_label(model, name: str) -> str:
    field = _field(model, name)
    if field is not None:
        return str(field.verbose_name)
    return str(code_label(name) or FIELD_WORDS.get(name) or _("其他"))


# Keys that services record beside the model's fields.
FIELD_WORDS = {
    "documents_added": gettext_lazy("新增材料"), "channel": gettext_lazy("渠道"), "outcome": gettext_lazy("处理结果"),
    "objections": gettext_lazy("异议"), "objection": gettext_lazy("异议"), "reason": gettext_lazy("原因"),
    "agency": gettext_lazy("评估机构"), "assessment_order": gettext_lazy("评估任务"), "level": gettext_lazy("等级"),
    "summary": gettext_lazy("评估结论"), "starts_on": gettext_lazy("开始日期"), "ends_on": gettext_lazy("截止日期"),
    "result": gettext_lazy("结果"), "count": gettext_lazy("数量"), "rows": gettext_lazy("行数"),
    "format": gettext_lazy("格式"), "what": gettext_lazy("内容"), "kind": gettext_lazy("类别"),
    "masked": gettext_lazy("号码（已遮蔽）"), "results": gettext_lazy("结果数"), "field": gettext_lazy("字段"),
    "from": gettext_lazy("原值"), "to": gettext_lazy("新值"), "value": gettext_lazy("取值"),
    "key": gettext_lazy("参数"), "effective_from": gettext_lazy("生效日期"), "scale": gettext_lazy("规模"),
    "created": gettext_lazy("新建"), "order": gettext_lazy("订单"), "elder": gettext_lazy("老人"),
    "state": gettext_lazy("状态"), "status": gettext_lazy("状态"),
}
# Recorded for machines, not for people: a keyed hash says nothing to a reader.
HIDDEN_KEYS = {"hash", "request_id"}


def change_rows(event, user=None) -> list[ChangeRow]:
    """The event's changes as rows of (field, old value, new value) in words.

    `[old, new]` pairs give both columns; a single value is a new value (a record created, a fact noted)."""
    model = subject_model(event.subject_type)
    changes = event.changes_shown
    if not isinstance(changes, dict):
        return [ChangeRow(_("变更"), "—", _value_words(changes, None, user))]
    rows = []
    for name, value in changes.items():
        if name in HIDDEN_KEYS:
            continue
        field = _field(model, name)
        if name == "policy_key" or (name == "key" and isinstance(value, str)):
            from .policy import policy_label

            rows.append(ChangeRow(_field_label(model, name), "—", policy_label(value)))
            continue
        if isinstance(value, list) and len(value) == 2 and not isinstance(field, models.JSONField) \
                and name not in {"documents_added", "objections", "documents", "documents_received"}:
            old, new = value
            rows.append(ChangeRow(_field_label(model, name), _value_words(old, field, user),
                                  _value_words(new, field, user)))
        else:
            rows.append(ChangeRow(_field_label(model, name), "—", _value_words(value, field, user)))
    return rows
