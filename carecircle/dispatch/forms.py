"""Forms of the dispatch board. They parse input; the services decide what is allowed."""
import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.workorders.models import WorkOrderStatus
from carecircle.providers.models import Qualification

from . import selectors
from .models import PlaceKind, TravelMode


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


class DayForm(forms.Form):
    date = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def day(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("date"):
            return self.cleaned_data["date"]
        return tomorrow()


class WorkOrderFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索老人姓名或地址"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("工单状态"), required=False,
                               choices=[("", _("全部状态"))] + list(WorkOrderStatus.choices))
    qualification = forms.ChoiceField(label=_("须持资质"), required=False,
                                      choices=[("", _("全部资质"))] + list(Qualification.choices))


class ShiftForm(forms.Form):
    caregiver = forms.ModelChoiceField(label=_("护理员"), queryset=None)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label=_("上班时间"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("下班时间"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    travel_mode = forms.ChoiceField(label=_("出行方式"), choices=TravelMode.choices, initial=TravelMode.EBIKE)
    start_kind = forms.ChoiceField(label=_("出发地点"), choices=PlaceKind.choices, initial=PlaceKind.HOME)
    start_facility = forms.ModelChoiceField(label=_("出发设施"), queryset=None, required=False)
    start_lat = forms.DecimalField(label=_("出发纬度"), required=False, max_digits=12, decimal_places=8)
    start_lng = forms.DecimalField(label=_("出发经度"), required=False, max_digits=12, decimal_places=8)
    end_kind = forms.ChoiceField(label=_("收工地点"), choices=PlaceKind.choices, initial=PlaceKind.HOME)
    end_facility = forms.ModelChoiceField(label=_("收工设施"), queryset=None, required=False)
    end_lat = forms.DecimalField(label=_("收工纬度"), required=False, max_digits=12, decimal_places=8)
    end_lng = forms.DecimalField(label=_("收工经度"), required=False, max_digits=12, decimal_places=8)
    lunch_minutes = forms.IntegerField(label=_("午休时长（分钟）"), required=False, min_value=0, max_value=180,
                                       help_text=_("留空则按政策参数的默认午休"))
    max_hours = forms.DecimalField(label=_("最长工作小时"), required=False, max_digits=4, decimal_places=2,
                                   help_text=_("留空则按每日上限"))
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caregiver"].queryset = selectors.caregivers_for(user)
        facilities = selectors.facilities_for(user)
        self.fields["start_facility"].queryset = facilities
        self.fields["end_facility"].queryset = facilities


class MoveForm(forms.Form):
    work_order = forms.IntegerField(label=pgettext_lazy("one item", "工单"), min_value=1)
    shift = forms.IntegerField(label=_("移到"), required=False, min_value=1,
                               help_text=_("留空表示移出（不安排）"))
    position = forms.IntegerField(label=_("第几个上门"), required=False, min_value=1)


class ReplanForm(forms.Form):
    shift = forms.IntegerField(label=_("离岗的护理员班次"), min_value=1)
    off_from = forms.TimeField(label=_("自何时起离岗"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class PlaceForm(forms.Form):
    version = forms.CharField(max_length=40)
    allow_moving = forms.BooleanField(label=_("允许调整已发布的上门（重新排程）"), required=False)


class AssignForm(forms.Form):
    version = forms.CharField(max_length=40)
    work_order = forms.IntegerField(label=pgettext_lazy("one item", "工单"), min_value=1)
    shift = forms.IntegerField(label=_("护理员"), min_value=1)
    position = forms.IntegerField(label=_("第几个上门"), required=False, min_value=1)
    allow_moving = forms.BooleanField(label=_("允许调整已发布的上门"), required=False)
