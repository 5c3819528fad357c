"""REST API for the catalogue: `/api/v1/service-items/`, `/api/v1/service-packages/`, `/api/v1/contract-prices/`,
`/api/v1/quotes/` and `/api/v1/entitlements/`. Reads go through the selectors (and so visible_to); the quote
and writes go through the services, whose ValidationErrors become 400 bodies naming the problem."""
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from carecircle.core.api import CapabilityPermission, ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from carecircle.core.isolation import visible_to
from carecircle.core.pagination import Pagination
from carecircle.core.validators import IdField, ListOf
from carecircle.elders.models import Elder
from carecircle.providers.models import Contract, Organisation

from . import selectors, services
from .models import ContractPrice, PackageItem, ServiceItem, ServicePackage
from .services import BASES

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class ServiceItemSerializer(serializers.ModelSerializer):
    programme = serializers.SerializerMethodField(label=_("适用资金渠道"))
    category_display = serializers.CharField(source="get_category_display", read_only=True, label=_("类别名称"))
    unit_display = serializers.CharField(source="get_unit_display", read_only=True, label=_("计价单位名称"))
    # A qualification code of the providers' list (e.g. registered_nurse), or "" for any caregiver.
    required_qualification = serializers.CharField(read_only=True, label=_("服务人员须持资质"))

    class Meta:
        model = ServiceItem
        fields = ["id", "code", "name", "name_en", "category", "category_display", "help_kind", "programme", "unit",
                  "unit_display", "standard_minutes", "required_qualification", "description", "is_active"]

    def get_programme(self, item) -> list[str]:
        return item.programme_tags


class PackageLineSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code", label=_("项目编码"))
    name = serializers.CharField(source="item.name", label=_("项目名称"))

    class Meta:
        model = PackageItem
        fields = ["item", "name", "quantity"]


class ServicePackageSerializer(serializers.ModelSerializer):
    lines = PackageLineSerializer(many=True, read_only=True)
    programme = serializers.SerializerMethodField(label=_("适用资金渠道"))

    class Meta:
        model = ServicePackage
        fields = ["id", "code", "name", "name_en", "group", "description", "programme", "unit", "is_active", "lines"]

    def get_programme(self, package) -> list[str]:
        return [tag for tag in package.programme.split(",") if tag]


class ContractPriceSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", queryset=ServiceItem.objects.all(), label=_("项目编码"))
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), label=_("服务机构"))
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all(), required=False, allow_null=True,
                                                  label=_("服务合同"))
    unit_price = serializers.DecimalField(label=_("单价（元）"), **MONEY)

    class Meta:
        model = ContractPrice
        fields = ["id", "organisation", "contract", "item", "unit_price", "effective_from", "effective_until", "note",
                  "created_at"]
        read_only_fields = ["created_at"]


@extend_schema_view(
    list=extend_schema(summary=_("服务目录"), parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description=_("按编码或名称搜索")),
        OpenApiParameter("category", OpenApiTypes.STR, description=_("类别")),
        OpenApiParameter("help_kind", OpenApiTypes.STR, description=_("六助类别")),
        OpenApiParameter("programme", OpenApiTypes.STR, description=_("资金渠道标记，如 ltci")),
        OpenApiParameter("active", OpenApiTypes.STR, description=_("1 仅启用（默认），0 仅停用，all 全部")),
    ]),
    retrieve=extend_schema(summary=_("服务项目")),
)
class ServiceItemViewSet(ScopedReadOnlyViewSet):
    queryset = ServiceItem.objects.all()
    serializer_class = ServiceItemSerializer
    pagination_class = Pagination
    view_capability = "catalog.view"
    lookup_field = "code"

    def get_queryset(self):
        params = self.request.query_params
        if self.action != "list":
            return visible_to(self.request.user, ServiceItem)
        return selectors.service_items(self.request.user, q=params.get("q", "").strip(),
                                       category=params.get("category", ""), help_kind=params.get("help_kind", ""),
                                       programme=params.get("programme", ""), active=params.get("active", "1"))


@extend_schema_view(list=extend_schema(summary=_("服务包")), retrieve=extend_schema(summary=_("服务包")))
class ServicePackageViewSet(ScopedReadOnlyViewSet):
    queryset = ServicePackage.objects.all()
    serializer_class = ServicePackageSerializer
    pagination_class = Pagination
    view_capability = "catalog.view"
    lookup_field = "code"

    def get_queryset(self):
        if self.action != "list":
            return visible_to(self.request.user, ServicePackage).prefetch_related("lines__item")
        return selectors.service_packages(self.request.user, q=self.request.query_params.get("q", "").strip(),
                                          active=self.request.query_params.get("active", "1"))


@extend_schema_view(list=extend_schema(summary=_("协议价格")), retrieve=extend_schema(summary=_("协议价格")),
                    create=extend_schema(summary=_("录入协议价格")))
class ContractPriceViewSet(ScopedModelViewSet):
    queryset = ContractPrice.objects.select_related("organisation", "item", "contract")
    serializer_class = ContractPriceSerializer
    pagination_class = Pagination
    view_capability = "catalog.view"
    change_capability = "catalog.change"
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        organisation = get_object_or_404(visible_to(self.request.user, Organisation), pk=data["organisation"].pk)
        serializer.instance = services.contract_price_set(
            actor=self.request.user, organisation=organisation, item=data["item"], unit_price=data["unit_price"],
            effective_from=data["effective_from"], effective_until=data.get("effective_until"),
            contract=data.get("contract"), note=data.get("note", ""))


class QuoteLineInSerializer(serializers.Serializer):
    item = serializers.CharField(label=_("项目或服务包编码"), max_length=40)
    quantity = serializers.DecimalField(label=_("数量"), max_digits=8, decimal_places=2)


class QuoteRequestSerializer(serializers.Serializer):
    elder = IdField(label=_("老人档案编号"))
    date = serializers.DateField(label=_("服务日期"))
    lines = ListOf(QuoteLineInSerializer(), label=_("服务项目"), allow_empty=False)
    basis = serializers.ChoiceField(label=_("计价依据"), choices=[(b, b) for b in BASES], default="order",
                                    help_text=_("plan：照护计划内（长护险基金按比例支付）；order：按需下单（默认）"))
    provider = IdField(label=_("服务机构"), required=False, allow_null=True,
                                        help_text=_("给出时优先使用该机构的协议价格"))
    subsidy_used = serializers.DecimalField(label=_("本月已用补贴"), required=False, default=0, **MONEY)


class QuoteLineOutSerializer(serializers.Serializer):
    item = serializers.CharField(source="item_code", label=_("项目编码"))
    name = serializers.CharField(source="item_name", label=_("项目名称"))
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True, label=_("数量"))
    unit_price = serializers.DecimalField(label=_("单价"), **MONEY)
    amount = serializers.DecimalField(label=_("金额"), **MONEY)
    fund = serializers.DecimalField(label=_("基金支付"), **MONEY)
    subsidy = serializers.DecimalField(label=_("补贴"), **MONEY)
    self_pay = serializers.DecimalField(label=_("个人自付"), **MONEY)
    rules = serializers.ListField(child=serializers.CharField(), label=_("计价依据说明"))


class QuoteSerializer(serializers.Serializer):
    elder = serializers.IntegerField(source="elder_id", label=_("老人档案编号"))
    date = serializers.DateField(source="on", label=_("服务日期"))
    basis = serializers.CharField(label=_("计价依据"))
    lines = QuoteLineOutSerializer(many=True)
    total = serializers.DecimalField(label=_("合计"), **MONEY)
    fund = serializers.DecimalField(label=_("基金支付合计"), **MONEY)
    subsidy = serializers.DecimalField(label=_("补贴合计"), **MONEY)
    self_pay = serializers.DecimalField(label=_("个人自付合计"), **MONEY)


class QuoteView(generics.GenericAPIView):
    """Price a visit or order for an elder in the user's scope and split it between fund, subsidy and self-pay."""

    permission_classes = [permissions.IsAuthenticated, CapabilityPermission]
    view_capability = "catalog.quote"
    change_capability = "catalog.quote"
    serializer_class = QuoteRequestSerializer

    def get_queryset(self):
        return visible_to(self.request.user, Elder)

    @extend_schema(summary=_("计价：价格与基金、补贴、自付拆分"), request=QuoteRequestSerializer,
                   responses={200: QuoteSerializer})
    def post(self, request):
        payload = QuoteRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        elder = get_object_or_404(self.get_queryset(), pk=data["elder"])
        provider = None
        if data.get("provider"):
            providers = visible_to(request.user, Organisation).filter(is_active=True)
            provider = get_object_or_404(providers, pk=data["provider"])
        result = services.quote(elder=elder, on=data["date"], basis=data["basis"], provider=provider,
                                lines=[(line["item"], line["quantity"]) for line in data["lines"]],
                                subsidy_used=data.get("subsidy_used") or 0)
        return Response(QuoteSerializer(result).data, status=status.HTTP_200_OK)


class EntitlementOutSerializer(serializers.Serializer):
    care_level = serializers.IntegerField()
    visits_per_week = serializers.IntegerField()
    minutes_per_visit = serializers.IntegerField()
    weekly_minutes_cap = serializers.IntegerField()
    continuity_bonus_minutes_per_month = serializers.IntegerField()
    continuity_bonus_cash_per_month = serializers.DecimalField(**MONEY)
    continuous_since = serializers.DateField(allow_null=True)
    level_valid_from = serializers.DateField(allow_null=True)
    level_valid_until = serializers.DateField(allow_null=True)
    rules = serializers.ListField(child=serializers.CharField())


class EntitlementResponseSerializer(serializers.Serializer):
    elder = serializers.IntegerField()
    name = serializers.CharField()
    date = serializers.DateField()
    programme = serializers.CharField()
    entitlement = EntitlementOutSerializer(allow_null=True)


@extend_schema_view(retrieve=extend_schema(summary=_("长护险待遇"), parameters=[
    OpenApiParameter("date", OpenApiTypes.DATE, description=_("日期，默认今天")),
], responses={200: EntitlementResponseSerializer}))
class EntitlementViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The LTCI home-care entitlement of an elder in the user's scope on a date (null when none).
    The key is the elder's record number."""

    queryset = Elder.objects.select_related("community")
    serializer_class = EntitlementResponseSerializer
    view_capability = "catalog.view"
    http_method_names = ["get", "head", "options"]

    def retrieve(self, request, *args, **kwargs):
        elder = self.get_object()
        on = timezone.localdate()
        if request.query_params.get("date"):
            try:
                on = serializers.DateField().to_internal_value(request.query_params["date"])
            except serializers.ValidationError:
                raise serializers.ValidationError(
                    {"date": [_("日期“%(value)s”不是 YYYY-MM-DD 格式") % {"value": request.query_params["date"]}]})
        try:
            entitlement = selectors.entitlement_for(elder, on=on)
        except ValidationError as error:
            raise serializers.ValidationError({"non_field_errors": error.messages})
        return Response(EntitlementResponseSerializer({"elder": elder.pk, "name": elder.name, "date": on, "programme": selectors.LTCI,
                                                       "entitlement": entitlement}).data)
