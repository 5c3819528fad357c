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
