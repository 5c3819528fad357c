"""REST API.

* `POST /api/v1/device-events/` — signed by each device (no account): headers `X-Device-Id`, `X-Timestamp`
  (Unix seconds) and `X-Signature` = hex HMAC-SHA256 of `timestamp + "\\n" + body` under the device's secret.
* `/api/v1/hotline-calls/` — the telephony system's webhook (an operator account's API token): a call with
  its id, the caller's number and the agent; the console pops the elder's card by the number.
* `/api/v1/hotline-alarms/`, `/api/v1/hotline-devices/` — read, through visible_to.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.core.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from carecircle.elders.models import Elder

from . import services
from .models import Alarm, Call, CallCategory, CallDirection, Device


class RawBodyParser(BaseParser):
    """The signature covers the exact bytes: the view reads them itself."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class DeviceEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(label=_("事件编号"), max_length=64)
    code = serializers.CharField(label=_("事件代码"), help_text=_("sos、fall、removed、low_battery、heart_rate、smoke、"
                                                             "gas、water、left_bed、no_movement、heartbeat 等，或厂商代码"))
    at = serializers.CharField(label=_("发生时间"), help_text=_("Unix 秒或 ISO 8601"))
    lat = serializers.DecimalField(label=_("纬度"), max_digits=9, decimal_places=6, required=False)
    lng = serializers.DecimalField(label=_("经度"), max_digits=9, decimal_places=6, required=False)
    battery = serializers.IntegerField(label=_("电量（%）"), min_value=0, max_value=100, required=False)


class DeviceEventView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    throttle_classes = []

    @extend_schema(
        summary=_("设备上报事件（按设备签名）"), request=DeviceEventSerializer,
        parameters=[OpenApiParameter("X-Device-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
                    OpenApiParameter("X-Timestamp", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True,
                                     description=_("Unix 秒；与服务器时间相差超过 5 分钟即拒收")),
                    OpenApiParameter("X-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description=_("HMAC-SHA256(设备密钥, 时间戳 + \"\\n\" + 消息体) 的十六进制"))],
        responses={201: OpenApiResponse(description=_("已受理，生成报警")),
                   200: OpenApiResponse(description=_("心跳，或同一事件编号的重复上报（返回首次的应答）")),
                   400: OpenApiResponse(description=_("消息无法读取")),
                   401: OpenApiResponse(description=_("签名错误、时间戳过期或设备未登记")),
                   403: OpenApiResponse(description=_("设备未绑定老人"))})
    def post(self, request):
        answer = services.device_event_receive(device_id=request.headers.get("X-Device-Id"),
                                               timestamp=request.headers.get("X-Timestamp"),
                                               signature=request.headers.get("X-Signature"), body=request.body)
        return Response(answer.body, status=answer.status)


class AlarmSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))
    code_label = serializers.CharField(read_only=True, label=_("报警类型"))
    device_id = serializers.CharField(source="device.device_id", read_only=True, default=None, label=_("设备编号"))
    call_category = serializers.ChoiceField(source="category", choices=CallCategory.choices, read_only=True,
                                            label=_("类别"))

    class Meta:
        model = Alarm
        fields = ["id", "elder", "elder_name", "device_id", "source", "code", "code_label", "priority",
                  "is_emergency", "call_category", "status", "raised_at", "acknowledged_at", "first_action_at",
                  "arrived_at", "escalation_level", "outcome", "closed_at", "callback_at"]
        read_only_fields = fields


# The list needs the elder's name and the device's number, not their encrypted fields: nothing is decrypted.
ALARM_LIST_FIELDS = ("id", "elder", "device", "source", "code", "priority", "is_emergency", "category", "status",
                     "raised_at", "acknowledged_at", "first_action_at", "arrived_at", "escalation_level", "outcome",
                     "closed_at", "callback_at", "elder__name", "elder__community", "device__device_id")


class AlarmViewSet(ScopedReadOnlyViewSet):
    queryset = Alarm.objects.select_related("elder", "device").only(*ALARM_LIST_FIELDS)
    serializer_class = AlarmSerializer
    view_capability = "hotline.operate"
    change_capability = "hotline.operate"


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "device_id", "elder", "kind", "vendor", "number", "installed_on", "location", "funding",
                  "subsidy_share", "active", "last_heartbeat_at", "battery"]
        read_only_fields = fields


class DeviceViewSet(ScopedReadOnlyViewSet):
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer
    view_capability = "hotline.view"
    change_capability = "hotline.devices"


class CallSerializer(serializers.ModelSerializer):
    elder = serializers.PrimaryKeyRelatedField(queryset=Elder.objects.all(), required=False, allow_null=True,
                                               label=_("老人"))
    call_ref = serializers.CharField(label=_("话务系统呼叫编号"), max_length=64, required=False, allow_blank=True)
    number = serializers.CharField(label=_("电话号码"), max_length=20, required=False, allow_blank=True,
                                   write_only=True)
    direction = serializers.ChoiceField(label=_("方向"), choices=CallDirection.choices, default=CallDirection.IN)
    call_category = serializers.ChoiceField(label=_("类别"), choices=CallCategory.choices, required=False,
                                            allow_blank=True, source="category")
    elder_name = serializers.CharField(source="elder.name", read_only=True, default=None, label=_("老人"))

    class Meta:
        model = Call
        fields = ["id", "call_ref", "direction", "number", "elder", "elder_name", "call_category", "is_emergency",
                  "answered", "summary", "started_at", "alarm"]
        read_only_fields = ["id", "elder_name", "started_at", "alarm"]


class CallViewSet(ScopedModelViewSet):
    queryset = Call.objects.select_related("elder")
    serializer_class = CallSerializer
    view_capability = "hotline.operate"
    change_capability = "hotline.operate"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(summary=_("话务系统报告一通电话（按号码弹出老人信息）"))
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            call = services.call_record(actor=request.user, direction=data.get("direction", CallDirection.IN),
                                        number=data.get("number", ""), elder=data.get("elder"),
                                        category=data.get("category", ""),
                                        is_emergency=data.get("is_emergency", False),
                                        summary=data.get("summary", ""), call_ref=data.get("call_ref"),
                                        answered=data.get("answered", True))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from exc
        except DjangoValidationError as exc:
            raise DrfValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages) from exc
        return Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)
