import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.core.validators import MonthField

from .models import Category, Channel, ComplaintStatus, Outcome, ReturnVisitReason, ReturnVisitStatus


def _blank(choices, label=_("全部")):
    return [("", label), *choices]


class ComplaintSearchForm(forms.Form):
    q = forms.CharField(label=_("老人姓名、编号或内容"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(ComplaintStatus.choices))
    channel = forms.ChoiceField(label=_("来源渠道"), required=False, choices=_blank(Channel.choices))
    category = forms.ChoiceField(label=_("投诉类别"), required=False, choices=_blank(Category.choices))
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices, widget=forms.RadioSelect)
    summary = forms.CharField(label=_("投诉内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    organisation = forms.ModelChoiceField(label=_("被投诉的服务机构"), queryset=None, required=False,
                                          empty_label=_("不清楚 / 不针对某家机构"))
    work_order = forms.ModelChoiceField(label=_("哪一次上门服务"), queryset=None, required=False,
                                        empty_label=_("不针对某一次上门"))
    caregiver = forms.ModelChoiceField(label=_("哪一位护理员"), queryset=None, required=False,
                                       empty_label=_("不针对某一位护理员"))
    complainant = forms.CharField(label=_("投诉人姓名及与老人关系"), max_length=50, required=False)
    channel = forms.ChoiceField(label=_("来源渠道"), choices=[c for c in Channel.choices if c[0] != "return_visit"],
                                required=False)

    def __init__(self, *args, elder, person: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from carecircle.providers.models import StaffMember
        from carecircle.workorders.models import WorkOrder

        from .services import organisations_for

        organisations = organisations_for(elder)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].label_from_instance = lambda o: o.name
        since = timezone.localdate() - dt.timedelta(days=90)
        self.fields["work_order"].queryset = (WorkOrder.objects.filter(elder=elder, status__in=("started", "done"),
                                                                       date__gte=since)
                                              .select_related("organisation").order_by("-date", "-window_start"))
        self.fields["work_order"].label_from_instance = lambda w: (
            f"{w.date:%Y-%m-%d} {w.window_start:%H:%M} {w.organisation.name}")
        self.fields["caregiver"].queryset = StaffMember.objects.filter(organisation__in=organisations).order_by("name")
        self.fields["caregiver"].label_from_instance = lambda s: f"{s.name}（{s.organisation.name}）"
        if person:
            del self.fields["channel"]
            del self.fields["caregiver"]


class AcceptForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("转交的服务机构"), queryset=None, required=False)
    note = forms.CharField(label=_("说明"), max_length=2000, required=False)

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import organisations_for

        self.fields["organisation"].queryset = organisations_for(complaint.elder)
        self.fields["organisation"].label_from_instance = lambda o: o.name
        if complaint.organisation_id:
            del self.fields["organisation"]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


SATISFIED_CHOICES = [("yes", _("满意")), ("no", _("不满意")), ("", _("未表态"))]


class CloseForm(forms.Form):
    satisfied = forms.ChoiceField(label=_("投诉人对答复是否满意"), choices=SATISFIED_CHOICES, required=False,
                                  widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), max_length=2000, required=False)


class ReturnVisitSearchForm(forms.Form):
    q = forms.CharField(label=_("老人姓名"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(ReturnVisitStatus.choices))
    reason = forms.ChoiceField(label=_("回访原因"), required=False, choices=_blank(ReturnVisitReason.choices))


class ReturnVisitCallForm(forms.Form):
    outcome = forms.ChoiceField(label=_("这次通话"), choices=Outcome.choices, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label=_("老人的满意度（联系上时填写）"), required=False, widget=forms.RadioSelect,
                                     choices=[(str(n), label) for n, label in (
                                         (5, _("5 非常满意")), (4, _("4 满意")), (3, _("3 一般")),
                                         (2, _("2 不满意")), (1, _("1 非常不满意")))])
    notes = forms.CharField(label=_("老人说了什么"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))


class ScorecardForm(forms.Form):
    month = MonthField(label=_("月份"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
