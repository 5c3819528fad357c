"""Base page views: every list, detail, form and export narrows its queryset through visible_to."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import generic

from . import exports
from .isolation import visible_to
from .params import query_int
from .policy import MissingPolicyParameter
from .roles import has_capability, is_person
from .workflow import IllegalStep


class CapabilityRequiredMixin(LoginRequiredMixin):
    capability: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.capability is None or not has_capability(request.user, self.capability):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedQuerysetMixin(CapabilityRequiredMixin):
    """Objects outside the user's scope do not exist for them: lists omit them, details answer 404."""

    model = None

    def get_base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        return visible_to(self.request.user, self.get_base_queryset())


class ScopedListView(ScopedQuerysetMixin, generic.ListView):
    paginate_by = 25

    def get_paginate_by(self, queryset):
        # A page or a page size that is not a whole number within 64 bits is a 400 (core.params); a larger
        # page size is served as 200 rows, a page past the last one is Django's 404.
        if self.request.GET.get(self.page_kwarg) != "last":
            query_int(self.request.GET, self.page_kwarg, minimum=1)
        size = query_int(self.request.GET, "page_size", minimum=1, default=self.paginate_by)
        return min(size, 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        context["querystring"] = params.urlencode()
        return context


class ScopedDetailView(ScopedQuerysetMixin, generic.DetailView):
    pass


class ScopedCsvExportView(ScopedQuerysetMixin, generic.View):
    """Streams the visible rows as CSV (UTF-8 with BOM so spreadsheet programs read Chinese).

    Every export is recorded in the audit trail (who, what, filters, how many rows) before the first byte
    leaves, and every cell goes through the shared writer that neutralises spreadsheet formulas."""

    filename = "export.csv"
    header: list[str] = []

    def rows(self, queryset):
        raise NotImplementedError

    def filter_queryset(self, queryset):
        return queryset

    def row_count(self, queryset) -> int:
        """How many rows `rows` will give; a view whose rows are not one per queryset record says so here."""
        return queryset.count()

    def export_subject(self):
        """The one record an export is about (a plan, an application), if it is about one."""
        return None

    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        # Counted before streaming so that the trail holds the rows that were taken, even if the download
        # is then interrupted; the rows themselves are streamed, never held in memory all at once.
        header = [str(title) for title in self.header]
        exports.record_export(actor=request.user, what=self.model._meta.label_lower, rows=self.row_count(queryset),
                              fmt="csv",
                              request=request, subject=self.export_subject(), columns=header)

        class Echo:
            def write(self, value):
                return value

        writer = exports.SafeCsvWriter(Echo())

        def stream():
            yield "\ufeff"
            yield writer.writerow(header)
            for row in self.rows(queryset):
                yield writer.writerow(row)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


def bad_request(request, exception=None):
    """The 400 page: what was wrong with the request, in the reader's language (a query parameter that is not a
    usable number says so, see core.params); anything else gets the general sentence."""
    from django.shortcuts import render

    from .params import InvalidParameter

    message = exception.message if isinstance(exception, InvalidParameter) else ""
    return render(request, "400.html", {"message": message}, status=400)


# --- a service's refusal, shown to the person --------------------------------------------------------------------

# What a service refuses with, as opposed to a fault: each becomes a page or a message, never a 500.
REFUSALS = (ValidationError, IllegalStep, MissingPolicyParameter)


def apply_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: each message on the field it names (or on the whole form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def flash_error(request, error) -> None:
    """A refusal as messages on the next page (a bad input, a step the state does not allow, a permission)."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    elif isinstance(error, IllegalStep):
        messages.error(request, error.message)
    else:
        messages.error(request, str(error) or _("您没有执行此操作的权限。"))


def refused(request, error, *, back: str):
    """A refusal as a page in the reader's language: 409 for a step the state does not allow, 400 for bad input
    or a missing policy value (each problem listed); nothing was written. Anything else is raised again."""
    if isinstance(error, IllegalStep):
        problems, status = [error.message], 409
    elif isinstance(error, ValidationError):
        problems, status = [str(m) for m in error.messages], 400
    elif isinstance(error, MissingPolicyParameter):
        problems, status = [str(error)], 400
    else:
        raise error
    return render(request, "refused.html", {"problems": problems, "back": back, "person": is_person(request.user)},
                  status=status)
