"""REST API: `/api/v1/care-plans/`, `/api/v1/service-orders/`, `/api/v1/absences/`.

Reads go through visible_to (the scoped base classes and the selectors); writes go through the services.
A ValidationError becomes a 400 naming the problem; a workflow step the state does not allow
(`core.workflow.IllegalStep`) is a 409 with the steps that are allowed (core/errors.py)."""
import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedReadOnlyViewSet
from carecircle.core.isolation import visible_to
from carecircle.core.pagination import Pagination
from carecircle.core.validators import ListOf
from carecircle.elders.models import Elder
from carecircle.providers.models import Organisation, StaffMember

from . import selectors, services
from .models import (
    AbsenceKind,
    CarePlan,
    ElderAbsence,
    OrderStatus,
    PlanChange,
    PlanVisit,
    ServiceOrder,
    OfferOutcome,
    StopReason,
)

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True, "read_only": True}


# --- serializers ----------------------------------------------------------------------------------------------

class ItemLineSerializer(serializers.Serializer):
    item = serializers.CharField(label=_("项目编码"), max_length=40)
    quantity = serializers.DecimalField(label=_("数量"), max_digits=8, decimal_places=2, min_value=0,
                                        coerce_to_string=True)


class ItemOutSerializer(serializers.Serializer):
    item = serializers.CharField(label=_("项目编码"))
    name = serializers.CharField(label=_("项目名称"))
    quantity = serializers.CharField(label=_("数量"))


extend_schema_field_items = extend_schema_field(ItemOutSerializer(many=True))


class VisitInputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(label=_("星期（0=周一）"), min_value=0, max_value=6)
    window_start = serializers.TimeField(label=_("时段开始"))
    window_end = serializers.TimeField(label=_("时段结束"))
    duration_minutes = serializers.IntegerField(label=_("服务时长（分钟）"), min_value=1)
    fixed_time = serializers.BooleanField(label=_("须准时开始"), required=False, default=False)
    items = ListOf(ItemLineSerializer(), required=False)


class PlanVisitSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField(label=_("服务项目"))

    class Meta:
        model = PlanVisit
        fields = ["id", "weekday", "window_start", "window_end", "fixed_time", "duration_minutes", "funding", "items"]

    @extend_schema_field_items
    def get_items(self, visit) -> list[dict]:
        return [{"item": line.item.code, "name": line.item.name, "quantity": str(line.quantity)}
                for line in visit.lines.all()]


class PlanChangeSerializer(serializers.ModelSerializer):
    explanation = serializers.CharField(source="text", read_only=True, label=_("说明"))

    class Meta:
        model = PlanChange
        fields = ["id", "kind", "effective", "explanation", "created_at"]


class CarePlanSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, label=_("服务机构"))
    visits = PlanVisitSerializer(many=True, read_only=True)
    changes = PlanChangeSerializer(many=True, read_only=True)

    class Meta:
        model = CarePlan
        fields = ["id", "elder", "elder_name", "organisation", "organisation_name", "programme", "care_level",
                  "visits_per_week_entitled", "minutes_per_visit_entitled", "weekly_minutes_cap",
                  "bonus_minutes_per_month", "entitlement_rules", "status", "valid_from", "valid_until", "stop_reason",
                  "replaces", "preferred_caregiver", "preferred_gender", "dialect", "serve_on_holidays", "note",
                  "visits", "changes", "created_at"]
        read_only_fields = fields


class PlanPreferencesSerializer(serializers.Serializer):
    preferred_caregiver = serializers.PrimaryKeyRelatedField(label=_("指定护理员"), queryset=StaffMember.objects.all(),
                                                             required=False, allow_null=True)
    preferred_gender = serializers.ChoiceField(label=_("护理员性别偏好"), choices=[("", "—"), ("M", _("男")),
                                                                              ("F", _("女"))],
                                               required=False, allow_blank=True)
    dialect = serializers.CharField(label=_("方言"), max_length=50, required=False, allow_blank=True)
    serve_on_holidays = serializers.BooleanField(label=_("法定节假日照常上门"), required=False)
    note = serializers.CharField(label=_("备注"), required=False, allow_blank=True, max_length=500)


class PlanCreateSerializer(PlanPreferencesSerializer):
    elder = serializers.PrimaryKeyRelatedField(label=_("老人"), queryset=Elder.objects.all())
    organisation = serializers.PrimaryKeyRelatedField(label=_("服务机构"), queryset=Organisation.objects.all(),
                                                      required=False, allow_null=True)
    on = serializers.DateField(label=_("生效日期"), required=False)
    weekdays = serializers.ListField(label=_("希望上门的星期"), max_length=7,
                                     child=serializers.IntegerField(min_value=0, max_value=6),
                                     required=False)
    window_start = serializers.TimeField(label=_("希望时段开始"), required=False)
    window_end = serializers.TimeField(label=_("希望时段结束"), required=False)
    items = ListOf(ItemLineSerializer(), required=False, label=_("每次上门的服务项目"))
    visits = ListOf(VisitInputSerializer(), required=False, label=_("逐次指定的上门（不填则按待遇生成）"))
    accept_self_pay = serializers.BooleanField(label=_("已确认超出待遇的自费部分"), required=False, default=False)


class PlanReviseSerializer(PlanPreferencesSerializer):
    visits = ListOf(VisitInputSerializer(), label=_("每周上门"))
    accept_self_pay = serializers.BooleanField(label=_("已确认超出待遇的自费部分"), required=False, default=False)
    reason = serializers.CharField(label=_("调整原因"), required=False, allow_blank=True, max_length=200)


class PlanPreviewRequestSerializer(serializers.Serializer):
    elder = serializers.PrimaryKeyRelatedField(label=_("老人"), queryset=Elder.objects.all())
    on = serializers.DateField(label=_("日期"), required=False)
    visits = ListOf(VisitInputSerializer(), label=_("每周上门"))


class PreviewVisitSerializer(serializers.Serializer):
    weekday = serializers.IntegerField()
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    duration_minutes = serializers.IntegerField()
    funding = serializers.CharField()
    reason = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    fund = serializers.DecimalField(**MONEY)
    subsidy = serializers.DecimalField(**MONEY)
    self_pay = serializers.DecimalField(**MONEY)


class PlanPreviewSerializer(serializers.Serializer):
    visits = PreviewVisitSerializer(many=True)
    weekly_total = serializers.DecimalField(**MONEY)
    weekly_fund = serializers.DecimalField(**MONEY)
    weekly_subsidy = serializers.DecimalField(**MONEY)
    weekly_self_pay = serializers.DecimalField(**MONEY)
    excess_self_pay = serializers.DecimalField(**MONEY)
    excess_count = serializers.IntegerField()
    messages = serializers.ListField(child=serializers.CharField())


def preview_data(preview) -> dict:
    return {
        "visits": [{"weekday": r.spec.weekday, "window_start": r.spec.window_start, "window_end": r.spec.window_end,
                    "duration_minutes": r.spec.duration_minutes, "funding": r.funding, "reason": r.reason,
                    "total": r.total, "fund": r.fund, "subsidy": r.subsidy, "self_pay": r.self_pay}
                   for r in preview.visits],
        "weekly_total": preview.weekly_total, "weekly_fund": preview.weekly_fund,
        "weekly_subsidy": preview.weekly_subsidy, "weekly_self_pay": preview.weekly_self_pay,
        "excess_self_pay": preview.excess_self_pay, "excess_count": preview.excess_count,
        "messages": preview.messages,
    }


def _visits_input(validated) -> list[dict]:
    return [{**visit, "items": [(line["item"], line["quantity"]) for line in visit.get("items", [])]}
            for visit in validated]


class StopSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(label=_("停止原因"), choices=StopReason.choices)
    on = serializers.DateField(label=_("停止日期"))
    explanation = serializers.CharField(label=_("说明"), required=False, allow_blank=True, max_length=300)


def _visible_elder(request, pk):
    return get_object_or_404(visible_to(request.user, Elder), pk=getattr(pk, "pk", pk))


# --- care plans -------------------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("照护计划"), parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description=_("老人姓名或拼音")),
        OpenApiParameter("status", OpenApiTypes.STR, description=_("状态：active / superseded / stopped")),
        OpenApiParameter("level", OpenApiTypes.INT, description=_("照护等级")),
    ]),
    retrieve=extend_schema(summary=_("照护计划")),
)
class CarePlanViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = CarePlan.objects.all()
    serializer_class = CarePlanSerializer
    pagination_class = Pagination
    view_capability = "careplans.view"
    change_capability = "careplans.change"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            plans = selectors.plan_list(self.request.user, q=params.get("q", ""), status=params.get("status", ""),
                                        level=params.get("level", ""))
            return plans.prefetch_related("visits__lines__item", "changes")
        return selectors.plan_detail_queryset(self.request.user).prefetch_related("visits__lines__item", "changes")

    def get_serializer_class(self):
        return {"create": PlanCreateSerializer, "revise": PlanReviseSerializer, "stop": StopSerializer,
                "preview": PlanPreviewRequestSerializer}.get(self.action, CarePlanSerializer)

    @extend_schema(request=PlanCreateSerializer, responses={201: CarePlanSerializer},
                   summary=_("按待遇和偏好制定照护计划"))
    def create(self, request, *args, **kwargs):
        body = PlanCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        elder = _visible_elder(request, data.pop("elder"))
        visits = data.pop("visits", None)
        items = [(line["item"], line["quantity"]) for line in data.pop("items", [])]
        plan = services.care_plan_create(actor=request.user, elder=elder,
                                         visits=_visits_input(visits) if visits else None, items=items, **data)
        return Response(CarePlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanPreviewRequestSerializer, responses={200: PlanPreviewSerializer},
                   summary=_("保存前预览：待遇内/自费上门与每周费用"))
    @action(detail=False, methods=["post"])
    def preview(self, request):
        body = PlanPreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        elder = _visible_elder(request, body.validated_data["elder"])
        on = body.validated_data.get("on") or timezone.localdate()
        specs = services.clean_visits(_visits_input(body.validated_data["visits"]))
        preview = services.plan_preview(elder=elder, visits=specs, on=on)
        return Response(PlanPreviewSerializer(preview_data(preview)).data)

    @extend_schema(request=PlanReviseSerializer, responses={200: CarePlanSerializer},
                   summary=_("机构调整照护计划（超出待遇须确认自费）"))
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = self.get_object()
        body = PlanReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        visits = _visits_input(data.pop("visits"))
        plan = services.care_plan_update(actor=request.user, plan=plan, visits=visits, **data)
        return Response(CarePlanSerializer(plan).data)

    @extend_schema(request=StopSerializer, responses={200: CarePlanSerializer}, summary=_("停止照护计划"))
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        plan = self.get_object()
        body = StopSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = services.care_plan_stop(actor=request.user, plan=plan, **body.validated_data)
        return Response(CarePlanSerializer(plan).data)


# --- on-demand orders -------------------------------------------------------------------------------------------

class OrderQuoteLineSerializer(serializers.Serializer):
    item = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField()
    amount = serializers.CharField()
    fund = serializers.CharField()
    subsidy = serializers.CharField()
    self_pay = serializers.CharField()
    rules = serializers.ListField(child=serializers.CharField())


class ServiceOrderSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default="",
                                              label=_("当前服务机构"))
    total = serializers.DecimalField(**MONEY)
    fund = serializers.DecimalField(**MONEY)
    subsidy = serializers.DecimalField(**MONEY)
    self_pay = serializers.DecimalField(**MONEY)
    quote_lines = OrderQuoteLineSerializer(many=True, read_only=True, source="quote_lines_shown")
    answer_deadline = serializers.SerializerMethodField(label=_("当前答复期限"))

    class Meta:
        model = ServiceOrder
        fields = ["id", "elder", "elder_name", "organisation", "organisation_name", "channel", "service_date",
                  "window_start", "window_end", "status", "total", "fund", "subsidy", "self_pay", "quote_lines", "note",
                  "cancel_reason", "rating", "rating_comment", "answer_deadline", "created_at"]
        read_only_fields = fields

    def get_answer_deadline(self, order) -> dt.datetime | None:
        offer = next((o for o in order.offers.all() if o.outcome == OfferOutcome.PENDING), None)
        return offer.deadline if offer else None


class OrderQuoteRequestSerializer(serializers.Serializer):
    elder = serializers.PrimaryKeyRelatedField(label=_("老人"), queryset=Elder.objects.all())
    service_date = serializers.DateField(label=_("服务日期"))
    lines = ListOf(ItemLineSerializer(), label=_("服务项目或服务包"))


class OrderQuoteSerializer(serializers.Serializer):
    lines = OrderQuoteLineSerializer(many=True)
    total = serializers.DecimalField(**MONEY)
    fund = serializers.DecimalField(**MONEY)
    subsidy = serializers.DecimalField(**MONEY)
    self_pay = serializers.DecimalField(**MONEY)


class OrderPlaceSerializer(OrderQuoteRequestSerializer):
    window_start = serializers.TimeField(label=_("时段开始"))
    window_end = serializers.TimeField(label=_("时段结束"))
    expected_self_pay = serializers.DecimalField(label=_("确认的个人自付金额"), max_digits=12, decimal_places=2,
                                                 help_text=_("下单前看到的个人自付金额；与重新计价不符时拒绝下单"))
    note = serializers.CharField(label=_("备注"), required=False, allow_blank=True, max_length=200)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("原因"), required=False, allow_blank=True, max_length=200)


class RateSerializer(serializers.Serializer):
    stars = serializers.IntegerField(label=_("星级（1–5）"))
    comment = serializers.CharField(label=_("评价"), required=False, allow_blank=True, max_length=300)


def quote_data(priced) -> dict:
    return services.quote_dict(priced)


def _lines(validated) -> list[dict]:
    return [{"item": line["item"], "quantity": line["quantity"]} for line in validated]


ORDER_ACTION_CAPABILITY = {"accept": "orders.answer", "decline": "orders.answer", "complete": "orders.answer",
                           "cancel": "orders.view", "rate": "orders.place", "quote": "orders.place",
                           "create": "orders.place"}


@extend_schema_view(
    list=extend_schema(summary=_("按需订单"), parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description=_("老人姓名或拼音")),
        OpenApiParameter("status", OpenApiTypes.STR, enum=OrderStatus.values, description=_("状态")),
        OpenApiParameter("service_date", OpenApiTypes.DATE, description=_("服务日期")),
    ]),
    retrieve=extend_schema(summary=_("按需订单")),
)
class ServiceOrderViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = ServiceOrder.objects.all()
    serializer_class = ServiceOrderSerializer
    pagination_class = Pagination
    view_capability = "orders.view"
    change_capability = "orders.place"
    http_method_names = ["get", "post", "head", "options"]

    def get_permissions(self):
        self.change_capability = ORDER_ACTION_CAPABILITY.get(self.action, "orders.place")
        return super().get_permissions()

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            try:
                day = dt.date.fromisoformat(params["service_date"]) if params.get("service_date") else None
            except ValueError:
                raise serializers.ValidationError({"service_date": [_("日期格式应为 YYYY-MM-DD")]})
            return selectors.order_list(self.request.user, q=params.get("q", ""), status=params.get("status", ""),
                                        service_date=day).prefetch_related("offers")
        return super().get_queryset().select_related("elder", "organisation").prefetch_related("offers")

    def get_serializer_class(self):
        return {"create": OrderPlaceSerializer, "quote": OrderQuoteRequestSerializer, "decline": ReasonSerializer,
                "cancel": ReasonSerializer, "rate": RateSerializer}.get(self.action, ServiceOrderSerializer)

    @extend_schema(request=OrderQuoteRequestSerializer, responses={200: OrderQuoteSerializer},
                   summary=_("下单前计价：价格与谁付多少"))
    @action(detail=False, methods=["post"])
    def quote(self, request):
        body = OrderQuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        elder = _visible_elder(request, body.validated_data["elder"])
        priced = services.order_quote(elder=elder, lines=_lines(body.validated_data["lines"]),
                                      service_date=body.validated_data["service_date"])
        return Response(OrderQuoteSerializer(quote_data(priced)).data)

    @extend_schema(request=OrderPlaceSerializer, responses={201: ServiceOrderSerializer}, summary=_("一键下单"))
    def create(self, request, *args, **kwargs):
        body = OrderPlaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        elder = _visible_elder(request, data["elder"])
        order = services.service_order_place(
            actor=request.user, elder=elder, lines=_lines(data["lines"]), service_date=data["service_date"],
            window_start=data["window_start"], window_end=data["window_end"],
            expected_self_pay=data["expected_self_pay"], note=data.get("note", ""))
        return Response(ServiceOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    def _answer(self, request, step, body_class=None):
        order = self.get_object()  # outside the scope: 404 before anything is read from the body
        body = None
        if body_class is not None:
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
        order = step(order, body.validated_data if body is not None else {})
        order.refresh_from_db()
        return Response(ServiceOrderSerializer(order).data)

    @extend_schema(request=None, responses={200: ServiceOrderSerializer}, summary=_("接单"))
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._answer(request, lambda order, data: services.service_order_accept(actor=request.user,
                                                                                        order=order))

    @extend_schema(request=ReasonSerializer, responses={200: ServiceOrderSerializer}, summary=_("拒单（转下一家机构）"))
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._answer(request, lambda order, data: services.service_order_decline(
            actor=request.user, order=order, reason=data.get("reason", "")), ReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses={200: ServiceOrderSerializer}, summary=_("取消订单"))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(request, lambda order, data: services.service_order_cancel(
            actor=request.user, order=order, reason=data.get("reason", "")), ReasonSerializer)

    @extend_schema(request=None, responses={200: ServiceOrderSerializer}, summary=_("标记完成"))
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._answer(request, lambda order, data: services.service_order_complete(actor=request.user,
                                                                                          order=order))

    @extend_schema(request=RateSerializer, responses={200: ServiceOrderSerializer}, summary=_("评价"))
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        return self._answer(request, lambda order, data: services.service_order_rate(
            actor=request.user, order=order, stars=data["stars"], comment=data.get("comment", "")), RateSerializer)


# --- absences ---------------------------------------------------------------------------------------------------

class AbsenceSerializer(serializers.ModelSerializer):
    elder = serializers.PrimaryKeyRelatedField(label=_("老人"), queryset=Elder.objects.all())
    kind = serializers.ChoiceField(label=_("类型"), choices=AbsenceKind.choices)

    class Meta:
        model = ElderAbsence
        fields = ["id", "elder", "kind", "starts_on", "ends_on", "note", "cancelled", "created_at"]
        read_only_fields = ["cancelled", "created_at"]


@extend_schema_view(list=extend_schema(summary=_("老人不在家登记")), retrieve=extend_schema(summary=_("老人不在家登记")),
                    create=extend_schema(summary=_("登记住院、外出")))
class AbsenceViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = ElderAbsence.objects.select_related("elder")
    serializer_class = AbsenceSerializer
    pagination_class = Pagination
    view_capability = "careplans.view"
    change_capability = "careplans.absence"
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        elder = _visible_elder(self.request, data.pop("elder"))
        serializer.instance = services.elder_absence_record(actor=self.request.user, elder=elder, **data)

    @extend_schema(request=None, responses={200: AbsenceSerializer}, summary=_("撤销登记"))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        absence = services.elder_absence_cancel(actor=request.user, absence=self.get_object())
        return Response(AbsenceSerializer(absence).data)
