"""The working-day calendar page: a year's statutory holidays and adjusted working days; the district adds
a new year's days from the State Council's notice."""
import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic

from .models import CalendarDayKind
from .roles import has_capability
from .services_calendar import calendar_day_set
from .views import CapabilityRequiredMixin
from .workdays import Calendar


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("节日名称"), max_length=40)
    source = forms.CharField(label=_("来源"), max_length=200,
                             help_text=_("如：国务院办公厅关于某年部分节假日安排的通知"))


# The festivals of the State Council's yearly notice, in the reader's language; a name entered by hand that is not
# one of them is shown as entered.
FESTIVALS = {
    "元旦": _("元旦"),
    "春节": _("春节"),
    "清明节": _("清明节"),
    "劳动节": _("劳动节"),
    "端午节": _("端午节"),
    "中秋节": _("中秋节"),
    "国庆节": _("国庆节"),
}


def festival_words(name: str) -> str:
    """'国庆节、中秋节' in the reader's language, festival by festival; anything else unchanged."""
    parts = [part.strip() for part in str(name).split("、")]
    if parts and all(part in FESTIVALS for part in parts):
        return ", ".join(str(FESTIVALS[part]) for part in parts) if len(parts) > 1 and not _chinese() \
            else "、".join(str(FESTIVALS[part]) for part in parts)
    return name


def _chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh-hans").startswith("zh")


def _with_words(entries):
    return [{"date": e.date, "name": festival_words(e.name), "source": e.source, "entered": e.entered}
            for e in entries]


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


class CalendarView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "calendar.view"
    template_name = "core/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year(self.request.GET.get("year"))
        calendar = Calendar.load()
        entries = calendar.year(year)
        context.update(
            year=year, entries=entries, has_data=calendar.has_data(year),
            holidays=_with_words(e for e in entries if e.kind == "holiday"),
            workdays=_with_words(e for e in entries if e.kind == "workday"),
            form=kwargs.get("form") or CalendarDayForm(initial={"date": dt.date(year, 1, 1)}),
            can_change=has_capability(self.request.user, "calendar.change"),
            years=sorted(calendar.years_with_data | {year}),
        )
        return context


class CalendarDayAddView(CapabilityRequiredMixin, generic.View):
    capability = "calendar.change"
    http_method_names = ["post"]

    def post(self, request):
        form = CalendarDayForm(request.POST)
        year = ""
        if form.is_valid():
            data = form.cleaned_data
            year = data["date"].year
            try:
                calendar_day_set(actor=request.user, date=data["date"], kind=data["kind"], name=data["name"],
                                 source=data["source"])
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("已登记 %(date)s") % {"date": data["date"]})
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return HttpResponseRedirect(reverse("core:calendar") + (f"?year={year}" if year else ""))
