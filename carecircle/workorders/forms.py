"""Page forms of the work-order list. They only parse what was typed; the rules live in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WorkOrderSource, WorkOrderStatus

BLANK = [("", "—")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkOrderSearchForm(forms.Form):
    date = forms.DateField(label=_("服务日期"), required=False, widget=DATE)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + list(WorkOrderStatus.choices))
    source = forms.ChoiceField(label=_("来源"), required=False, choices=BLANK + list(WorkOrderSource.choices))
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("老人姓名或拼音")}))


class GenerateForm(forms.Form):
    date = forms.DateField(label=_("服务日期"), widget=DATE)
