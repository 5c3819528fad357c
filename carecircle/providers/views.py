"""Provider pages. Every object comes through visible_to (404 outside the user's scope); writes go
through the services, which decide who may change what (403) and what is valid (form errors)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import has_capability
from carecircle.core.views import ScopedCsvExportView, ScopedDetailView, ScopedListView

from . import selectors, services
from .forms import (
    CertificateForm, ContractForm, FacilityFilterForm, FacilityForm, OrganisationFilterForm, OrganisationForm,
    RevealForm, ServiceAreaForm, StaffFilterForm, StaffForm, apply_service_errors,
)
from .models import Certificate, Contract, Facility, Organisation, ServiceArea, StaffMember

WRITE_CAPABILITIES = ("providers.change", "providers.change_own")


def _may_write(user) -> bool:
    return any(has_capability(user, c) for c in WRITE_CAPABILITIES)


# --- organisations --------------------------------------------------------------------------------

class OrganisationListView(ScopedListView):
    capability = "providers.view"
    model = Organisation
    template_name = "providers/organisation_list.html"

    def get_queryset(self):
        form = self.filter_form = OrganisationFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.organisation_list(user=self.request.user, search=data.get("q", ""),
                                           kind=data.get("kind", ""), region_code=data.get("region", ""),
                                           active=data.get("active", ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["can_create"] = has_capability(self.request.user, "providers.change")
        return context


class OrganisationExportView(ScopedCsvExportView):
    capability = "providers.view"
    model = Organisation
    filename = "organisations.csv"
    header = [gettext_lazy("机构名称"), gettext_lazy("机构类型"), gettext_lazy("统一社会信用代码"),
              gettext_lazy("登记区域"), gettext_lazy("地址"), gettext_lazy("联系人"), gettext_lazy("联系电话"),
              gettext_lazy("在营"), gettext_lazy("从业人员"), gettext_lazy("设施")]

    def get_queryset(self):
        form = OrganisationFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.organisation_list(user=self.request.user, search=data.get("q", ""),
                                           kind=data.get("kind", ""), region_code=data.get("region", ""),
                                           active=data.get("active", ""))

    def rows(self, queryset):
        for org in queryset.iterator(chunk_size=500):
            yield [org.name, org.get_kind_display(), org.credit_code, org.region.name, org.address,
                   org.contact_name, org.contact_phone, _("是") if org.is_active else _("否"), org.staff_count,
                   org.facility_count]


class OrganisationDetailView(ScopedDetailView):
    capability = "providers.view"
    model = Organisation
    template_name = "providers/organisation_detail.html"
    context_object_name = "organisation"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, org = self.request.user, self.object
        context.update(
            facilities=selectors.organisation_facilities(user=user, organisation=org),
            service_areas=selectors.organisation_service_areas(user=user, organisation=org),
            contracts=selectors.organisation_contracts(user=user, organisation=org),
            staff_summary=selectors.organisation_staff_summary(user=user, organisation=org),
            can_manage=services.can_manage_own_facts(user, org),
            can_manage_district=services.can_manage_district_facts(user, org),
            service_area_form=ServiceAreaForm(user=user),
        )
        return context


# --- writing forms --------------------------------------------------------------------------------

class ServiceFormView(LoginRequiredMixin, generic.FormView):
    """A form on one scoped object (the URL's pk): 404 outside the user's scope, 403 without the right
    to change it; the service call validates and the page shows its messages next to the fields."""

    template_name = "providers/form.html"
    parent_model = Organisation
    district_only = False
    title = ""
    success_message = gettext_lazy("已保存。")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not _may_write(request.user):
            raise PermissionDenied
        self.parent = self.get_parent()
        organisation = self.organisation_of(self.parent)
        allowed = (services.can_manage_district_facts if self.district_only else services.can_manage_own_facts)
        if organisation is not None and not allowed(request.user, organisation):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_parent(self):
        if self.parent_model is None:
            return None
        return get_object_or_404(visible_to(self.request.user, self.parent_model), pk=self.kwargs["pk"])

    def organisation_of(self, parent):
        if parent is None:
            return None
        if isinstance(parent, Organisation):
            return parent
        if isinstance(parent, Certificate):
            return parent.staff.organisation
        return parent.organisation

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(self.extra_form_kwargs())
        return kwargs

    def extra_form_kwargs(self):
        return {}

    def service_values(self, form) -> dict:
        values = dict(form.cleaned_data)
        values.pop("reason", None)
        return values

    def form_valid(self, form):
        try:
            saved = self.save(form, reason=form.cleaned_data.get("reason", ""))
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.success_url_for(saved))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, parent=self.parent, cancel_url=self.cancel_url())
        return context

    def cancel_url(self):
        return self.parent.get_absolute_url() if hasattr(self.parent, "get_absolute_url") else \
            reverse("providers:list")


class OrganisationCreateView(ServiceFormView):
    form_class = OrganisationForm
    parent_model = None
    title = gettext_lazy("登记服务机构")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_capability(request.user, "providers.change"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def extra_form_kwargs(self):
        return {"user": self.request.user}

    def save(self, form, reason):
        return services.organisation_create(actor=self.request.user, reason=reason, **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:list")


class OrganisationUpdateView(ServiceFormView):
    form_class = OrganisationForm
    title = gettext_lazy("修改机构信息")

    def extra_form_kwargs(self):
        own_only = not services.can_manage_district_facts(self.request.user, self.parent)
        return {"user": self.request.user, "instance": Organisation.objects.get(pk=self.parent.pk),
                "own_only": own_only}

    def save(self, form, reason):
        return services.organisation_update(actor=self.request.user, organisation=self.parent, reason=reason,
                                            **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.pk])


class FacilityCreateView(ServiceFormView):
    form_class = FacilityForm
    title = gettext_lazy("新增养老服务设施")

    def extra_form_kwargs(self):
        return {"user": self.request.user, "organisation": self.parent}

    def save(self, form, reason):
        return services.facility_create(actor=self.request.user, organisation=self.parent, reason=reason,
                                        **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:facility-detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.pk])


class FacilityUpdateView(ServiceFormView):
    form_class = FacilityForm
    parent_model = Facility
    title = gettext_lazy("修改设施信息")

    def extra_form_kwargs(self):
        return {"user": self.request.user, "organisation": self.parent.organisation,
                "instance": Facility.objects.get(pk=self.parent.pk)}

    def save(self, form, reason):
        return services.facility_update(actor=self.request.user, facility=self.parent, reason=reason,
                                        **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:facility-detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:facility-detail", args=[self.parent.pk])


class ServiceAreaAddView(ServiceFormView):
    form_class = ServiceAreaForm
    district_only = True
    title = gettext_lazy("增加服务社区")

    def extra_form_kwargs(self):
        return {"user": self.request.user}

    def save(self, form, reason):
        return services.service_area_add(actor=self.request.user, organisation=self.parent, reason=reason,
                                         **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:detail", args=[self.parent.pk])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.pk])


class ServiceAreaRemoveView(ServiceFormView):
    """POST only (a button with data-confirm on the organisation page)."""

    parent_model = ServiceArea
    district_only = True
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        organisation_pk = self.parent.organisation_id
        services.service_area_remove(actor=request.user, service_area=self.parent,
                                     reason=request.POST.get("reason", ""))
        messages.success(request, _("已取消该社区的服务区域。"))
        return HttpResponseRedirect(reverse("providers:detail", args=[organisation_pk]))


class ContractCreateView(ServiceFormView):
    form_class = ContractForm
    district_only = True
    title = gettext_lazy("新增服务合同")

    def extra_form_kwargs(self):
        return {"user": self.request.user}

    def save(self, form, reason):
        return services.contract_create(actor=self.request.user, organisation=self.parent, reason=reason,
                                        **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:detail", args=[self.parent.pk])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.pk])


class ContractUpdateView(ServiceFormView):
    form_class = ContractForm
    parent_model = Contract
    district_only = True
    title = gettext_lazy("修改服务合同")

    def extra_form_kwargs(self):
        return {"user": self.request.user, "instance": Contract.objects.get(pk=self.parent.pk)}

    def save(self, form, reason):
        return services.contract_update(actor=self.request.user, contract=self.parent, reason=reason,
                                        **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:detail", args=[saved.organisation_id])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.organisation_id])


class StaffCreateView(ServiceFormView):
    form_class = StaffForm
    title = gettext_lazy("登记从业人员")

    def save(self, form, reason):
        return services.staff_create(actor=self.request.user, organisation=self.parent, reason=reason,
                                     **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:staff-detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:detail", args=[self.parent.pk])


class StaffUpdateView(ServiceFormView):
    form_class = StaffForm
    parent_model = StaffMember
    title = gettext_lazy("修改从业人员信息")

    def extra_form_kwargs(self):
        return {"instance": StaffMember.objects.get(pk=self.parent.pk)}

    def service_values(self, form):
        values = super().service_values(form)
        # Blank sensitive inputs mean "unchanged": the clear values are never put into the page.
        for name in ("id_number", "phone"):
            if not values.get(name):
                values.pop(name, None)
        return values

    def save(self, form, reason):
        return services.staff_update(actor=self.request.user, staff=self.parent, reason=reason,
                                     **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:staff-detail", args=[saved.pk])

    def cancel_url(self):
        return reverse("providers:staff-detail", args=[self.parent.pk])


class CertificateAddView(ServiceFormView):
    form_class = CertificateForm
    parent_model = StaffMember
    title = gettext_lazy("登记资质证书")

    def save(self, form, reason):
        return services.certificate_add(actor=self.request.user, staff=self.parent, reason=reason,
                                        **self.service_values(form))

    def success_url_for(self, saved):
        return reverse("providers:staff-detail", args=[self.parent.pk])

    def cancel_url(self):
        return reverse("providers:staff-detail", args=[self.parent.pk])


class CertificateRemoveView(ServiceFormView):
    parent_model = Certificate
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        staff_pk = self.parent.staff_id
        try:
            services.certificate_remove(actor=request.user, certificate=self.parent,
                                        reason=request.POST.get("reason", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("证书已删除。"))
        return HttpResponseRedirect(reverse("providers:staff-detail", args=[staff_pk]))


class StaffRevealView(ServiceFormView):
    """Shows one full number once, on its own page, after a reason has been given (audited)."""

    form_class = RevealForm
    parent_model = StaffMember
    template_name = "providers/staff_reveal.html"
    title = gettext_lazy("查看完整号码")

    def form_valid(self, form):
        try:
            value = services.staff_reveal(actor=self.request.user, staff=self.parent,
                                          field=form.cleaned_data["field"], reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form, revealed=value))

    def cancel_url(self):
        return reverse("providers:staff-detail", args=[self.parent.pk])


# --- facilities -----------------------------------------------------------------------------------

class FacilityListView(ScopedListView):
    capability = "providers.view"
    model = Facility
    template_name = "providers/facility_list.html"

    def get_queryset(self):
        form = self.filter_form = FacilityFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.facility_list(user=self.request.user, search=data.get("q", ""), kind=data.get("kind", ""),
                                       organisation_id=data.get("organisation", ""),
                                       region_code=data.get("region", ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        return context


class FacilityExportView(ScopedCsvExportView):
    capability = "providers.view"
    model = Facility
    filename = "facilities.csv"
    header = [gettext_lazy("设施名称"), gettext_lazy("设施类型"), gettext_lazy("运营机构"), gettext_lazy("所在社区"),
              gettext_lazy("地址"), gettext_lazy("床位数"), gettext_lazy("护理型床位数"),
              gettext_lazy("建筑面积（平方米）"), gettext_lazy("开放时间"), gettext_lazy("纬度"), gettext_lazy("经度")]

    def get_queryset(self):
        form = FacilityFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.facility_list(user=self.request.user, search=data.get("q", ""), kind=data.get("kind", ""),
                                       organisation_id=data.get("organisation", ""),
                                       region_code=data.get("region", ""))

    def rows(self, queryset):
        for f in queryset.iterator(chunk_size=500):
            yield [f.name, f.get_kind_display(), f.organisation.name, f.community.name, f.address, f.beds,
                   f.nursing_beds, f.floor_area_m2, f.opening_hours, f.lat, f.lng]


class FacilityDetailView(ScopedDetailView):
    capability = "providers.view"
    model = Facility
    template_name = "providers/facility_detail.html"
    context_object_name = "facility"

    def get_base_queryset(self):
        return Facility.objects.select_related("organisation", "community")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = services.can_manage_own_facts(self.request.user, self.object.organisation)
        return context


# --- staff ----------------------------------------------------------------------------------------

class StaffListView(ScopedListView):
    capability = "providers.view"
    model = StaffMember
    template_name = "providers/staff_list.html"

    def filter_values(self):
        organisations = visible_to(self.request.user, Organisation).order_by("name")
        form = self.filter_form = StaffFilterForm(self.request.GET or None, organisations=organisations)
        return form.cleaned_data if form.is_valid() else {}

    def get_queryset(self):
        data = self.filter_values()
        self.policy_missing = ""
        try:
            return selectors.staff_list(user=self.request.user, search=data.get("q", ""),
                                        organisation_id=data.get("organisation", ""),
                                        position=data.get("position", ""),
                                        qualification=data.get("qualification", ""),
                                        certificate=data.get("certificate", ""))
        except MissingPolicyParameter as missing:
            self.policy_missing = str(missing)
            return StaffMember.objects.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flags = {}
        if not self.policy_missing:
            try:
                flags = selectors.certificate_flags_for(staff_members=context["object_list"])
            except MissingPolicyParameter as missing:
                self.policy_missing = str(missing)
        context["rows"] = [(member, flags.get(member.pk)) for member in context["object_list"]]
        context.update(filter_form=self.filter_form, policy_missing=self.policy_missing)
        return context


class StaffExportView(ScopedCsvExportView):
    capability = "providers.view"
    model = StaffMember
    filename = "staff.csv"
    header = [gettext_lazy("姓名"), gettext_lazy("性别"), gettext_lazy("所属机构"), gettext_lazy("岗位"),
              gettext_lazy("身份证号（脱敏）"), gettext_lazy("手机号（脱敏）"), gettext_lazy("入职日期"),
              gettext_lazy("在职"), gettext_lazy("资质")]

    def get_queryset(self):
        organisations = visible_to(self.request.user, Organisation)
        form = StaffFilterForm(self.request.GET or None, organisations=organisations)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.staff_list(user=self.request.user, search=data.get("q", ""),
                                    organisation_id=data.get("organisation", ""), position=data.get("position", ""),
                                    qualification=data.get("qualification", ""),
                                    certificate=data.get("certificate", "")).prefetch_related("certificates")

    def rows(self, queryset):
        id_field, phone_field = StaffMember._meta.get_field("id_number"), StaffMember._meta.get_field("phone")
        for s in queryset:
            yield [s.name, s.get_gender_display(), s.organisation.name, s.get_position_display(),
                   id_field.mask(s.id_number), phone_field.mask(s.phone), s.hired_on or "",
                   _("是") if s.is_active else _("否"),
                   pgettext("list separator", "；").join(c.get_qualification_display() for c in s.certificates.all())]


class StaffDetailView(ScopedDetailView):
    capability = "providers.view"
    model = StaffMember
    template_name = "providers/staff_detail.html"
    context_object_name = "staff"

    def get_base_queryset(self):
        return StaffMember.objects.select_related("organisation__region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        staff = self.object
        try:
            context["certificates"] = selectors.staff_certificates(user=self.request.user, staff=staff,
                                                                   today=timezone.localdate())
        except MissingPolicyParameter as missing:
            context["policy_missing"] = str(missing)
            context["certificates"] = [(c, None) for c in visible_to(self.request.user, Certificate)
                                       .filter(staff=staff)]
        context.update(
            masked_id=StaffMember._meta.get_field("id_number").mask(staff.id_number),
            masked_phone=StaffMember._meta.get_field("phone").mask(staff.phone),
            can_manage=services.can_manage_own_facts(self.request.user, staff.organisation),
        )
        return context
