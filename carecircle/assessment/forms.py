"""Page forms: they parse what was typed; the rules live in the services and the engine."""
from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import User
from carecircle.core.isolation import visible_to
from carecircle.core.roles import Role
from carecircle.elders.models import Elder
from carecircle.engines.scoring import RISK_EVENT_KINDS

from .models import OrderReason, OrderStatus, Programme

BLANK = [("", "—")]

RISK_EVENT_LABELS = {"fall": _("跌倒"), "wander": _("走失"), "choke": _("噎食"), "self_harm": _("自杀、自伤"),
                     "other": _("其他")}


class OrderSearchForm(forms.Form):
    q = forms.CharField(label=_("老人姓名"), required=False)
    status = forms.ChoiceField(label=_("状态"), choices=BLANK + list(OrderStatus.choices), required=False)
    reason = forms.ChoiceField(label=_("评估原因"), choices=BLANK + list(OrderReason.choices), required=False)
    programme = forms.ChoiceField(label=_("项目"), choices=BLANK + list(Programme.choices), required=False)
    mine = forms.BooleanField(label=_("只看我的任务"), required=False)


class ElderPickForm(forms.Form):
    """A form whose elder is picked by search (elders/_elder_picker.html), limited to the user's scope."""

    elder = forms.ModelChoiceField(label=_("老人"), queryset=Elder.objects.none(), widget=forms.HiddenInput,
                                   error_messages={"required": _("请查找并选中一位老人"),
                                                   "invalid_choice": _("所选老人不在您的管辖范围内，请重新查找")})

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["elder"].queryset = visible_to(user, Elder).filter(status="active")


class OrderCreateForm(ElderPickForm):
    programme = forms.ChoiceField(label=_("项目"), choices=Programme.choices)
    reason = forms.ChoiceField(label=_("评估原因"), choices=OrderReason.choices)
    reason_note = forms.CharField(label=_("原因说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("状况变化（如出院、跌倒）或异议时必填。"))


class ScheduleForm(forms.Form):
    assessor_1 = forms.ModelChoiceField(label=_("评估员一"), queryset=User.objects.none())
    assessor_2 = forms.ModelChoiceField(label=_("评估员二"), queryset=User.objects.none())
    appointment_at = forms.DateTimeField(label=_("上门评估时间"),
                                         widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                    format="%Y-%m-%dT%H:%M"),
                                         input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(role=Role.ASSESSOR, organisation=agency, is_active=True).order_by("username")
        self.fields["assessor_1"].queryset = staff
        self.fields["assessor_2"].queryset = staff


class ContextForm(forms.Form):
    diagnoses = forms.CharField(label=_("疾病诊断（ICD-10，逗号分隔）"), required=False,
                                help_text=_("如 F03（痴呆）、I10（高血压）。痴呆 F00–F03 或其他精神和行为障碍 F04–F99 会提高等级。"))
    coma = forms.BooleanField(label=_("昏迷（A.5.11）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in RISK_EVENT_KINDS:
            self.fields[f"event_{kind}"] = forms.IntegerField(
                label=_("近30天%(kind)s次数") % {"kind": RISK_EVENT_LABELS[kind]}, min_value=0, max_value=99,
                required=False, initial=0)

    def risk_events(self) -> dict:
        return {kind: self.cleaned_data.get(f"event_{kind}") or 0 for kind in RISK_EVENT_KINDS}

    def diagnosis_list(self) -> list[str]:
        raw = self.cleaned_data.get("diagnoses") or ""
        return [p.strip() for p in raw.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p.strip()]


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("证明材料照片"), widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf",
                                                                                  "capture": "environment"}))
    caption = forms.CharField(label=_("照片说明"), max_length=100, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ExternalLevelForm(ElderPickForm):
    programme = forms.ChoiceField(label=_("项目"), choices=Programme.choices)
    level = forms.IntegerField(label=_("照护等级"), min_value=0, max_value=10)
    source = forms.CharField(label=_("来源"), max_length=200, help_text=_("如：上海市老年照护统一需求评估系统，报告编号"))
    valid_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
