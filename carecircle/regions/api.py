"""Region API (read-only): the tree is reference data, listed through visible_to like everything else."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from carecircle.core.api import ScopedReadOnlyViewSet

from . import selectors
from .models import Region, RegionKind


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "kind", "parent", "parent_code", "path", "centroid_lat", "centroid_lng",
                  "boundary"]


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("kind", str, enum=RegionKind.values, description=_("层级")),
    OpenApiParameter("parent", str, description=_("上级区划代码")),
    OpenApiParameter("search", str, description=_("名称或区划代码前缀")),
]))
class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = Region.objects.select_related("parent").order_by("path")
    serializer_class = RegionSerializer
    view_capability = "regions.view"
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.region_list(user=self.request.user, kind=params.get("kind", ""),
                                         parent_code=params.get("parent", ""), search=params.get("search", ""))
        return super().get_queryset()
