"""Forms of the core pages: policy parameter values and the audit filter."""
import datetime as dt
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Confidence
from .policy import specs, validate_value

TRUE_WORDS = {"是", "true", "1", "yes", "y"}
FALSE_WORDS = {"否", "false", "0", "no", "n"}


def parse_value_text(kind: str, text: str):
    """What a person types → the JSON value validate_value expects. Money and ratios stay text so that
    no float ever touches them; tables and lists are written as JSON."""
    text = (text or "").strip()
    if kind in {"table", "list"}:
        try:
            return json.loads(text)
        except ValueError:
            example = '{"2": 3, "3": 5}' if kind == "table" else "[2, 3, 4]"
            raise ValidationError(_("请按 JSON 格式填写，例如 %(example)s") % {"example": example})
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValidationError(_("“%(value)s”不是整数") % {"value": text})
    if kind == "boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValidationError(_("请填写“是”或“否”"))
    return text


class DateInput(forms.DateInput):
    input_type = "date"


class PolicyFilterForm(forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("区域"), queryset=None, required=False, to_field_name="code")
    on = forms.DateField(label=gettext_lazy("日期"), required=False, widget=DateInput)
    q = forms.CharField(label=gettext_lazy("搜索"), required=False)
    unconfirmed = forms.BooleanField(label=gettext_lazy("只看待核实"), required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["region"].empty_label = None


class PolicyValueForm(forms.Form):
    key = forms.ChoiceField(label=gettext_lazy("参数"))
    region = forms.ModelChoiceField(label=gettext_lazy("适用区域"), queryset=None, to_field_name="code")
    value = forms.CharField(label=gettext_lazy("取值"), widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=gettext_lazy("金额如 40.00；比例如 0.85；是/否；对照表和列表用 JSON"))
    effective_from = forms.DateField(label=gettext_lazy("生效日期"), widget=DateInput)
    source = forms.CharField(label=gettext_lazy("来源"), widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("文件名称、文号或网页地址"))
    confidence = forms.ChoiceField(label=gettext_lazy("可信度"), choices=Confidence.choices)
    note = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=gettext_lazy("修改原因"), required=False, max_length=500)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = sorted(((key, spec.label) for key, spec in specs().items()),
                                            key=lambda choice: str(choice[1]))
        self.fields["region"].queryset = regions
        self.fields["effective_from"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        key, text = data.get("key"), data.get("value")
        if key and text is not None:
            try:
                data["value"] = validate_value(key, parse_value_text(specs()[key].kind, text))
            except ValidationError as error:
                self.add_error("value", error)
        return data


class AuditFilterForm(forms.Form):
    # Kinds of record and actions are chosen by their words; the stored names travel only as option values.
    subject_type = forms.CharField(label=gettext_lazy("对象类型"), required=False, widget=forms.Select)
    subject_id = forms.CharField(required=False, widget=forms.HiddenInput)
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False)
    action = forms.CharField(label=gettext_lazy("操作"), required=False, widget=forms.Select)
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False, widget=DateInput)
    until = forms.DateField(label=gettext_lazy("截止日期（含）"), required=False, widget=DateInput)

    def __init__(self, *args, subject_types=(), **kwargs):
        from django.apps import apps

        from .audit_display import action_label, subject_label
        from .plugins import registry

        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["subject_type"].widget.choices = blank + [(t, subject_label(t)) for t in subject_types if t]
        areas, actions = {}, []
        for action in sorted(registry.audit_actions):
            area = action.split(".", 1)[0]
            if area not in areas:
                try:
                    name = apps.get_app_config(area).verbose_name
                except LookupError:
                    name = _("系统")
                areas[area] = _("%(area)s（全部操作）") % {"area": name}
            actions.append((action, action_label(action)))
        self.fields["action"].widget.choices = blank + [(f"{area}.", label) for area, label in areas.items()] + actions

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data

    def filters(self) -> dict:
        """The filters for selectors.audit_events: whole local days, [since 00:00, until+1 00:00)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def start_of(day):
            return dt.datetime.combine(day, dt.time.min, tzinfo=zone) if day else None

        return {"subject_type": data["subject_type"].strip(), "subject_id": data["subject_id"].strip(),
                "actor": data["actor"].strip(), "action": data["action"].strip(), "since": start_of(data["since"]),
                "until": start_of(data["until"] + dt.timedelta(days=1)) if data["until"] else None}
