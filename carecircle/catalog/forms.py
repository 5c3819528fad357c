"""Forms of the catalogue pages: search filters, item edits, contract prices, the quote calculator."""
from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.core.forms import DateInput
from carecircle.providers.models import Qualification

from .models import Category, HelpKind, Programme, ServiceItem
from .services import BASES

ACTIVE_CHOICES = [("1", _("仅启用")), ("0", _("仅停用")), ("", _("全部"))]


class ItemSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, widget=forms.TextInput(attrs={"placeholder": _("编码或名称")}))
    category = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部"))] + Category.choices)
    help_kind = forms.ChoiceField(label=_("六助类别"), required=False, choices=[("", _("全部"))] + HelpKind.choices)
    programme = forms.ChoiceField(label=_("资金渠道"), required=False, choices=[("", _("全部"))] + Programme.choices)
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": (data.get("q") or "").strip(), "category": data.get("category", ""),
                "help_kind": data.get("help_kind", ""), "programme": data.get("programme", ""),
                "active": data.get("active", "1") if self.is_bound else "1"}


class PackageSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)


class ItemEditForm(forms.ModelForm):
    reason = forms.CharField(label=_("修改原因"), max_length=200, help_text=_("记入审计日志"))

    class Meta:
        model = ServiceItem
        fields = ["name", "name_en", "category", "help_kind", "programme", "unit", "standard_minutes",
                  "required_qualification", "description", "is_active"]


class ItemCreateForm(ItemEditForm):
    code = forms.SlugField(label=_("项目编码"), max_length=40, help_text=_("小写字母、数字和连字符，如 sh-foot-care"))

    class Meta(ItemEditForm.Meta):
        fields = ["code", *ItemEditForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False


class ContractPriceForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("服务机构"), queryset=None)
    item = forms.ModelChoiceField(label=_("服务项目"), queryset=ServiceItem.objects.filter(is_active=True),
                                  to_field_name="code")
    unit_price = forms.DecimalField(label=_("单价（元）"), max_digits=10, decimal_places=2, min_value=0)
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput)
    effective_until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput)
    contract = forms.ModelChoiceField(label=_("服务合同"), queryset=None, required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, organisations, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["contract"].queryset = contracts


class PriceFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("服务机构"), queryset=None, required=False)
    item = forms.CharField(label=_("项目编码"), required=False)
    on = forms.DateField(label=_("有效日期"), required=False, widget=DateInput)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class FundingFilterForm(forms.Form):
    on = forms.DateField(label=_("日期"), required=False, widget=DateInput)


LINES = 4


class QuoteForm(forms.Form):
    elder = forms.IntegerField(label=_("老人档案编号"), min_value=1)
    on = forms.DateField(label=_("服务日期"), widget=DateInput)
    basis = forms.ChoiceField(label=_("计价依据"), choices=[(BASES[0], _("照护计划内（长护险）")),
                                                          (BASES[1], _("按需下单"))], initial=BASES[1])

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(item.code, f"{item.code} {item.name}") for item in items]
        for n in range(1, LINES + 1):
            self.fields[f"item_{n}"] = forms.ChoiceField(label=_("项目 %(n)d") % {"n": n}, choices=choices,
                                                         required=n == 1)
            self.fields[f"quantity_{n}"] = forms.DecimalField(label=_("数量 %(n)d") % {"n": n}, required=False,
                                                              max_digits=8, decimal_places=2, initial=1)

    def lines(self) -> list[tuple[str, object]]:
        result = []
        for n in range(1, LINES + 1):
            code = self.cleaned_data.get(f"item_{n}")
            if code:
                quantity = self.cleaned_data.get(f"quantity_{n}")
                result.append((code, quantity if quantity is not None else 1))
        return result

    def line_rows(self):
        return [(self[f"item_{n}"], self[f"quantity_{n}"]) for n in range(1, LINES + 1)]


QUALIFICATION_CHOICES = Qualification.choices
