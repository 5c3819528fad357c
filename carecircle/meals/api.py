"""API: canteens, dishes (?canteen=), menus and sales as lists; `POST /api/v1/meal-checkouts/` sells a meal at
the till with an `Idempotency-Key` (a repeated key answers the first sale again)."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from carecircle.core.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from carecircle.core.validators import LIST_MAX_ITEMS
from carecircle.core.isolation import visible_to
from carecircle.core.params import query_id

from . import delivery, selectors, services
from .models import Canteen, Diner, Dish, MealBooking, MealTime, Menu, Mode, PaymentMethod, Sale
from .wording import class_label, rules_in_words


class CanteenSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="facility.name", read_only=True)
    organisation = serializers.CharField(source="facility.organisation.name", read_only=True)
    community = serializers.CharField(source="facility.community.name", read_only=True)

    class Meta:
        model = Canteen
        fields = ["id", "name", "organisation", "community", "opening_hours", "seats", "breakfast_capacity",
                  "lunch_capacity", "dinner_capacity", "is_active"]


class CanteenViewSet(ScopedReadOnlyViewSet):
    queryset = Canteen.objects.select_related("facility__organisation", "facility__community")
    serializer_class = CanteenSerializer
    view_capability = "meals.view"


class DishSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dish
        fields = ["id", "canteen", "name", "price", "portion", "allergens", "diet_tags", "is_set_meal", "components",
                  "is_active"]


class DishViewSet(ScopedReadOnlyViewSet):
    queryset = Dish.objects.all()
    serializer_class = DishSerializer
    view_capability = "meals.view"

    def get_queryset(self):
        queryset = super().get_queryset()
        canteen = query_id(self.request.query_params, "canteen")
        return queryset.filter(canteen_id=canteen) if canteen else queryset


class MenuSerializer(serializers.ModelSerializer):
    meal_label = serializers.CharField(source="get_meal_display", read_only=True)

    class Meta:
        model = Menu
        fields = ["id", "canteen", "date", "meal", "meal_label", "dishes", "published_at"]


class MenuViewSet(ScopedReadOnlyViewSet):
    queryset = Menu.objects.filter(published_at__isnull=False).prefetch_related("dishes")
    serializer_class = MenuSerializer
    view_capability = "meals.view"


class LineSerializer(serializers.Serializer):
    dish = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=20)


class DinerSerializer(serializers.Serializer):
    card = serializers.CharField(required=False, max_length=64)
    qr = serializers.CharField(required=False, max_length=64)
    elder = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(_("就餐人请只给出卡号、二维码或老人其中一项。"))
        return attrs


class CheckoutSerializer(serializers.Serializer):
    canteen = serializers.PrimaryKeyRelatedField(queryset=Canteen.objects.all(), label=_("食堂"))
    diner = DinerSerializer(required=False, allow_null=True, label=_("就餐人"))
    lines = serializers.ListField(child=LineSerializer(), allow_empty=False, max_length=LIST_MAX_ITEMS, label=_("菜品"))
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.DINE_IN, label=_("就餐方式"))
    meal = serializers.ChoiceField(choices=MealTime.choices, required=False, label=_("餐次"))
    payment = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.CASH, label=_("支付方式"))


class SaleSerializer(serializers.ModelSerializer):
    canteen_name = serializers.CharField(source="canteen.facility.name", read_only=True)
    diner_name = serializers.SerializerMethodField()
    subsidy = serializers.SerializerMethodField()
    meal_subsidy = serializers.DecimalField(source="subsidy", max_digits=10, decimal_places=2, read_only=True)
    subsidy_class_label = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    class Meta:
        model = Sale
        fields = ["id", "canteen", "canteen_name", "diner_name", "date", "meal", "mode", "subsidy_class",
                  "subsidy_class_label", "total", "subsidy", "meal_subsidy", "delivery_subsidy", "self_pay",
                  "payment", "rules", "refund_of", "created_at"]
        read_only_fields = fields

    def get_diner_name(self, sale) -> str:
        return sale.diner.elder.name if sale.diner_id else ""

    def get_subsidy(self, sale) -> str:
        return f"{sale.subsidy + sale.delivery_subsidy:.2f}"

    def get_subsidy_class_label(self, sale) -> str:
        return class_label(sale.subsidy_class)

    def get_rules(self, sale) -> list[str]:
        return rules_in_words(sale.rules)


class MealCheckoutViewSet(ScopedModelViewSet):
    """Lists the sales in scope; POST sells a meal (the canteen's own staff)."""

    queryset = Sale.objects.select_related("canteen__facility", "diner__elder")
    serializer_class = SaleSerializer
    view_capability = "meals.view"
    change_capability = "meals.till"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=CheckoutSerializer, responses={201: SaleSerializer, 200: SaleSerializer})
    def create(self, request, *args, **kwargs):
        body = CheckoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        canteen = selectors.canteen_list(user=request.user).filter(pk=data["canteen"].pk).first()
        if canteen is None:
            raise serializers.ValidationError({"canteen": [_("没有找到这个食堂。")]})
        diner = None
        credential = data.get("diner") or {}
        if credential:
            if "elder" in credential:
                diner = Diner.objects.filter(elder_id=credential["elder"]).first()
            else:
                diner = services.find_diner(card=credential.get("card", ""), qr=credential.get("qr", ""))
            if diner is None:
                raise serializers.ValidationError({"diner": [_("没有找到这位实名助餐老人；未登记的就餐人请不填就餐人。")]})
        dishes = {d.pk: d for d in Dish.objects.filter(pk__in=[line["dish"] for line in data["lines"]])}
        lines = []
        for line in data["lines"]:
            dish = dishes.get(line["dish"])
            if dish is None or dish.canteen_id != canteen.pk:
                raise serializers.ValidationError({"lines": [_("菜品不属于这个食堂。")]})
            lines.append((dish, line["quantity"]))
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise serializers.ValidationError({"Idempotency-Key": [_("幂等键不能超过 100 个字符。")]})
        existed = bool(key) and Sale.objects.filter(canteen=canteen, idempotency_key=key).exists()
        sale = services.checkout(actor=request.user, canteen=canteen, diner=diner, lines=lines,
                                 meal=data.get("meal") or services.meal_now(), mode=data["mode"],
                                 payment=data["payment"], idempotency_key=key)
        return Response(SaleSerializer(sale).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class BookingSerializer(serializers.ModelSerializer):
    diner = serializers.PrimaryKeyRelatedField(queryset=Diner.objects.all(), label=_("助餐对象"))
    # Dishes are public (published menus): a booking may name any canteen's dish of the elder's district, so the
    # key is checked by the service rather than narrowed to what the booker may change.
    dish = serializers.IntegerField(source="dish_id", min_value=1, label=_("菜品"))
    quantity = serializers.IntegerField(min_value=1, max_value=5, default=1, label=_("份数"))
    diner_name = serializers.CharField(source="diner.elder.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = MealBooking
        fields = ["id", "canteen", "diner", "diner_name", "date", "meal", "mode", "dish", "quantity", "payment",
                  "channel", "status", "status_label", "created_at"]
        read_only_fields = ["canteen", "channel", "status", "created_at"]


class MealBookingViewSet(ScopedModelViewSet):
    queryset = MealBooking.objects.select_related("diner__elder", "canteen")
    serializer_class = BookingSerializer
    view_capability = "meals.book"
    change_capability = "meals.book"
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        diner = visible_to(self.request.user, Diner).filter(pk=data["diner"].pk).first()
        if diner is None:
            raise serializers.ValidationError({"diner": [_("没有找到这位实名助餐老人。")]})
        dish = Dish.objects.select_related("canteen__facility__community").filter(pk=data["dish_id"]).first()
        if dish is None:
            raise serializers.ValidationError({"dish": [_("没有找到这道菜。")]})
        serializer.instance = delivery.booking_create(
            actor=self.request.user, diner=diner, canteen=dish.canteen, date=data["date"], meal=data["meal"],
            dish=dish, quantity=data["quantity"], mode=data.get("mode", Mode.DELIVERY),
            payment=data.get("payment", PaymentMethod.CASH))
