"""REST API: `/api/v1/work-orders/` (read, and generate a day idempotently).

Reads go through visible_to (the scoped base classes and the selectors); writes go through the services."""
import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedReadOnlyViewSet
from carecircle.core.pagination import Pagination

from . import selectors, services
from .models import WorkOrder


class WorkOrderLineSerializer(serializers.Serializer):
    item = serializers.CharField(label=_("项目编码"))
    name = serializers.CharField(label=_("项目名称"))
    quantity = serializers.CharField(label=_("数量"))


class WorkOrderSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))
    community = serializers.CharField(source="elder.community.code", read_only=True, label=_("社区代码"))
    items = serializers.SerializerMethodField(label=_("服务项目"))

    class Meta:
        model = WorkOrder
        fields = ["id", "organisation", "elder", "elder_name", "community", "date", "window_start", "window_end",
                  "fixed_time", "duration_minutes", "required_qualification", "items", "preferred_caregiver",
                  "excluded_caregivers", "preferred_gender", "dialect", "priority", "source", "plan_visit", "order",
                  "status", "suppressed_reason", "caregiver", "planned_start", "created_at"]
        read_only_fields = fields

    @extend_schema_field(WorkOrderLineSerializer(many=True))
    def get_items(self, work_order) -> list[dict]:
        return [{"item": line.item.code, "name": line.item.name, "quantity": str(line.quantity)}
                for line in work_order.lines.all()]


class GenerateSerializer(serializers.Serializer):
    date = serializers.DateField(label=_("服务日期"))


class GenerateResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    kept_dispatched = serializers.IntegerField()
    from_plans = serializers.IntegerField()
    from_orders = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(summary=_("工单"), parameters=[
        OpenApiParameter("date", OpenApiTypes.DATE, description=_("服务日期 YYYY-MM-DD")),
        OpenApiParameter("status", OpenApiTypes.STR, description=_("状态")),
        OpenApiParameter("source", OpenApiTypes.STR, enum=["plan", "order"], description=_("来源")),
        OpenApiParameter("q", OpenApiTypes.STR, description=_("老人姓名或拼音")),
    ]),
    retrieve=extend_schema(summary=_("工单")),
)
class WorkOrderViewSet(ScopedReadOnlyViewSet):
    queryset = WorkOrder.objects.all()
    serializer_class = WorkOrderSerializer
    pagination_class = Pagination
    view_capability = "workorders.view"
    change_capability = "workorders.generate"

    def get_queryset(self):
        params = self.request.query_params
        if self.action == "list":
            day = None
            if params.get("date"):
                try:
                    day = dt.date.fromisoformat(params["date"])
                except ValueError:
                    raise serializers.ValidationError({"date": [_("日期格式应为 YYYY-MM-DD")]})
            qs = selectors.work_order_list(self.request.user, date=day, status=params.get("status", ""),
                                           source=params.get("source", ""), q=params.get("q", ""))
        else:
            qs = super().get_queryset().select_related("elder__community")
        return qs.prefetch_related("lines__item", "excluded_caregivers")

    def get_serializer_class(self):
        return GenerateSerializer if self.action == "generate" else WorkOrderSerializer

    @extend_schema(request=GenerateSerializer, responses={200: GenerateResultSerializer},
                   summary=_("生成某日工单（幂等）"))
    @action(detail=False, methods=["post"])
    def generate(self, request):
        body = GenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        summary = services.work_orders_generate(date=body.validated_data["date"], actor=request.user)
        return Response(GenerateResultSerializer(summary).data)
