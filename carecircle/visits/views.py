"""Pages of the exceptions queue: the list per provider and per street, the detail with its evidence, and the
resolution and second-person approval (through the services)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView, ScopedListView
from carecircle.core.workflow import IllegalStep

from . import selectors, services
from .forms import ExceptionFilterForm, ResolveForm, ReturnForm
from .models import VisitEvent, VisitException
from .words import flag_sentence


class ExceptionListView(ScopedListView):
    capability = "visits.view"
    model = VisitException
    template_name = "visits/exceptions/list.html"

    def filter_form(self):
        from carecircle.providers.models import Organisation
        from carecircle.regions.models import Region

        user = self.request.user
        organisations = visible_to(user, Organisation).exclude(kind="assessment_agency").order_by("name")
        streets = visible_to(user, Region).filter(kind="street").order_by("code")
        return ExceptionFilterForm(self.request.GET or None, organisations=organisations, streets=streets)

    def get_base_queryset(self):
        form = self.filter_form()
        cleaned = form.cleaned_data if form.is_valid() else {}
        return selectors.exceptions_for(self.request.user, status=cleaned.get("status", ""),
                                        rule=cleaned.get("rule", ""), organisation=cleaned.get("organisation", ""),
                                        street=cleaned.get("street", ""), date_from=cleaned.get("date_from"),
                                        date_to=cleaned.get("date_to"))

    def get_queryset(self):
        return self.get_base_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form()
        context["rows"] = [(exception, flag_sentence(exception.flag) if exception.flag else "")
                           for exception in context["object_list"]]
        return context


class ExceptionDetailView(ScopedDetailView):
    capability = "visits.view"
    model = VisitException
    template_name = "visits/exceptions/detail.html"
    context_object_name = "exception"

    def get_base_queryset(self):
        return VisitException.objects.select_related("visit__elder__community", "visit__caregiver",
                                                     "visit__organisation", "visit__work_order", "flag",
                                                     "opened_by", "resolved_by", "approved_by")

    def get_context_data(self, **kwargs):
        from django.db.models import Q

        from carecircle.core.audit_display import action_label
        from carecircle.core.models import AuditEvent

        from .workflow import EXCEPTION_FLOW

        context = super().get_context_data(**kwargs)
        exception, user = self.object, self.request.user
        visit = exception.visit
        allowed = EXCEPTION_FLOW.allowed_actions(exception, user)
        second = exception.resolved_by_id != user.pk
        context.update(
            visit=visit,
            flags=[(flag, flag_sentence(flag)) for flag in visit.flags.all()],
            events=visit.events.all(),
            items=visit.items.select_related("item"),
            can_resolve="resolve" in allowed,
            can_approve="approve" in allowed and second,
            must_be_second="approve" in allowed and not second,
            resolve_form=ResolveForm(),
            return_form=ReturnForm(),
            trail=[(entry, action_label(entry.action)) for entry in AuditEvent.objects.filter(
                Q(subject_type="visits.visitexception", subject_id=str(exception.pk))
                | Q(subject_type="visits.visit", subject_id=str(visit.pk))).order_by("at", "id")],
        )
        return context


class ExceptionActionView(CapabilityRequiredMixin, generic.View):
    """Resolve, approve or return one exception; the services check the step and the second person."""

    capability = "visits.view"
    action = ""

    def post(self, request, pk: int):
        exception = get_object_or_404(visible_to(request.user, VisitException), pk=pk)
        try:
            if self.action == "resolve":
                form = ResolveForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("请选择原因和处理结果。"))
                    return redirect("visits:exception", pk=pk)
                data = form.cleaned_data
                services.exception_resolve(actor=request.user, exception=exception, reason_code=data["reason_code"],
                                           resolution_code=data["resolution_code"], note=data["note"],
                                           corrected_check_in=data["corrected_check_in"],
                                           corrected_check_out=data["corrected_check_out"])
                messages.success(request, _("已处理，等待另一人复核。"))
            elif self.action == "approve":
                services.exception_approve(actor=request.user, exception=exception)
                messages.success(request, _("已复核通过。"))
            elif self.action == "return":
                form = ReturnForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("请填写退回原因。"))
                    return redirect("visits:exception", pk=pk)
                services.exception_return(actor=request.user, exception=exception, reason=form.cleaned_data["reason"])
                messages.success(request, _("已退回重新处理。"))
            else:
                raise Http404
        except (ValidationError, PermissionDenied, IllegalStep) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text or _("您没有执行此操作的权限。"))
        return redirect("visits:exception", pk=pk)


class EventPhotoView(CapabilityRequiredMixin, generic.View):
    """The photo of one recorded event, for whoever may see the visit."""

    capability = "visits.view"

    def get(self, request, pk: int):
        from carecircle.core import uploads

        event = get_object_or_404(visible_to(request.user, VisitEvent).exclude(photo=""), pk=pk)
        extension = event.photo.name.rsplit(".", 1)[-1].lower()
        content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(extension, "")
        return uploads.file_response(event.photo, content_type=content_type, download_name=f"visit-{event.visit_id}.{extension}")
