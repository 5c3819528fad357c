from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.providers.models import FacilityKind

from .selectors import MAX_RADIUS_M, MIN_RADIUS_M


class CandidateImportForm(forms.Form):
    file = forms.FileField(label=_("候选选址文件（CSV 或 Excel）"),
                           help_text=_("第一行为列名：名称、地址、纬度、经度、建筑面积、备注；名称和经纬度（WGS84）必填。"))
    replace = forms.BooleanField(label=_("替换本区域已有的候选选址"), required=False)


class SiteStudyForm(forms.Form):
    facility_kind = forms.ChoiceField(label=_("新设施类型"), choices=FacilityKind.choices)
    site_count = forms.IntegerField(label=_("新设施数量"), min_value=1, max_value=50)
    radius_m = forms.IntegerField(label=_("服务半径（米）"), min_value=MIN_RADIUS_M, max_value=MAX_RADIUS_M)


class RoadNetworkForm(forms.Form):
    file = forms.FileField(label=_("OpenStreetMap 路网文件（.osm 或 .osm.pbf）"),
                           help_text=_("由区里自行下载的本区 OpenStreetMap 数据摘录；平台不会从网上获取任何数据。"))


class GuideEntryForm(forms.Form):
    services = forms.CharField(label=_("服务内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("例如：午餐、助浴、康复训练、健康咨询"))
    phone = forms.CharField(label=_("咨询电话"), max_length=30, required=False)
    eligibility = forms.CharField(label=_("服务对象"), max_length=255, required=False,
                                  help_text=_("例如：本街道 60 周岁及以上老人"))
    prices = forms.CharField(label=_("收费"), max_length=255, required=False,
                             help_text=_("例如：午餐 15 元，80 周岁以上补贴 3 元"))


class AdvisorForm(forms.Form):
    point = forms.TypedChoiceField(label=_("养老顾问点"), coerce=int)
    name = forms.CharField(label=_("姓名"), max_length=50)
    since = forms.DateField(label=_("上岗日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].choices = [(p.pk, p.name) for p in points]


class ConsultationForm(forms.Form):
    """The advisor's form on a phone: one column, big controls, the referral optional."""

    advisor = forms.TypedChoiceField(label=_("养老顾问"), coerce=int)
    consulted_on = forms.DateField(label=_("咨询日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    topic = forms.ChoiceField(label=_("咨询事项"))
    advice = forms.CharField(label=_("答复和建议"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    referral_type = forms.ChoiceField(label=_("转办申请（可选）"), required=False)
    elder_q = forms.CharField(label=_("转办老人（姓名、身份证后四位或电话）"), max_length=40, required=False)
    elder = forms.TypedChoiceField(label=_("选择老人"), coerce=int, required=False, widget=forms.RadioSelect)
    order_item = forms.ChoiceField(label=_("转办服务订单（可选）"), required=False)
    order_quantity = forms.DecimalField(label=_("数量"), required=False, min_value=Decimal("0.5"), max_value=99,
                                        decimal_places=2, initial=1)
    order_date = forms.DateField(label=_("服务日期"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    order_window = forms.ChoiceField(label=_("服务时段"), required=False, choices=[
        ("08:00-10:00", "08:00–10:00"), ("10:00-12:00", "10:00–12:00"), ("14:00-16:00", "14:00–16:00"),
        ("16:00-18:00", "16:00–18:00")])
    # The self-pay the elder was told and agreed to; the order is placed only when the price still matches.
    expected_self_pay = forms.DecimalField(required=False, decimal_places=2, widget=forms.HiddenInput)

    def __init__(self, *args, advisors=(), referral_types=(), elders=(), order_items=(), **kwargs):
        from .models import ConsultationTopic

        super().__init__(*args, **kwargs)
        self.fields["order_item"].choices = [("", _("不转办")), *order_items]
        self.fields["advisor"].choices = [(a.pk, f"{a.name}（{a.point.name}）") for a in advisors]
        self.fields["topic"].choices = [("", "—"), *ConsultationTopic.choices]
        self.fields["referral_type"].choices = [("", _("不转办")), *referral_types]
        self.fields["elder"].choices = [(e.pk, f"{e.name}（{e.community.name}）") for e in elders]

    def clean(self):
        data = super().clean()
        # An order needs the day and the time of the visit; without an order both are ignored.
        if data.get("order_item"):
            if data.get("order_date") is None and "order_date" not in self.errors:
                self.add_error("order_date", _("请选择服务日期"))
            if not data.get("order_window") and "order_window" not in self.errors:
                self.add_error("order_window", _("请选择服务时段"))
        return data
