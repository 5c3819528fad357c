"""Page forms of the exceptions queue. They only parse what was typed; the rules live in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ExceptionStatus, ReasonCode, ResolutionCode, Rule

BLANK = [("", "—")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ExceptionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("未关闭")), ("all", _("全部"))] + list(ExceptionStatus.choices))
    rule = forms.ChoiceField(label=_("规则"), required=False, choices=BLANK + list(Rule.choices))
    organisation = forms.ChoiceField(label=_("服务机构"), required=False, choices=BLANK)
    street = forms.ChoiceField(label=_("街道"), required=False, choices=BLANK)
    date_from = forms.DateField(label=_("服务日期从"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)

    def __init__(self, *args, organisations=(), streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = BLANK + [(str(o.pk), o.name) for o in organisations]
        self.fields["street"].choices = BLANK + [(str(s.pk), s.name) for s in streets]


class ResolveForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("原因"), choices=BLANK + list(ReasonCode.choices))
    resolution_code = forms.ChoiceField(label=_("处理结果"), choices=BLANK + list(ResolutionCode.choices))
    note = forms.CharField(label=_("处理说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    corrected_check_in = forms.DateTimeField(label=_("更正后的签到时间"), required=False, widget=MOMENT,
                                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    corrected_check_out = forms.DateTimeField(label=_("更正后的签退时间"), required=False, widget=MOMENT,
                                              input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=500)


class PinForm(forms.Form):
    pin = forms.CharField(label=_("新的确认码（4 到 6 位数字）"), min_length=4, max_length=6,
                          widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                            "pattern": "[0-9]*"}))
    pin_again = forms.CharField(label=_("再输入一次"), min_length=4, max_length=6,
                                widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                                  "pattern": "[0-9]*"}))
