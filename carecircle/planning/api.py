"""API of planning: coverage of one street or community, and the site studies with their suggestions."""
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from carecircle.core.api import ScopedReadOnlyViewSet, ScopedViewSetMixin
from carecircle.core.pagination import Pagination
from carecircle.providers.models import FacilityKind
from carecircle.regions.models import Region

from . import selectors
from .models import SiteStudy


class CoverageQuery(serializers.Serializer):
    region = serializers.CharField(required=False, allow_blank=True, label=_("区域代码"))
    facility_kind = serializers.ChoiceField(choices=[selectors.ALL_KINDS, *FacilityKind.values], required=False,
                                            default=selectors.ALL_KINDS, label=_("设施类型"))
    radius_m = serializers.IntegerField(required=False, min_value=selectors.MIN_RADIUS_M,
                                        max_value=selectors.MAX_RADIUS_M, label=_("服务半径（米）"))
    group = serializers.ChoiceField(choices=[value for value, _label in selectors.ElderGroup.choices], required=False, default="",
                                    label=_("老人分组"))


class CoverageViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The share of a street's or community's active located elders within reach of a facility type."""

    queryset = Region.objects.all()
    view_capability = "planning.view"
    change_capability = None

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description=str(_("街道或社区的区划代码；不填为本人工作范围"))),
            OpenApiParameter("facility_kind", OpenApiTypes.STR, description=str(_("设施类型；all 为任一类"))),
            OpenApiParameter("radius_m", OpenApiTypes.INT, description=str(_("服务半径（米）；已导入步行路网时为步行距离；不填按政策参数（路网下为 15 分钟步行）"))),
            OpenApiParameter("group", OpenApiTypes.STR, description=str(_("alone 独居、80plus 80 周岁及以上、care_level 有照护等级"))),
        ],
        responses=inline_serializer("Coverage", {
            "region": serializers.CharField(), "facility_kind": serializers.CharField(),
            "radius_m": serializers.IntegerField(), "elders": serializers.IntegerField(),
            "covered": serializers.IntegerField(), "share": serializers.FloatField(allow_null=True),
            "method": serializers.ChoiceField(choices=[selectors.STRAIGHT_LINE, selectors.WALKING_NETWORK])}),
    )
    def list(self, request, *args, **kwargs):
        query = CoverageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            region = selectors.planning_root(user=request.user, code=(data.get("region") or "").strip())
        except Http404 as exc:
            raise NotFound(str(exc)) from None
        return Response(selectors.coverage_figures(user=request.user, region=region, kind=data["facility_kind"],
                                                   radius_m=data.get("radius_m"), group=data["group"],
                                                   on=timezone.localdate()))


class SuggestionSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    gain = serializers.IntegerField(help_text=_("按选定顺序新增覆盖的老人数"))
    alone = serializers.IntegerField(help_text=_("单独设置这一处时覆盖的未覆盖老人数"))


class SiteStudySerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    optimal = serializers.SerializerMethodField()
    naive = serializers.SerializerMethodField()
    optimal_total = serializers.SerializerMethodField()
    naive_total = serializers.SerializerMethodField()
    uncovered = serializers.SerializerMethodField()

    class Meta:
        model = SiteStudy
        fields = ["id", "region", "facility_kind", "radius_m", "site_count", "status", "status_label", "created_at",
                  "uncovered", "optimal", "naive", "optimal_total", "naive_total"]

    def _pick(self, obj, key):
        return [{k: row.get(k) for k in ("site", "name", "address", "gain", "alone")}
                for row in (obj.result or {}).get(key, [])]

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_optimal(self, obj):
        return self._pick(obj, "optimal")

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_naive(self, obj):
        return self._pick(obj, "naive")

    def get_optimal_total(self, obj) -> int | None:
        return (obj.result or {}).get("optimal_total")

    def get_naive_total(self, obj) -> int | None:
        return (obj.result or {}).get("naive_total")

    def get_uncovered(self, obj) -> int | None:
        return (obj.result or {}).get("uncovered")


class SiteStudyViewSet(ScopedReadOnlyViewSet):
    """Site studies with their suggested sites (maximal covering) and the naive choice, each with its gain."""

    queryset = SiteStudy.objects.select_related("region").order_by("-created_at", "-id")
    serializer_class = SiteStudySerializer
    pagination_class = Pagination
    view_capability = "planning.view"
    change_capability = None

