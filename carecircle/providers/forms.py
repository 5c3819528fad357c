"""Provider forms collect input; the services decide what is valid and say why."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecircle.regions.models import RegionKind
from carecircle.regions.selectors import regions_in_scope

from .models import (
    Certificate, Contract, ContractStatus, Facility, FacilityKind, Organisation, OrganisationKind, Qualification,
    StaffMember, StaffPosition,
)


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class DateInput(forms.DateInput):
    input_type = "date"


class ReasonField(forms.CharField):
    def __init__(self, required=False, **kwargs):
        super().__init__(label=_("原因/说明"), required=required, max_length=500,
                         widget=forms.TextInput(attrs={"placeholder": _("记入审计日志")}), **kwargs)


class OrganisationForm(forms.ModelForm):
    reason = ReasonField()

    class Meta:
        model = Organisation
        fields = ["name", "kind", "credit_code", "region", "parent", "address", "contact_name", "contact_phone",
                  "is_active"]

    def __init__(self, *args, user, own_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_in_scope(user=user, kinds=[RegionKind.DISTRICT, RegionKind.STREET,
                                                                            RegionKind.COMMUNITY])
        from carecircle.core.isolation import visible_to

        self.fields["parent"].queryset = visible_to(user, Organisation)
        self.fields["credit_code"].help_text = _("18 位，含校验码（GB 32100-2015）")
        if own_only:
            for name in ["kind", "credit_code", "region", "parent", "is_active"]:
                self.fields.pop(name)

    def _post_clean(self):
        # Validation belongs to the service; the model's own unique checks would duplicate it.
        pass


class FacilityForm(forms.ModelForm):
    reason = ReasonField()

    class Meta:
        model = Facility
        fields = ["name", "kind", "community", "address", "beds", "nursing_beds", "floor_area_m2", "opening_hours",
                  "lat", "lng", "is_active"]
        help_texts = {"lat": _("WGS84，如 31.195000"), "lng": _("WGS84，如 121.436000"),
                      "opening_hours": _("如 周一至周五 8:00–17:00")}

    def __init__(self, *args, user, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        from carecircle.core.isolation import acts_for, visible_to

        if acts_for(user, organisation):
            # A provider may run facilities anywhere in the district it is registered in.
            from carecircle.regions.models import Region

            region = organisation.region
            district = region if region.kind == RegionKind.DISTRICT else \
                region.ancestors().filter(kind=RegionKind.DISTRICT).first()
            communities = visible_to(user, Region).filter(kind=RegionKind.COMMUNITY)
            if district is not None:
                communities = communities.filter(path__startswith=district.path)
        else:
            communities = regions_in_scope(user=user, kinds=[RegionKind.COMMUNITY])
        self.fields["community"].queryset = communities.order_by("path")

    def _post_clean(self):
        pass


class ServiceAreaForm(forms.Form):
    community = forms.ModelChoiceField(label=_("服务社区"), queryset=None)
    since = forms.DateField(label=_("开始日期"), required=False, widget=DateInput)
    reason = ReasonField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = regions_in_scope(user=user, kinds=[RegionKind.COMMUNITY])


class ContractForm(forms.ModelForm):
    reason = ReasonField()

    class Meta:
        model = Contract
        fields = ["number", "programme", "region", "starts_on", "ends_on", "status", "note"]
        widgets = {"starts_on": DateInput, "ends_on": DateInput, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_in_scope(user=user)
        self.fields["status"].initial = ContractStatus.ACTIVE

    def _post_clean(self):
        pass


class StaffForm(forms.ModelForm):
    reason = ReasonField()

    class Meta:
        model = StaffMember
        fields = ["name", "gender", "id_number", "phone", "position", "dialects", "hired_on", "is_active"]
        widgets = {"hired_on": DateInput, "id_number": forms.TextInput(attrs={"autocomplete": "off"}),
                   "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored number is never sent back to the browser; leave blank to keep it.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("留空表示不修改（当前 %(masked)s）") % {
                "masked": StaffMember._meta.get_field("id_number").mask(self.instance.id_number)}
            self.fields["phone"].help_text = _("留空表示不修改（当前 %(masked)s）") % {
                "masked": StaffMember._meta.get_field("phone").mask(self.instance.phone) or "—"}
            self.initial["id_number"] = ""
            self.initial["phone"] = ""

    def _post_clean(self):
        pass


class CertificateForm(forms.ModelForm):
    reason = ReasonField()

    class Meta:
        model = Certificate
        fields = ["qualification", "number", "issued_on", "expires_on"]
        widgets = {"issued_on": DateInput, "expires_on": DateInput}
        help_texts = {"expires_on": _("长期有效的证书留空")}

    def _post_clean(self):
        pass


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("身份证号")), ("phone", _("手机号"))])
    reason = forms.CharField(label=_("查看原因"), max_length=500)


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("机构名称或信用代码")}))
    kind = forms.ChoiceField(label=_("机构类型"), required=False, choices=[("", _("全部"))] + OrganisationKind.choices)
    region = forms.CharField(label=_("区域代码"), required=False)
    active = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("1", _("在营")), ("0", _("停业"))])


class FacilityFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    kind = forms.ChoiceField(label=_("设施类型"), required=False, choices=[("", _("全部"))] + FacilityKind.choices)
    organisation = forms.CharField(label=_("机构"), required=False, widget=forms.HiddenInput)
    region = forms.CharField(label=_("区域代码"), required=False)


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名"), required=False)
    organisation = forms.ChoiceField(label=_("机构"), required=False)
    position = forms.ChoiceField(label=_("岗位"), required=False, choices=[("", _("全部"))] + StaffPosition.choices)
    qualification = forms.ChoiceField(label=_("资质"), required=False,
                                      choices=[("", _("全部"))] + Qualification.choices)
    certificate = forms.ChoiceField(label=_("证书"), required=False,
                                    choices=[("", _("全部")), ("expiring", _("即将到期")), ("expired", _("已过期"))])

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("全部"))] + [(str(o.pk), o.name) for o in organisations]
