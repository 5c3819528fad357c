"""Page forms. They only parse what was typed; the rules live in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.core.choices import Gender

from .models import AbsenceKind, OrderStatus, PlanStatus, StopReason, Weekday

BLANK = [("", "—")]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VISIT_ROWS = 8


def ltci_task_choices():
    from carecircle.catalog.models import ServiceItem

    return [(item.code, f"{item.code} {item.name}") for item in
            ServiceItem.objects.filter(is_active=True, category__in=["ltci_basic", "ltci_clinical"], unit="time")
            .order_by("code")]


class PlanSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("老人姓名或拼音")}))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + list(PlanStatus.choices))
    level = forms.ChoiceField(label=_("照护等级"), required=False, choices=BLANK + [(str(n), str(n)) for n in range(1, 7)])


class OrderSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("老人姓名或拼音")}))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + list(OrderStatus.choices))
    service_date = forms.DateField(label=_("服务日期"), required=False, widget=DATE)


class PreferencesForm(forms.Form):
    preferred_caregiver = forms.ModelChoiceField(label=_("指定护理员"), queryset=None, required=False)
    preferred_gender = forms.ChoiceField(label=_("护理员性别偏好"), required=False,
                                         choices=[("", _("不限"))] + list(Gender.choices))
    dialect = forms.CharField(label=_("方言"), required=False, max_length=50)
    serve_on_holidays = forms.BooleanField(label=_("法定节假日照常上门"), required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        from carecircle.providers.models import StaffMember

        staff = StaffMember.objects.filter(is_active=True)
        self.fields["preferred_caregiver"].queryset = (staff.filter(organisation=organisation)
                                                       if organisation is not None else staff.none())


class PlanGenerateForm(PreferencesForm):
    weekdays = forms.TypedMultipleChoiceField(label=_("希望上门的日子"), choices=Weekday.choices, coerce=int,
                                              required=False, widget=forms.CheckboxSelectMultiple,
                                              help_text=_("不够待遇次数时，系统在一周内均匀补足。"))
    window_start = forms.TimeField(label=_("希望时段开始"), initial="09:00", widget=TIME)
    window_end = forms.TimeField(label=_("希望时段结束"), initial="10:00", widget=TIME)
    items = forms.MultipleChoiceField(label=_("每次上门的服务项目"), required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = ltci_task_choices()


class VisitRowForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("星期"), choices=BLANK + list(Weekday.choices), coerce=int,
                                     empty_value=None, required=False)
    window_start = forms.TimeField(label=_("开始"), required=False, widget=TIME)
    window_end = forms.TimeField(label=_("结束"), required=False, widget=TIME)
    duration_minutes = forms.IntegerField(label=_("时长（分钟）"), required=False, min_value=1, max_value=600)
    fixed_time = forms.BooleanField(label=_("准时"), required=False)
    items = forms.MultipleChoiceField(label=_("服务项目"), required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 3}))

    def __init__(self, *args, task_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = task_choices

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return data.get("weekday") is None and not data.get("window_start") and not data.get("duration_minutes")


VisitFormSet = forms.formset_factory(VisitRowForm, extra=0, max_num=14, absolute_max=14)


class PlanEditForm(PreferencesForm):
    reason = forms.CharField(label=_("调整原因"), required=False, max_length=200)
    accept_self_pay = forms.BooleanField(label=_("已向老人或家属说明并确认超出待遇部分自费"), required=False)


class StopForm(forms.Form):
    reason = forms.ChoiceField(label=_("停止原因"), choices=StopReason.choices)
    on = forms.DateField(label=_("停止日期"), widget=DATE)
    explanation = forms.CharField(label=_("给老人和家属的说明"), required=False, max_length=300,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AbsenceKind.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("评价"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)],
                                   widget=forms.RadioSelect)
    comment = forms.CharField(label=_("想说的话"), required=False, max_length=300)


# The portal's ordering: step 1 chooses what and when; step 2 shows the price and confirms.
WINDOWS = {
    "morning": ("08:00", "12:00"),
    "afternoon": ("13:00", "17:00"),
}


class OrderChoiceForm(forms.Form):
    item = forms.ChoiceField(label=_("需要什么服务"), widget=forms.RadioSelect)
    service_date = forms.DateField(label=_("哪一天"), widget=DATE)
    window = forms.ChoiceField(label=_("什么时候"), widget=forms.RadioSelect,
                               choices=[("morning", _("上午 8:00–12:00")), ("afternoon", _("下午 13:00–17:00"))])
    note = forms.CharField(label=_("还想告诉服务人员的话"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = order_item_choices()


def order_item_choices():
    """The six kinds of help and the packages, the way the menu is usually shown (六助 first)."""
    from .selectors import orderable_services

    return orderable_services()
