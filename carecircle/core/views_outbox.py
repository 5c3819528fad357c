"""Consequences across apps that are not delivered yet: the district sees each failed event with its error
and the next attempt, and may have it tried again at once."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from . import events, selectors
from .models import OutboxEvent
from .roles import has_capability
from .views import ScopedListView, ScopedQuerysetMixin


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("范围"), required=False, choices=[
        ("failed", _("投递失败")), ("pending", _("尚未投递")), ("all", _("全部"))])

    def chosen_state(self) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["state"] or "failed"
        return "failed"


class OutboxListView(ScopedListView):
    capability = "audit.view"
    model = OutboxEvent
    template_name = "core/outbox_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = OutboxFilterForm(self.request.GET or None)
        return selectors.outbox_events(user=self.request.user, state=self.filter_form.chosen_state())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["can_retry"] = has_capability(self.request.user, "policy.change")
        return context


class OutboxRetryView(ScopedQuerysetMixin, generic.View):
    capability = "policy.change"
    model = OutboxEvent
    http_method_names = ["post"]

    def post(self, request, pk):
        event = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            events.retry_now(event=event, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已安排立即重新投递事件 #%(pk)s") % {"pk": event.pk})
        return HttpResponseRedirect(reverse("core:outbox-list"))
