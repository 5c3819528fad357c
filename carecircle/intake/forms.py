"""Page forms: they parse input; the rules live in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import visible_to
from carecircle.core.params import MAX_ID, InvalidParameter, parse_id
from carecircle.core.sensitive import lookup_hash
from carecircle.elders.identity import IdNumberError, normalise, parse_id_number
from carecircle.elders.models import Elder

from .models import Channel, ObjectionOutcome, State
from .services import OBJECTION_TEXT_MAX_LENGTH

BLANK = [("", "—")]


def _usable_id(value) -> bool:
    try:
        return parse_id(value, name="ids") is not None
    except InvalidParameter:
        return False


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("申请编号、姓名或身份证后四位")}))
    type = forms.ChoiceField(label=_("申请类型"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False, choices=BLANK + list(Channel.choices))
    overdue = forms.BooleanField(label=_("只看超期"), required=False)

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = BLANK + [(t.code, _(t.name)) for t in types]


class RegisterForm(forms.Form):
    """The window, a community worker or a hotline operator registers an application for an elder."""

    id_number = forms.CharField(label=_("老人身份证号"), max_length=25, help_text=_("18 位居民身份证号"))
    type = forms.ChoiceField(label=_("申请类型"))
    channel = forms.ChoiceField(label=_("渠道"), choices=[c for c in Channel.choices if c[0] != Channel.PORTAL])
    applicant_name = forms.CharField(label=_("申请人"), max_length=50, required=False,
                                     help_text=_("老人本人申请可不填"))
    applicant_relation = forms.CharField(label=_("与老人关系"), max_length=20, required=False)
    applicant_phone = forms.CharField(label=_("申请人电话"), max_length=20, required=False)
    documents = forms.MultipleChoiceField(label=_("已收材料"), required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("申请说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["type"].choices = [(t.code, _(t.name)) for t in types]
        docs = []
        for t in types:
            docs.extend(d for d in t.documents if d not in docs)
        self.fields["documents"].choices = [(d, _(d)) for d in docs]

    def clean_id_number(self):
        value = normalise(self.cleaned_data["id_number"])
        try:
            parse_id_number(value)
        except IdNumberError as error:
            # A mistyped number is named as such, with the format, never answered "no elder found".
            raise forms.ValidationError(
                _("%(problem)s。居民身份证号为 18 位：前 17 位是数字，最后一位是数字或 X（校验位）。")
                % {"problem": error.message}, code=error.code) from None
        elder = visible_to(self.user, Elder).filter(id_number_hash=lookup_hash(value)).first()
        if elder is None:
            raise forms.ValidationError(_("在您的管辖范围内没有找到该身份证号的老人档案，请先建档"))
        self.cleaned_data["elder"] = elder
        return value


class ActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("原因/说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("异议处理结果"), required=False, choices=BLANK + list(ObjectionOutcome.choices))
    # "Order the assessment": the district may choose the agency; empty keeps the round-robin default.
    agency = forms.IntegerField(required=False, min_value=1)


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", _("受理")), ("pass_first_review", _("初审通过")),
                                        ("pass_district_review", _("区审核通过"))])
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = args[0] if args else kwargs.get("data")
        values = data.getlist("ids") if data is not None and hasattr(data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in values if _usable_id(v)]


class ObjectionForm(forms.Form):
    notice = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    lodged_by = forms.CharField(label=_("您的姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=OBJECTION_TEXT_MAX_LENGTH,
                           help_text=_("请写明异议的事实和理由"))


class PortalApplyForm(forms.Form):
    elder = forms.ModelChoiceField(label=_("为谁申请"), queryset=Elder.objects.none(), empty_label=None,
                                   widget=forms.RadioSelect)
    type = forms.ChoiceField(label=_("申请什么"), widget=forms.RadioSelect)
    note = forms.CharField(label=_("想说明的情况（可不填）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].queryset = visible_to(user, Elder).filter(status="active")
        self.fields["type"].choices = [(t.code, _(t.name)) for t in types]
        # With one elder to apply for, the choice is already made for the person; they can still see it.
        if not self.is_bound:
            only = list(self.fields["elder"].queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                self.initial.setdefault("elder", only[0])


STATE_FILTER = BLANK + list(State.choices)
