"""Catalogue pages for the district: items, packages, contract prices, funding rules and a quote calculator.
Views parse input, call a selector or a service, and render; no rules live here."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.params import query_id
from carecircle.core.policy import parameter_in_force, specs
from carecircle.core.roles import has_capability
from carecircle.core.views import (
    CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, apply_errors,
)
from carecircle.elders.models import EconomicCategory, Elder
from carecircle.providers.models import Contract, Organisation, Qualification
from carecircle.regions.selectors import scope_root

from . import selectors, services
from .forms import (
    ContractPriceForm, FundingFilterForm, ItemCreateForm, ItemEditForm, ItemSearchForm, PackageSearchForm, PriceFilterForm, QuoteForm,
)
from .models import ContractPrice, ServiceItem, ServicePackage
from .rules import percent


class CatalogPageMixin:
    """Adds what the catalogue's tab bar needs."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_quote"] = has_capability(self.request.user, "catalog.quote")
        return context


def _pricing_region(user):
    """The region whose policy values the pages show: the user's scope root, else the district of their
    organisation, else the first district."""
    from carecircle.regions.models import Region

    region = scope_root(user)
    if region is None and getattr(user, "organisation_id", None):
        region = user.organisation.region
    return region or Region.objects.filter(kind="district").order_by("code").first()


class ItemListView(CatalogPageMixin, ScopedListView):
    model = ServiceItem
    capability = "catalog.view"
    template_name = "catalog/item_list.html"
    paginate_by = 50

    @cached_property
    def search_form(self):
        return ItemSearchForm(self.request.GET or None)

    def get_queryset(self):
        return selectors.service_items(self.request.user, **self.search_form.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(search_form=self.search_form, can_change=has_capability(self.request.user, "catalog.change"),
                       count_exact=True)
        return context


class ItemExportView(ScopedCsvExportView):
    model = ServiceItem
    capability = "catalog.view"
    filename = "service-items.csv"

    @property
    def header(self):
        return [_("项目编码"), _("项目名称"), _("英文名称"), _("类别"), _("六助类别"), _("适用资金渠道"), _("计价单位"),
                _("标准时长（分钟）"), _("服务人员须持资质"), _("启用")]

    def get_queryset(self):
        return selectors.service_items(self.request.user, **ItemSearchForm(self.request.GET or None).filters())

    def rows(self, queryset):
        for item in queryset:
            yield [item.code, item.name, item.name_en, item.get_category_display(), item.get_help_kind_display(),
                   item.programme, item.get_unit_display(), item.standard_minutes,
                   item.get_required_qualification_display(), _("是") if item.is_active else _("否")]


class ItemDetailView(CatalogPageMixin, ScopedDetailView):
    model = ServiceItem
    capability = "catalog.view"
    template_name = "catalog/item_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, item = self.request.user, self.object
        region = _pricing_region(user)
        on = timezone.localdate()
        price = None
        if region is not None:
            try:
                price_value, rule = services.item_unit_price(item, region=region, on=on, provider=None)
                from .rules import describe

                price = {"value": price_value, "rule": describe(rule)}
            except ValidationError as error:
                price = {"error": " ".join(error.messages)}
        context.update(
            region=region, on=on, price=price, packages=item.packages.all(),
            contract_prices=selectors.contract_prices(user, item_code=item.code)[:50],
            can_change=has_capability(user, "catalog.change"))
        return context


class ItemEditView(CatalogPageMixin, CapabilityRequiredMixin, generic.FormView):
    capability = "catalog.change"
    model = ServiceItem
    template_name = "catalog/item_form.html"
    form_class = ItemEditForm

    @cached_property
    def item(self):
        return get_object_or_404(visible_to(self.request.user, ServiceItem), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = ServiceItem.objects.get(pk=self.item.pk)
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(item=self.item, **kwargs)

    def form_valid(self, form):
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.service_item_update(item=self.item, actor=self.request.user, reason=form.cleaned_data["reason"],
                                         **values)
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("服务项目 %(code)s 已保存") % {"code": self.item.code})
        return redirect("catalog:item-detail", pk=self.item.pk)


class ItemCreateView(CatalogPageMixin, CapabilityRequiredMixin, generic.FormView):
    capability = "catalog.change"
    template_name = "catalog/item_form.html"
    form_class = ItemCreateForm

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            item = services.service_item_create(actor=self.request.user, reason=reason, **data)
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("服务项目 %(code)s 已保存") % {"code": item.code})
        return redirect("catalog:item-detail", pk=item.pk)


class PackageListView(CatalogPageMixin, ScopedListView):
    model = ServicePackage
    capability = "catalog.view"
    template_name = "catalog/package_list.html"

    @cached_property
    def search_form(self):
        return PackageSearchForm(self.request.GET or None)

    def get_queryset(self):
        data = self.search_form.cleaned_data if self.search_form.is_valid() else {}
        return selectors.service_packages(self.request.user, q=(data.get("q") or "").strip(),
                                          active=data.get("active", "1") if self.search_form.is_bound else "1")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region, on = _pricing_region(self.request.user), timezone.localdate()
        prices = {}
        if region is not None:
            row = parameter_in_force("catalog.package.price", region=region, on=on)
            prices = row.value if row is not None else {}
        for package in context["object_list"]:
            package.price_in_force = prices.get(package.code)
        context.update(search_form=self.search_form, count_exact=True, region=region)
        return context


class PackageDetailView(CatalogPageMixin, ScopedDetailView):
    model = ServicePackage
    capability = "catalog.view"
    template_name = "catalog/package_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region, on = _pricing_region(self.request.user), timezone.localdate()
        row = parameter_in_force("catalog.package.price", region=region, on=on) if region is not None else None
        context.update(region=region, on=on, price=(row.value.get(self.object.code) if row else None), price_row=row,
                       lines=self.object.lines.select_related("item"))
        return context


class ContractPriceListView(CatalogPageMixin, ScopedListView):
    model = ContractPrice
    capability = "catalog.view"
    template_name = "catalog/price_list.html"

    @cached_property
    def filter_form(self):
        return PriceFilterForm(self.request.GET or None,
                               organisations=visible_to(self.request.user, Organisation).order_by("name"))

    def get_queryset(self):
        data = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        organisation = data.get("organisation")
        return selectors.contract_prices(self.request.user, organisation_id=organisation.pk if organisation else None,
                                         item_code=(data.get("item") or "").strip(), on=data.get("on"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(filter_form=self.filter_form, count_exact=True,
                       can_change=has_capability(self.request.user, "catalog.change"))
        return context


class ContractPriceExportView(ScopedCsvExportView):
    model = ContractPrice
    capability = "catalog.view"
    filename = "contract-prices.csv"

    @property
    def header(self):
        return [_("服务机构"), _("服务合同"), _("项目编码"), _("项目名称"), _("单价（元）"), _("生效日期"), _("截止日期"),
                _("备注")]

    def get_queryset(self):
        return selectors.contract_prices(self.request.user)

    def rows(self, queryset):
        for row in queryset:
            yield [row.organisation.name, row.contract.number if row.contract else "", row.item.code, row.item.name,
                   f"{row.unit_price:.2f}", row.effective_from.isoformat(),
                   row.effective_until.isoformat() if row.effective_until else "", row.note]


class ContractPriceCreateView(CatalogPageMixin, CapabilityRequiredMixin, generic.FormView):
    capability = "catalog.change"
    template_name = "catalog/price_form.html"

    def get_form(self, form_class=None):
        user = self.request.user
        return ContractPriceForm(self.request.POST or None,
                                 organisations=visible_to(user, Organisation).exclude(kind="assessment_agency")
                                 .order_by("name"),
                                 contracts=visible_to(user, Contract).select_related("organisation"))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.contract_price_set(actor=self.request.user, organisation=data["organisation"], item=data["item"],
                                        unit_price=data["unit_price"], effective_from=data["effective_from"],
                                        effective_until=data.get("effective_until"), contract=data.get("contract"),
                                        note=data.get("note", ""))
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("协议价格已录入"))
        return redirect("catalog:price-list")


class FundingRulesView(CatalogPageMixin, CapabilityRequiredMixin, generic.TemplateView):
    """Who pays what: entitlements by care level, fund shares, subsidies by category, hourly prices."""

    capability = "catalog.view"
    template_name = "catalog/funding.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FundingFilterForm(self.request.GET or None)
        on = (form.cleaned_data.get("on") if form.is_valid() else None) or timezone.localdate()
        region = _pricing_region(self.request.user)
        context.update(form=form, on=on, region=region)
        if region is None:
            return context

        def row(key):
            found = parameter_in_force(key, region=region, on=on)
            return {"key": key, "spec": specs()[key], "row": found, "value": found.value if found else None}

        try:
            levels = selectors.entitlement_table(region=region, on=on)
        except ValidationError as error:
            levels, context["levels_error"] = [], " ".join(error.messages)
        shares = row("gov_purchase.subsidy_share")
        budgets = row("gov_purchase.monthly_budget")
        categories = [{"label": label, "share": percent(shares["value"][value])
                       if shares["value"] and value in shares["value"] else None,
                       "budget": (budgets["value"] or {}).get(value)} for value, label in EconomicCategory.choices]
        hourly = row("catalog.price.hourly_by_qualification")
        qualification_labels = dict(Qualification.choices)
        hourly_rows = [{"key": key, "label": qualification_labels.get(key, _("不限资质")), "price": price}
                       for key, price in (hourly["value"] or {}).items()]
        fund_rows = [row("ltci.home.fund_share"), row("ltci.institution.fund_share")]
        for entry in fund_rows:
            entry["percent"] = percent(entry["value"]) if entry["value"] is not None else None
        context.update(
            levels=levels, categories=categories, shares=shares, budgets=budgets, hourly=hourly,
            hourly_rows=hourly_rows, fund_rows=fund_rows,
            bonus=[row("ltci.home.continuity_bonus.hours_per_month"), row("ltci.home.continuity_bonus.cash_per_month"),
                   row("ltci.home.continuity_bonus.first_tier_months")],
            care_subsidy=[row("benefits.care_subsidy.monthly.min_living"),
                          row("benefits.care_subsidy.monthly.low_income")],
            item_prices=row("catalog.price.item"), package_prices=row("catalog.package.price"),
        )
        return context


class QuoteCalculatorView(CatalogPageMixin, CapabilityRequiredMixin, generic.FormView):
    """Staff price a visit or order for an elder in their scope and see who pays which part, and why."""

    capability = "catalog.quote"
    template_name = "catalog/quote.html"

    def get_form(self, form_class=None):
        items = ServiceItem.objects.filter(is_active=True).order_by("category", "sort_order", "code")
        data = self.request.POST if self.request.method == "POST" else None
        initial = {"on": timezone.localdate()}
        elder = query_id(self.request.GET, "elder")
        if elder is not None:
            initial["elder"] = elder
        return QuoteForm(data, items=items, initial=initial)

    def form_valid(self, form):
        data = form.cleaned_data
        elder = visible_to(self.request.user, Elder).filter(pk=data["elder"]).first()
        if elder is None:
            form.add_error("elder", _("在您的管辖范围内没有编号为 %(id)s 的老人档案") % {"id": data["elder"]})
            return self.form_invalid(form)
        try:
            result = services.quote(elder=elder, on=data["on"], lines=form.lines(), basis=data["basis"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form, result=result, elder=elder))
