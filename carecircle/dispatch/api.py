"""REST API of the dispatch board: `/api/v1/dispatch/shifts/`, `/api/v1/dispatch/plans/` (read, optimise,
move, publish, replan) and `/api/v1/dispatch/my-day/` (a caregiver's own published visits).

Reads go through visible_to (the scoped base classes); writes go through the services. An illegal workflow
step (`core.workflow.IllegalStep`) answers 409 with what is allowed instead (core/errors.py)."""
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from carecircle.core.pagination import Pagination
from carecircle.core.sensitive import mask_phone
from carecircle.core.validators import IdField
from carecircle.elders import services as elder_services
from carecircle.providers.models import Facility, StaffMember
from carecircle.workorders.models import WorkOrder

from . import selectors, services
from .models import DispatchPlan, DispatchStop, PlaceKind, Shift, TravelMode

CONFLICT = inline_serializer("DispatchConflict", fields={
    "detail": serializers.CharField(), "allowed_actions": serializers.ListField(child=serializers.CharField()),
    "allowed": serializers.ListField(child=serializers.CharField())})


class ShiftSerializer(serializers.ModelSerializer):
    caregiver = serializers.PrimaryKeyRelatedField(label=_("护理员"), queryset=StaffMember.objects.all())
    caregiver_name = serializers.CharField(source="caregiver.name", read_only=True)
    start_facility = serializers.PrimaryKeyRelatedField(label=_("出发设施"), queryset=Facility.objects.all(),
                                                        required=False, allow_null=True)
    end_facility = serializers.PrimaryKeyRelatedField(label=_("收工设施"), queryset=Facility.objects.all(),
                                                      required=False, allow_null=True)
    start_kind = serializers.ChoiceField(label=_("出发地点类型"), choices=PlaceKind.choices, default=PlaceKind.HOME)
    end_kind = serializers.ChoiceField(label=_("收工地点类型"), choices=PlaceKind.choices, default=PlaceKind.HOME)
    travel_mode = serializers.ChoiceField(label=_("出行方式"), choices=TravelMode.choices, default=TravelMode.EBIKE)
    start_lat = serializers.DecimalField(label=_("出发纬度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    start_lng = serializers.DecimalField(label=_("出发经度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    end_lat = serializers.DecimalField(label=_("收工纬度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    end_lng = serializers.DecimalField(label=_("收工经度"), max_digits=12, decimal_places=8, required=False, allow_null=True)
    lunch_minutes = serializers.IntegerField(label=_("午休时长（分钟）"), required=False, allow_null=True, min_value=0)
    max_hours = serializers.DecimalField(label=_("最长工作小时"), max_digits=4, decimal_places=2, required=False,
                                         allow_null=True)

    class Meta:
        model = Shift
        fields = ["id", "caregiver", "caregiver_name", "date", "start_time", "end_time", "lunch_earliest", "lunch_latest",
                  "lunch_minutes", "start_kind", "start_facility", "start_lat", "start_lng", "end_kind", "end_facility",
                  "end_lat", "end_lng", "travel_mode", "max_hours", "off_from", "note", "created_at"]
        read_only_fields = ["off_from", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # Only the acting provider's own caregivers and facilities can be named.
            fields["caregiver"].queryset = selectors.caregivers_for(request.user)
            fields["start_facility"].queryset = fields["end_facility"].queryset = selectors.facilities_for(request.user)
        return fields


class ShiftViewSet(ScopedModelViewSet):
    queryset = Shift.objects.select_related("caregiver").order_by("date", "start_time", "id")
    serializer_class = ShiftSerializer
    pagination_class = Pagination
    view_capability = "dispatch.view"
    change_capability = "dispatch.change"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description=str(_("只列出这一天的班次")))])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        day = self.request.query_params.get("date")
        if day:
            queryset = queryset.filter(date=serializers.DateField().to_internal_value(day))
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.shift_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=inline_serializer("ShiftCopyRequest", fields={"date": serializers.DateField()}),
                   responses={200: inline_serializer("ShiftCopyResult", fields={
                       "created": serializers.IntegerField(), "skipped": serializers.IntegerField(),
                       "source": serializers.DateField()})})
    @action(detail=False, methods=["post"], url_path="copy-last-week")
    def copy_last_week(self, request):
        day = serializers.DateField().to_internal_value(request.data.get("date"))
        return Response(services.shifts_copy_last_week(actor=request.user, date=day))


class StopSerializer(serializers.ModelSerializer):
    elder = serializers.CharField(source="work_order.elder.name", read_only=True)
    unscheduled_reason = serializers.CharField(source="reason_display", read_only=True,
                                               help_text=_("未安排的原因（按请求语言）"))
    warning = serializers.CharField(source="warning_display", read_only=True,
                                    help_text=_("软性偏好提示（按请求语言）"))
    caregiver = serializers.SerializerMethodField()

    class Meta:
        model = DispatchStop
        fields = ["id", "work_order", "elder", "shift", "caregiver", "position", "planned_start", "planned_end",
                  "travel_seconds", "unscheduled_reason", "warning"]

    def get_caregiver(self, stop) -> str | None:
        return stop.shift.caregiver.name if stop.shift_id else None


class PlanSerializer(serializers.ModelSerializer):
    stops = serializers.SerializerMethodField()
    job = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.SerializerMethodField(help_text=_("计划的版本：安排新增上门时原样带回；计划已被他人修改则答 409"))

    class Meta:
        model = DispatchPlan
        fields = ["id", "organisation", "date", "status", "version", "job", "figures", "stops", "created_at",
                  "updated_at", "published_at"]

    def get_version(self, plan) -> str:
        return services.plan_version(plan)

    @extend_schema_field(StopSerializer(many=True))
    def get_stops(self, plan) -> list[dict]:
        if "stops" in getattr(plan, "_prefetched_objects_cache", {}):
            stops = plan.stops.all()  # listed plans: prefetched once for the page (see PlanViewSet)
        else:
            stops = plan_stops_queryset(plan.stops.all())
        return StopSerializer(stops, many=True).data


def plan_stops_queryset(queryset):
    return (queryset.select_related("work_order__elder", "work_order__preferred_caregiver", "shift__caregiver")
            .order_by("shift_id", "position", "id"))


class MoveSerializer(serializers.Serializer):
    work_order = IdField(label=pgettext_lazy("one item", "工单"))
    shift = IdField(label=_("目标班次"), required=False, allow_null=True,
                                     help_text=_("省略或为 null：移出（不安排）"))
    position = serializers.IntegerField(label=_("位置（从 0 起）"), min_value=0, required=False, allow_null=True)


class PlaceSerializer(serializers.Serializer):
    version = serializers.CharField(label=_("计划版本"), max_length=40,
                                    help_text=_("读取计划时得到的 version；计划已被他人修改则答 409"))
    allow_moving = serializers.BooleanField(label=_("允许调整已发布的上门（重新排程）"), default=False)
    iterations = serializers.IntegerField(label=_("搜索迭代次数（可重复的结果）"), min_value=1, max_value=100000,
                                          required=False, allow_null=True)


class AssignSerializer(serializers.Serializer):
    version = serializers.CharField(label=_("计划版本"), max_length=40)
    work_order = IdField(label=pgettext_lazy("one item", "工单"))
    shift = IdField(label=_("目标班次"))
    position = serializers.IntegerField(label=_("位置（从 0 起）"), min_value=0, required=False, allow_null=True,
                                        help_text=_("省略或为 null：排在最后"))
    allow_moving = serializers.BooleanField(label=_("允许调整已发布的上门"), default=False)


PLACE_RESULT = inline_serializer("PlaceResult", fields={
    "placed": serializers.ListField(child=serializers.IntegerField(), help_text=_("安排上的工单")),
    "moved": serializers.ListField(child=serializers.IntegerField(), help_text=_("时间或护理员有变动的工单")),
    "unplaced": serializers.DictField(child=serializers.CharField(), help_text=_("未能安排的工单及原因")),
    "caregivers": serializers.ListField(child=serializers.CharField(), help_text=_("安排有变动的护理员")),
    "warnings": serializers.ListField(child=serializers.CharField(), required=False),
    "plan": PlanSerializer()})


def _placement(result: dict, plan) -> dict:
    from django.utils.translation import gettext

    return {**result, "unplaced": {str(pk): gettext(reason) for pk, reason in result["unplaced"].items()},
            "plan": PlanSerializer(plan).data}


class ReplanSerializer(serializers.Serializer):
    shift = IdField(label=_("离岗护理员的班次"))
    off_from = serializers.TimeField(label=_("离岗时间"))
    iterations = serializers.IntegerField(label=_("搜索迭代次数（可重复的结果）"), min_value=1, max_value=100000,
                                          required=False, allow_null=True)


class OptimiseSerializer(serializers.Serializer):
    date = serializers.DateField(label=_("日期"))
    iterations = serializers.IntegerField(label=_("搜索迭代次数（可重复的结果；省略则按政策参数的计算时长）"),
                                          min_value=1, max_value=100000, required=False, allow_null=True)


def _shift_for(user, plan, pk):
    if pk is None:
        return None
    shift = selectors.plan_shift(user, plan, pk)
    if shift is None:
        raise serializers.ValidationError({"shift": [_("只能选择本机构当天的班次")]})
    return shift


class PlanViewSet(ScopedReadOnlyViewSet):
    queryset = DispatchPlan.objects.select_related("organisation", "job").order_by("-date", "id")
    serializer_class = PlanSerializer
    pagination_class = Pagination
    view_capability = "dispatch.view"
    change_capability = "dispatch.change"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve"):
            stops = plan_stops_queryset(DispatchStop.objects.all())
            queryset = queryset.prefetch_related(Prefetch("stops", queryset=stops))
        return queryset

    @extend_schema(request=OptimiseSerializer, responses={202: PlanSerializer, 409: CONFLICT})
    @action(detail=False, methods=["post"])
    def optimise(self, request):
        data = OptimiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_optimise(actor=request.user, date=data.validated_data["date"],
                                      iterations=data.validated_data.get("iterations"))
        plan.refresh_from_db()
        return Response(PlanSerializer(plan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=MoveSerializer, responses={200: inline_serializer("MoveResult", fields={
        "warnings": serializers.ListField(child=serializers.CharField()), "plan": PlanSerializer()}), 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        plan = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.stop_move(actor=request.user, plan=plan, work_order_id=data.validated_data["work_order"],
                                    shift=_shift_for(request.user, plan, data.validated_data.get("shift")),
                                    position=data.validated_data.get("position"))
        plan.refresh_from_db()
        return Response({"warnings": result["warnings"], "plan": PlanSerializer(plan).data})

    @extend_schema(request=None, responses={200: inline_serializer("PublishResult", fields={
        "published": serializers.IntegerField(), "unplaced": serializers.IntegerField()}), 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        plan = self.get_object()
        return Response(services.plan_publish(actor=request.user, plan=plan))

    @extend_schema(request=ReplanSerializer, responses={200: inline_serializer("ReplanResult", fields={
        "moved": serializers.IntegerField(), "unscheduled": serializers.IntegerField(), "plan": PlanSerializer()}),
        409: CONFLICT})
    @action(detail=True, methods=["post"])
    def replan(self, request, pk=None):
        plan = self.get_object()
        data = ReplanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.plan_replan(actor=request.user, plan=plan,
                                      shift=_shift_for(request.user, plan, data.validated_data["shift"]),
                                      off_from=data.validated_data["off_from"],
                                      iterations=data.validated_data.get("iterations"))
        plan.refresh_from_db()
        return Response({"moved": result["moved"], "unscheduled": result["unscheduled"],
                         "plan": PlanSerializer(plan).data})

    @extend_schema(request=PlaceSerializer, responses={200: PLACE_RESULT, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def place(self, request, pk=None):
        """Place the visits not on anyone's day: published visits keep their times unless `allow_moving`."""
        plan = self.get_object()
        data = PlaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        iterations = data.validated_data.get("iterations")
        result = services.plan_place_new(actor=request.user, plan=plan, version=data.validated_data["version"],
                                         allow_moving=data.validated_data["allow_moving"], iterations=iterations)
        plan.refresh_from_db()
        return Response(_placement(result, plan))

    @extend_schema(request=AssignSerializer, responses={200: PLACE_RESULT, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Put one visit on a chosen caregiver's day; a hard rule broken answers 400 naming each problem."""
        plan = self.get_object()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.plan_assign(actor=request.user, plan=plan, version=data.validated_data["version"],
                                      work_order_id=data.validated_data["work_order"],
                                      shift=_shift_for(request.user, plan, data.validated_data["shift"]),
                                      position=data.validated_data.get("position"),
                                      allow_moving=data.validated_data["allow_moving"])
        plan.refresh_from_db()
        return Response(_placement(result, plan))


class CallContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    relation = serializers.CharField()
    phone = serializers.CharField()
    holds_key = serializers.BooleanField()


class MyVisitSerializer(serializers.ModelSerializer):
    """`phone` is the clear number and `emergency_contacts` are listed only for the caregiver's own visits
    published for today (the elders' disclosure rule; each showing is a reveal in the trail); otherwise the
    phone is masked and no contacts are given."""

    elder = serializers.CharField(source="elder.name", read_only=True)
    address = serializers.CharField(source="elder.address", read_only=True)
    phone = serializers.SerializerMethodField()
    emergency_contacts = serializers.SerializerMethodField()
    lat = serializers.DecimalField(source="elder.lat", max_digits=9, decimal_places=6, read_only=True)
    lng = serializers.DecimalField(source="elder.lng", max_digits=9, decimal_places=6, read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = ["id", "date", "planned_start", "duration_minutes", "status", "elder", "address", "phone",
                  "emergency_contacts", "lat", "lng", "items"]

    def _numbers(self, order):
        return self.context.get("numbers", {}).get(order.pk)

    def get_phone(self, order) -> str:
        numbers = self._numbers(order)
        return numbers.phone if numbers is not None else mask_phone(order.elder.phone)

    @extend_schema_field(CallContactSerializer(many=True))
    def get_emergency_contacts(self, order):
        numbers = self._numbers(order)
        if numbers is None:
            return []
        return [{"name": name, "relation": relation, "phone": phone, "holds_key": holds_key}
                for name, relation, phone, holds_key in numbers.contacts]

    def get_items(self, order) -> list[str]:
        return [line.item.name for line in order.lines.all()]


class MyDayViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in caregiver's published visits of a day (default today), in visiting order."""

    queryset = WorkOrder.objects.all()
    serializer_class = MyVisitSerializer
    pagination_class = Pagination
    view_capability = "dispatch.my_day"
    change_capability = None

    def get_queryset(self):
        day = self.request.query_params.get("date")
        day = serializers.DateField().to_internal_value(day) if day else timezone.localdate()
        return selectors.my_day(self.request.user, day)

    @extend_schema(parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description=str(_("日期，默认今天")))])
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        orders = list(page if page is not None else queryset)
        numbers = elder_services.visit_numbers_reveal(actor=request.user, work_orders=orders)
        serializer = self.get_serializer(orders, many=True, context={**self.get_serializer_context(), "numbers": numbers})
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)
