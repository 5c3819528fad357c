"""Page forms: they parse what was typed; the rules live in the services."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ActionKind, CallCategory, CallDirection, DeviceKind, FollowUp, Health, Outcome

BLANK = [("", "—")]


class DeviceForm(forms.Form):
    kind = forms.ChoiceField(label=_("设备类型"), choices=DeviceKind.choices)
    vendor = forms.CharField(label=_("厂商"), max_length=100)
    number = forms.CharField(label=_("设备号码/序列号"), max_length=64, required=False)
    device_id = forms.CharField(label=_("设备编号"), max_length=64, required=False,
                                help_text=_("留空则自动生成；须与设备上报的 X-Device-Id 一致。"))
    installed_on = forms.DateField(label=_("安装日期"), initial=timezone.localdate,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=_("安装位置"), max_length=100, required=False,
                               help_text=_("如卫生间、卧室。"))


class UnbindForm(forms.Form):
    reason = forms.CharField(label=_("解绑原因"), max_length=300)


class CallForm(forms.Form):
    direction = forms.ChoiceField(label=_("方向"), choices=CallDirection.choices, initial=CallDirection.IN)
    number = forms.CharField(label=_("来电号码"), max_length=20, required=False)
    category = forms.ChoiceField(label=_("类别"), choices=BLANK + list(CallCategory.choices), required=False)
    is_emergency = forms.BooleanField(label=_("紧急（开启紧急呼叫事件）"), required=False)
    summary = forms.CharField(label=_("内容摘要"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ActForm(forms.Form):
    kind = forms.ChoiceField(label=_("处置"), choices=ActionKind.choices)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=Outcome.choices)
    category = forms.ChoiceField(label=_("类别"), choices=CallCategory.choices)
    note = forms.CharField(label=_("结案说明"), max_length=500, required=False)


class CallbackForm(forms.Form):
    note = forms.CharField(label=_("回访情况"), max_length=500)


class AttemptForm(forms.Form):
    answered = forms.TypedChoiceField(label=_("结果"), choices=[("1", _("已接通")), ("0", _("未接通"))],
                                      coerce=lambda v: v == "1", widget=forms.RadioSelect)
    note = forms.CharField(label=_("通话情况"), max_length=500, required=False)


class VisitForm(forms.Form):
    seen_in_person = forms.TypedChoiceField(label=_("见到老人本人"), choices=[("1", _("是")), ("0", _("否"))],
                                            coerce=lambda v: v == "1", widget=forms.RadioSelect)
    health = forms.ChoiceField(label=_("健康状况"), choices=Health.choices, widget=forms.RadioSelect)
    home_safe = forms.TypedChoiceField(label=_("居家环境安全"), choices=[("1", _("安全")), ("0", _("有隐患"))],
                                       coerce=lambda v: v == "1", widget=forms.RadioSelect)
    needs = forms.CharField(label=_("发现的需求"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.ChoiceField(label=_("后续"), choices=FollowUp.choices, initial=FollowUp.NONE)


class MonthForm(forms.Form):
    month = forms.DateField(label=_("月份"), input_formats=["%Y-%m"], required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
