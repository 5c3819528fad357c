"""Policy parameter API: list (filter by key and region code), add a dated value, the value in force."""
import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors
from .api import ScopedViewSetMixin
from .isolation import visible_to
from .models import PolicyParameter
from .policy import parameter_in_force
from .region_tree import region_model
from .serializers import PolicyInForceSerializer, PolicyParameterCreateSerializer, PolicyParameterSerializer
from .services import policy_parameter_set


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("key", str, description=gettext_lazy("参数键")),
                                   OpenApiParameter("region", str, description=gettext_lazy("区划代码（仅该区域本身）"))]),
    create=extend_schema(request=PolicyParameterCreateSerializer, responses={201: PolicyParameterSerializer}),
)
class PolicyParameterViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin,
                             viewsets.GenericViewSet):
    queryset = PolicyParameter.objects.select_related("region")
    serializer_class = PolicyParameterSerializer
    view_capability = "policy.view"
    change_capability = "policy.change"
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.policy_parameter_list(user=self.request.user, key=params.get("key", ""),
                                               region_code=params.get("region", ""))

    def create(self, request, *args, **kwargs):
        incoming = PolicyParameterCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        row = policy_parameter_set(actor=request.user, **incoming.validated_data)
        return Response(PolicyParameterSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("key", str, required=True), OpenApiParameter("region", str, required=True,
                                                                                  description=gettext_lazy("区划代码")),
                    OpenApiParameter("date", dt.date, description=gettext_lazy("默认今天"))],
        responses={200: PolicyInForceSerializer},
    )
    @action(detail=False, url_path="in-force", pagination_class=None)
    def in_force(self, request):
        params = request.query_params
        errors = {}
        if not params.get("key"):
            errors["key"] = [_("请提供参数键 key")]
        if not params.get("region"):
            errors["region"] = [_("请提供区划代码 region")]
        on = timezone.localdate()
        if params.get("date"):
            try:
                on = dt.date.fromisoformat(params["date"])
            except ValueError:
                errors["date"] = [_("日期格式应为 YYYY-MM-DD")]
        if errors:
            raise serializers.ValidationError(errors)
        region = visible_to(request.user, region_model()).filter(code=params["region"]).first()
        if region is None:
            raise Http404
        row = parameter_in_force(params["key"], region=region, on=on)
        if row is None or not visible_to(request.user, PolicyParameter).filter(pk=row.pk).exists():
            raise Http404
        return Response(PolicyInForceSerializer({
            "key": row.key, "region": region.code, "date": on, "value": row.value,
            "effective_from": row.effective_from, "set_on_region": row.region.code,
            "inherited": row.region_id != region.pk, "source": row.source, "confidence": row.confidence,
            "needs_confirmation": row.needs_confirmation}).data)
