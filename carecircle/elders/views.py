"""Registry pages. Views parse input, call a selector or a service, and render; no rules live here."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.models import Job
from carecircle.core.params import query_int
from carecircle.core.roles import has_capability, is_person
from carecircle.core.sensitive import mask_phone
from carecircle.core.views import (
    CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, apply_errors,
)

from . import importing, selectors, services
from .disclosure import identity_shown, shows_birth_date
from .forms import (
    ContactForm,
    ElderEditForm,
    ElderForm,
    ImportApplyForm,
    ImportUploadForm,
    MergeForm,
    RevealForm,
    SearchForm,
    StatusForm,
    UndoMergeForm,
)
from .models import Elder, ElderImport, ElderMerge


class BoundedPaginator(Paginator):
    """Counts at most COUNT_LIMIT rows; beyond that the page says "more than" and offers narrowing."""

    @cached_property
    def count(self):
        n, self.count_exact = selectors.bounded_count(self.object_list)
        return n

    count_exact = True


class ExactSearchLimitMixin:
    """Whole ID or phone number searches by people without the reveal permission are limited per hour: over
    the limit the page says so with 429 instead of answering whether the number is an elder's."""

    def get(self, request, *args, **kwargs):
        refusal = selectors.exact_search_refusal(request.user, request.GET.get("q", ""))
        if refusal is not None:
            response = render(request, "elders/search_limited.html", {"message": refusal.message}, status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        return super().get(request, *args, **kwargs)


class ElderPickView(CapabilityRequiredMixin, generic.TemplateView):
    """The results of an elder search inside another form (htmx): one radio button per elder in scope."""

    capability = "elders.view"
    template_name = "elders/_elder_pick.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        field = self.request.GET.get("field", "elder")
        field = field if field.isidentifier() and len(field) <= 40 else "elder"
        q = self.request.GET.get("elder_q", self.request.GET.get("q", ""))
        results, message = selectors.elder_pick(self.request.user, q)
        context.update(field=field, q=q, results=results, message=message, selected=None)
        return context


class ElderListView(ExactSearchLimitMixin, ScopedListView):
    model = Elder
    capability = "elders.view"
    paginator_class = BoundedPaginator

    @cached_property
    def search_form(self):
        return SearchForm(self.request.GET or None, user=self.request.user)

    def get_queryset(self):
        user = self.request.user
        if is_person(user):
            return visible_to(user, Elder).select_related("community").order_by("name", "id")
        return selectors.elder_search(user, self.request.GET.get("q", ""),
                                      selectors.ElderFilters.from_params(self.request.GET))

    def get_template_names(self):
        return ["elders/my_elders.html" if is_person(self.request.user) else "elders/elder_list.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["search_form"] = self.search_form
        context["count_exact"] = context["paginator"].count_exact if context.get("paginator") else True
        context["can_change"] = has_capability(self.request.user, "elders.change")
        context["can_import"] = has_capability(self.request.user, "elders.import")
        return context


class ElderExportView(ExactSearchLimitMixin, ScopedCsvExportView):
    model = Elder
    capability = "elders.view"
    filename = "elders.csv"

    @property
    def header(self):
        birth = _("出生日期") if shows_birth_date(self.request.user) else _("年龄")
        return [_("档案编号"), _("姓名"), _("性别"), birth, _("身份证号（脱敏）"), _("联系电话（脱敏）"),
                _("街道"), _("社区"), _("居住地址"), _("居住类型"), _("经济类别"), _("状态")]

    def get_queryset(self):
        return selectors.elder_search(self.request.user, self.request.GET.get("q", ""),
                                      selectors.ElderFilters.from_params(self.request.GET)) \
            .select_related("community__parent")

    def rows(self, queryset):
        full_birth_date, today = shows_birth_date(self.request.user), timezone.localdate()
        for elder in queryset.iterator(chunk_size=2000):
            shown = identity_shown(self.request.user, elder, today=today, full_birth_date=full_birth_date)
            yield [elder.pk, elder.name, elder.get_gender_display(),
                   shown.birth_date.isoformat() if shown.birth_date else shown.age,
                   shown.id_number_masked, mask_phone(elder.phone), elder.community.parent.name,
                   elder.community.name, elder.address, elder.get_household_type_display(),
                   elder.get_economic_category_display(), elder.get_status_display()]


class ElderDetailView(ScopedDetailView):
    model = Elder
    capability = "elders.view"

    def get_base_queryset(self):
        return Elder.objects.select_related("community__parent", "merged_into")

    def get_template_names(self):
        return ["elders/my_elder_detail.html" if is_person(self.request.user) else "elders/elder_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, elder = self.request.user, self.object
        context.update({
            "contacts": selectors.elder_contacts(user, elder),
            "merges": selectors.elder_merges(user, elder),
            "can_change": has_capability(user, "elders.change") and elder.status != "merged",
            "can_reveal": has_capability(user, "elders.reveal"),
            "can_merge": has_capability(user, "elders.merge"),
            "status_form": StatusForm(initial={"status_date": timezone.localdate()}),
            "reveal_id_form": RevealForm(initial={"field": "id_number"}, auto_id="reveal_id_%s"),
            "reveal_phone_form": RevealForm(initial={"field": "phone"}, auto_id="reveal_phone_%s"),
            "phone_masked": mask_phone(elder.phone),
            "age": elder_age(elder),
            **selectors.elder_timeline(user, elder, shown=self.request.GET.get("story")),
        })
        return context


def elder_age(elder) -> int:
    from .identity import age_on

    return age_on(elder.birth_date, timezone.localdate())


class ElderCreateView(CapabilityRequiredMixin, generic.FormView):
    capability = "elders.change"
    form_class = ElderForm
    template_name = "elders/elder_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            elder = services.elder_create(actor=self.request.user, data=form.service_data())
        except services.DuplicateElderError as exc:
            apply_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, duplicate_url=exc.url))
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已为 %(name)s 建档。") % {"name": elder.name})
        return redirect("elders:detail", elder.pk)


class ScopedElderMixin(CapabilityRequiredMixin):
    """Loads the elder from the URL through visible_to: another scope's elder is a 404."""

    @cached_property
    def elder(self) -> Elder:
        return get_object_or_404(visible_to(self.request.user, Elder).select_related("community"),
                                 pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        # Whatever the request carries, an elder outside the scope answers 404 (after the 403 check).
        if request.user.is_authenticated and self.capability and has_capability(request.user, self.capability):
            self.elder  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


class ElderEditView(ScopedElderMixin, generic.FormView):
    capability = "elders.change"
    form_class = ElderEditForm
    template_name = "elders/elder_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "editing": self.elder}

    def get_initial(self):
        e = self.elder
        return {"name": e.name, "gender": e.gender, "birth_date": e.birth_date, "community": e.community,
                "address": e.address, "lat": e.lat, "lng": e.lng, "household_type": e.household_type,
                "registration": e.registration, "economic_category": e.economic_category,
                "has_disability_certificate": e.has_disability_certificate,
                "disability_certificate_number": e.disability_certificate_number,
                "chronic_conditions": pgettext("list separator", "、").join(e.chronic_conditions or [])}

    def get_context_data(self, **kwargs):
        return super().get_context_data(elder=self.elder, **kwargs)

    def form_valid(self, form):
        try:
            services.elder_update(actor=self.request.user, elder=self.elder, data=form.service_data())
        except services.DuplicateElderError as exc:
            apply_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, duplicate_url=exc.url))
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("档案已保存。"))
        return redirect("elders:detail", self.elder.pk)


class ElderStatusView(ScopedElderMixin, generic.View):
    capability = "elders.change"

    def post(self, request, pk):
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                services.elder_change_status(actor=request.user, elder=self.elder, status=form.cleaned_data["status"],
                                             on=form.cleaned_data["status_date"], reason=form.cleaned_data["reason"])
                messages.success(request, _("状态已更新。"))
                return redirect("elders:detail", pk)
            except ValidationError as exc:
                apply_errors(form, exc)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("elders:detail", pk)


class ElderRevealView(ScopedElderMixin, generic.View):
    """Shows the clear value once, in answer to a reasoned request; htmx swaps it into the page."""

    capability = "elders.reveal"

    def post(self, request, pk):
        form = RevealForm(request.POST, auto_id=f"reveal_{request.POST.get('field', '')}_%s")
        value = None
        if form.is_valid():
            try:
                value = services.elder_reveal(actor=request.user, elder=self.elder, field=form.cleaned_data["field"],
                                              reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_errors(form, exc)
        is_id = request.POST.get("field") == "id_number"
        context = {"elder": self.elder, "form": form, "value": value,
                   "field_label": _("身份证号") if is_id else _("联系电话"),
                   "reveal_target": "reveal-id" if is_id else "reveal-phone"}
        status = 200 if value is not None else 400
        if request.headers.get("HX-Request"):
            return render(request, "elders/_reveal.html", context, status=status)
        return render(request, "elders/reveal_page.html", context, status=status)


class ContactFormView(ScopedElderMixin, generic.FormView):
    capability = "elders.change"
    form_class = ContactForm
    template_name = "elders/contact_form.html"

    @cached_property
    def contact(self):
        if "contact_pk" not in self.kwargs:
            return None
        return get_object_or_404(selectors.elder_contacts(self.request.user, self.elder), pk=self.kwargs["contact_pk"])

    def get_initial(self):
        c = self.contact
        if c is None:
            return {"priority": self.elder.contacts.count() + 1}
        return {"name": c.name, "relation": c.relation, "phone": c.phone, "holds_key": c.holds_key,
                "priority": c.priority}

    def get_context_data(self, **kwargs):
        return super().get_context_data(elder=self.elder, contact=self.contact, **kwargs)

    def form_valid(self, form):
        try:
            if self.contact is None:
                services.emergency_contact_add(actor=self.request.user, elder=self.elder, data=form.cleaned_data)
            else:
                services.emergency_contact_update(actor=self.request.user, contact=self.contact, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("紧急联系人已保存。"))
        return redirect("elders:detail", self.elder.pk)


class ContactRemoveView(ScopedElderMixin, generic.View):
    capability = "elders.change"

    def post(self, request, pk, contact_pk):
        contact = get_object_or_404(selectors.elder_contacts(request.user, self.elder), pk=contact_pk)
        services.emergency_contact_remove(actor=request.user, contact=contact)
        messages.success(request, _("已删除紧急联系人 %(name)s。") % {"name": contact.name})
        return redirect("elders:detail", pk)


class ElderMergeView(ScopedElderMixin, generic.FormView):
    """Step 1 names the other record; step 2 shows both side by side and asks for confirmation."""

    capability = "elders.merge"
    form_class = MergeForm
    template_name = "elders/merge.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method == "GET" and "other" in self.request.GET:
            kwargs["data"] = self.request.GET
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(elder=self.elder, **kwargs)
        form = context["form"]
        if form.is_bound and form.is_valid():
            other = visible_to(self.request.user, Elder).filter(pk=form.cleaned_data["other"]).first()
            if other is None:
                form.add_error("other", _("找不到该编号的档案，或它不在您的管辖范围内"))
            elif other.pk == self.elder.pk:
                form.add_error("other", _("不能把档案合并到它自己"))
            else:
                context["other"] = other
        return context

    def form_valid(self, form):
        if "confirm" not in self.request.POST:
            return self.render_to_response(self.get_context_data(form=form))
        other = visible_to(self.request.user, Elder).filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            form.add_error("other", _("找不到该编号的档案，或它不在您的管辖范围内"))
            return self.form_invalid(form)
        survivor, duplicate = (other, self.elder) if form.cleaned_data["keep"] == "other" else (self.elder, other)
        try:
            services.elder_merge(actor=self.request.user, survivor=survivor, duplicate=duplicate,
                                 reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已合并：档案 %(d)s 并入 %(s)s，可在保留档案页撤销。")
                         % {"d": duplicate.pk, "s": survivor.pk})
        return redirect("elders:detail", survivor.pk)


class MergeUndoView(CapabilityRequiredMixin, generic.View):
    capability = "elders.merge"

    def post(self, request, merge_pk):
        merge = get_object_or_404(visible_to(request.user, ElderMerge), pk=merge_pk)
        form = UndoMergeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写撤销原因。"))
            return redirect("elders:detail", merge.survivor_id)
        try:
            services.elder_merge_undo(actor=request.user, merge=merge, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("elders:detail", merge.survivor_id)
        messages.success(request, _("已撤销合并，档案 %(pk)s 恢复。") % {"pk": merge.merged_id})
        return redirect("elders:detail", merge.merged_id)


# --- bulk import -----------------------------------------------------------------------------------------

class ImportUploadView(CapabilityRequiredMixin, generic.FormView):
    capability = "elders.import"
    form_class = ImportUploadForm
    template_name = "elders/import_upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = importing.COLUMNS
        context["recent"] = visible_to(self.request.user, ElderImport).filter(created_by=self.request.user)[:10]
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            elder_import = services.elder_import_preview(actor=self.request.user, filename=upload.name,
                                                         content=upload.read())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
            return self.form_invalid(form)
        return redirect("elders:import-preview", elder_import.pk)


class ScopedImportMixin(CapabilityRequiredMixin):
    capability = "elders.import"

    @cached_property
    def elder_import(self) -> ElderImport:
        return get_object_or_404(visible_to(self.request.user, ElderImport), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_capability(request.user, self.capability):
            self.elder_import  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


class ImportPreviewView(ScopedImportMixin, generic.TemplateView):
    template_name = "elders/import_preview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.elder_import.preview
        rows = preview.get("rows", [])
        show = self.request.GET.get("show", "problems")
        shown = rows if show == "all" else [r for r in rows if not r["valid"]]
        page = Paginator(shown, 100).get_page(query_int(self.request.GET, "page", default=1))
        context.update({"elder_import": self.elder_import, "preview": preview, "page_obj": page,
                        "show": show, "form": kwargs.get("form") or ImportApplyForm(),
                        "querystring": f"show={show}"})
        return context

    def post(self, request, pk):
        if request.POST.get("action") == "discard":
            try:
                services.elder_import_discard(actor=request.user, elder_import=self.elder_import)
                messages.info(request, _("已放弃这个文件，没有写入任何档案。"))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect("elders:import")
        form = ImportApplyForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            services.elder_import_start(actor=request.user, elder_import=self.elder_import,
                                        mode=form.cleaned_data["mode"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("elders:import-preview", pk)
        return redirect("elders:import-progress", pk)


class ImportProgressView(ScopedImportMixin, generic.TemplateView):
    """The page polls itself through htmx until the job has finished."""

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["elders/_import_progress.html"]
        return ["elders/import_progress.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.elder_import.refresh_from_db()
        job = self.elder_import.job
        if job is None:
            raise Http404
        job = Job.objects.get(pk=job.pk)
        context.update({"elder_import": self.elder_import, "job": job,
                        "finished": job.status in ("done", "failed"),
                        "report": self.elder_import.report})
        return context


class ImportTemplateView(CapabilityRequiredMixin, generic.View):
    capability = "elders.import"

    def get(self, request, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        if fmt == "xlsx":
            response = HttpResponse(importing.template_xlsx(),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        else:
            response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="elder-import-template.{fmt}"'
        return response

