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
            holidays=[e for e in entries if e.kind == "holiday"],
            workdays=[e for e in entries if e.kind == "workday"],
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
