"""`/api/v1/settlements/?month=YYYY-MM` — claims with their totals and state; `/api/v1/settlements/<id>/lines/`
— a claim's lines, each naming its work order, every amount a decimal string with two places."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedReadOnlyViewSet
from carecircle.core.validators import parse_month

from . import selectors
from .models import Claim, ClaimLine


def _money():
    return serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True, read_only=True)


class ClaimSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    programme_label = serializers.CharField(source="get_programme_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    total, fund, subsidy, self_pay = _money(), _money(), _money(), _money()

    class Meta:
        model = Claim
        fields = ["id", "month", "organisation", "organisation_name", "programme", "programme_label", "status",
                  "status_label", "total", "fund", "subsidy", "self_pay", "lines_count", "rejected_count",
                  "submitted_at", "reviewed_at", "approved_at", "paid_at"]

    def get_month(self, claim) -> str:
        return f"{claim.run.month:%Y-%m}"


class ClaimLineSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True, default=None)
    item_name = serializers.CharField(source="item.display_name", read_only=True, default=None)
    unit_price, amount, fund, subsidy, self_pay = _money(), _money(), _money(), _money(), _money()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True, read_only=True)
    rules = serializers.SerializerMethodField()

    class Meta:
        model = ClaimLine
        fields = ["id", "kind", "kind_label", "status", "status_label", "work_order", "order", "visit_date",
                  "elder", "item_code", "item_name", "quantity", "unit_price", "amount", "fund", "subsidy",
                  "self_pay", "self_pay_confirmed", "replaces", "reject_reason", "note", "rules"]

    def get_rules(self, line) -> list[str]:
        return selectors.line_rules(line)


class SettlementViewSet(ScopedReadOnlyViewSet):
    """Claims (one per provider, programme and month) with their totals and state."""

    queryset = Claim.objects.select_related("run", "organisation").order_by("-run__month", "organisation__name",
                                                                            "programme", "id")
    serializer_class = ClaimSerializer
    view_capability = "billing.view"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("month"):
            queryset = queryset.filter(run__month=parse_month(self.request.query_params["month"]))
        return queryset

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=ClaimLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        claim = self.get_object()
        queryset = selectors.lines_for(request.user, claim)
        page = self.paginate_queryset(queryset)
        serializer = ClaimLineSerializer(page if page is not None else queryset, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)
