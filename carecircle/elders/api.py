"""REST API for the registry: `/api/v1/elders/`. Reads go through the search selector (and so visible_to);
writes go through the services, whose ValidationErrors become 400 bodies naming the field."""
from django.core.paginator import Paginator as DjangoPaginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.response import Response

from carecircle.core.api import ScopedModelViewSet
from carecircle.core.pagination import Pagination
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import mask_phone
from carecircle.core.validators import TextListField

from . import selectors, services
from .disclosure import identity_shown
from .models import Elder, ElderStatus, Gender


class ElderSerializer(serializers.ModelSerializer):
    """`id_number` and `phone` are written in clear and always read back masked."""

    id_number = serializers.CharField(label=_("身份证号"), max_length=25,
                                      help_text=_("写入：完整的 18 位号码；读取：脱敏（前 6 位 + 后 4 位）"))
    phone = serializers.CharField(label=_("联系电话"), max_length=25, required=False, allow_blank=True,
                                  help_text=_("写入：完整号码；读取：脱敏"))
    gender = serializers.ChoiceField(label=_("性别"), choices=Gender.choices, required=False, allow_blank=True,
                                     help_text=_("可省略：由身份证号得出；提供时须一致"))
    birth_date = serializers.DateField(label=_("出生日期"), required=False, allow_null=True,
                                       help_text=_("可省略：由身份证号得出；提供时须一致。读取：只有可查看完整身份证号的人员得到完整日期，"
                                                   "其他人为 null（见 age），因为完整出生日期加上脱敏号码就是完整号码"))
    community = serializers.SlugRelatedField(label=_("所属社区代码"), slug_field="code",
                                             queryset=Elder._meta.get_field("community").related_model.objects.all())
    coordinate_system = serializers.ChoiceField(
        label=_("坐标系"), choices=[("wgs84", "WGS84"), ("gcj02", "GCJ-02")], required=False, write_only=True,
        help_text=_("lat/lng 来自高德、腾讯或微信地图时填 gcj02：系统换算为 WGS84 保存（读取时总是 WGS84）"))
    lat = serializers.DecimalField(label=_("纬度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    lng = serializers.DecimalField(label=_("经度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    age = serializers.SerializerMethodField(label=_("年龄"))
    chronic_conditions = TextListField(label=_("慢性病"), required=False)

    class Meta:
        model = Elder
        fields = ["id", "name", "id_number", "gender", "birth_date", "age", "phone", "community", "address", "lat",
                  "lng", "coordinate_system", "household_type", "registration", "economic_category",
                  "has_disability_certificate", "disability_certificate_number", "chronic_conditions", "status",
                  "status_date", "merged_into", "created_at", "updated_at"]
        read_only_fields = ["status", "status_date", "merged_into", "created_at", "updated_at"]

    def get_age(self, elder) -> int:
        from django.utils import timezone

        from .identity import age_on

        return age_on(elder.birth_date, timezone.localdate())

    def to_representation(self, elder):
        data = super().to_representation(elder)
        request = self.context.get("request")
        shown = identity_shown(getattr(request, "user", None), elder)
        data["id_number"] = shown.id_number_masked
        data["birth_date"] = shown.birth_date.isoformat() if shown.birth_date else None
        data["age"] = shown.age
        data["phone"] = mask_phone(elder.phone)
        return data


class RevealRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(label=_("字段"), choices=[("id_number", _("身份证号")), ("phone", _("联系电话"))])
    reason = serializers.CharField(label=_("原因"), max_length=200)


class SearchCountPaginator(DjangoPaginator):
    """Exact counts, taken from the search's indexed filters rather than from the page query."""

    @cached_property
    def count(self):
        return getattr(self.object_list, "count_source", self.object_list).count()


class ElderPagination(Pagination):
    django_paginator_class = SearchCountPaginator


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=_("姓名（前缀）、拼音或首字母、完整身份证号、身份证后四位、电话。"
                                                           "没有查看完整号码权限的人员按完整身份证号或电话检索有每小时次数上限"
                                                           "（政策参数 elders.exact_search.per_hour，超过时 429），每次都记入审计")),
    OpenApiParameter("region", OpenApiTypes.STR, description=_("街道或社区代码（只在本人管辖范围内缩小）")),
    OpenApiParameter("age_min", OpenApiTypes.INT, description=_("最小年龄（含）")),
    OpenApiParameter("age_max", OpenApiTypes.INT, description=_("最大年龄（含）")),
    OpenApiParameter("household_type", OpenApiTypes.STR, description=_("居住类型代码")),
    OpenApiParameter("economic_category", OpenApiTypes.STR, description=_("经济类别代码")),
    OpenApiParameter("gender", OpenApiTypes.STR, enum=["M", "F"], description=_("性别")),
    OpenApiParameter("status", OpenApiTypes.STR, enum=[*ElderStatus.values, "all"],
                     description=_("状态；缺省为除“已合并”外的全部")),
]


@extend_schema_view(list=extend_schema(parameters=SEARCH_PARAMETERS))
class ElderViewSet(ScopedModelViewSet):
    queryset = Elder.objects.all()
    serializer_class = ElderSerializer
    view_capability = "elders.view"
    change_capability = "elders.change"
    filter_backends: list = []
    pagination_class = ElderPagination

    def get_queryset(self):
        if self.action == "list":
            refusal = selectors.exact_search_refusal(self.request.user, self.request.query_params.get("q", ""))
            if refusal is not None:
                raise Throttled(wait=refusal.retry_after, detail=refusal.message)
            return selectors.elder_search(self.request.user, self.request.query_params.get("q", ""),
                                          selectors.ElderFilters.from_params(self.request.query_params))
        return super().get_queryset().select_related("community")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.elder_create(actor=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.elder_update(actor=self.request.user, elder=serializer.instance, data=data)

    @extend_schema(request=RevealRequestSerializer,
                   responses={200: inline_serializer("ElderRevealResponse", {
                       "field": serializers.CharField(), "value": serializers.CharField()})})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The clear ID or phone number; needs the reveal capability and a reason, and is audited."""
        if not has_capability(request.user, "elders.reveal"):
            raise PermissionDenied(_("您没有查看完整身份证号或电话的权限。"))
        elder = self.get_object()
        body = RevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        value = services.elder_reveal(actor=request.user, elder=elder, field=body.validated_data["field"],
                                      reason=body.validated_data["reason"])
        return Response({"field": body.validated_data["field"], "value": value}, status=status.HTTP_200_OK)

    def get_permissions(self):
        # Revealing is a read of one's own scope guarded by its own capability, not a registry change.
        if self.action == "reveal":
            self.change_capability = "elders.view"
        return super().get_permissions()
