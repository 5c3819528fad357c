"""REST API of the caregiver's phone (and partner devices): the steps of one visit.

    POST /api/v1/work-orders/<id>/check-in/    {"lat", "lng", "accuracy_m", "device_time", "datum", "reason"?}
    POST /api/v1/work-orders/<id>/items/       {"items": [{"item", "done", "note", "vitals"}], "device_time"?}
    POST /api/v1/work-orders/<id>/confirm/     {"method": "pin" | "family_code", "code", "device_time"?}
    POST /api/v1/work-orders/<id>/check-out/   like check-in
    POST /api/v1/work-orders/<id>/not-home/    like check-in
    GET  /api/v1/visits/  /api/v1/visits/<id>/ the visits the reader may see, with their flags

An `Idempotency-Key` header makes a step safe to send again (the phone's offline queue does): the same key
with the same request answers the same status and body and stores nothing; the same key with another request
is refused. A rule that needs a reason answers 400 naming the rule and the measured value until `reason` is
given; a blocking rule answers 400 whatever the reason; a step the visit's state does not allow answers 409
with `allowed_actions`. A work order outside the reader's scope is 404; a colleague's visit is 403.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.core.api import CapabilityPermission, ScopedReadOnlyViewSet
from carecircle.core.isolation import visible_to
from carecircle.core.pagination import Pagination
from carecircle.core.validators import LIST_MAX_ITEMS
from carecircle.workorders.models import WorkOrder

from . import services
from .models import ConfirmMethod, Datum, ReasonCode, RuleAction, Visit, VisitEvent
from .workflow import VISIT_FLOW
from .words import action_sentence, sentence

MAX_PHOTO_BYTES = 8 * 1024 * 1024


def _finite(value):
    if value is not None and not math.isfinite(value):
        raise serializers.ValidationError(_("请输入有效的数字。"))
    return value


class ProofSerializer(serializers.Serializer):
    lat = serializers.FloatField(label=gettext_lazy("纬度"), min_value=-90, max_value=90, required=False,
                                 allow_null=True, validators=[_finite])
    lng = serializers.FloatField(label=gettext_lazy("经度"), min_value=-180, max_value=180, required=False,
                                 allow_null=True, validators=[_finite])
    accuracy_m = serializers.FloatField(label=gettext_lazy("定位精度（米）"), min_value=0, max_value=100000,
                                        required=False, allow_null=True, validators=[_finite])
    device_time = serializers.DateTimeField(label=gettext_lazy("手机时间"), required=False, allow_null=True)
    datum = serializers.ChoiceField(label=gettext_lazy("坐标系"), choices=Datum.choices, required=False,
                                    allow_blank=True)
    mock_location = serializers.BooleanField(label=gettext_lazy("模拟定位"), required=False, default=False)
    reason = serializers.CharField(label=gettext_lazy("原因"), max_length=500, required=False, allow_blank=True)
    reason_code = serializers.ChoiceField(label=gettext_lazy("原因类别"), choices=ReasonCode.choices, required=False,
                                          allow_blank=True)
    photo = serializers.CharField(label=gettext_lazy("现场照片"), required=False, allow_blank=True,
                                  help_text=gettext_lazy("base64 编码的 JPEG、PNG 或 WebP（可带 data: 前缀）"))
    qr_code = serializers.CharField(label=gettext_lazy("门牌二维码"), max_length=100, required=False, allow_blank=True)

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lng": [_("纬度和经度须同时提供。")]})
        if attrs.get("lat") is None and not attrs.get("qr_code"):
            raise serializers.ValidationError({"lat": [_("须提供定位，或扫描老人家中的二维码。")]})
        return attrs

    def validate_photo(self, value):
        if not value:
            return None
        if value.startswith("data:"):
            value = value.split(",", 1)[-1]
        if len(value) > MAX_PHOTO_BYTES * 4 // 3 + 4:
            raise serializers.ValidationError(_("照片太大。"))
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("照片不是有效的 base64 编码。")) from None


class ItemResultSerializer(serializers.Serializer):
    item = serializers.CharField(label=gettext_lazy("项目编码"), max_length=40)
    done = serializers.BooleanField(label=gettext_lazy("已完成"), default=True)
    note = serializers.CharField(label=gettext_lazy("备注"), max_length=500, required=False, allow_blank=True)
    vitals = serializers.DictField(label=gettext_lazy("生命体征"), required=False, child=serializers.FloatField())


class ItemsSerializer(serializers.Serializer):
    items = serializers.ListField(child=ItemResultSerializer(), max_length=LIST_MAX_ITEMS,
                                  label=gettext_lazy("服务项目"))
    device_time = serializers.DateTimeField(label=gettext_lazy("手机时间"), required=False, allow_null=True)


class ConfirmSerializer(serializers.Serializer):
    method = serializers.ChoiceField(label=gettext_lazy("确认方式"), choices=ConfirmMethod.choices)
    code = serializers.CharField(label=gettext_lazy("确认码"), max_length=12)
    device_time = serializers.DateTimeField(label=gettext_lazy("手机时间"), required=False, allow_null=True)


def flag_json(flag) -> dict:
    return {"rule": flag.rule, "rule_label": flag.get_rule_display(), "action": flag.action,
            "action_label": flag.get_action_display(), "measured": flag.measured, "threshold": flag.threshold,
            "message": sentence(flag.rule, flag.measured, flag.threshold, flag.facts)}


def visit_json(visit: Visit, *, actor=None, flags=None, event: VisitEvent | None = None) -> dict:
    flags = list(visit.flags.all()) if flags is None else flags
    return {
        "visit": visit.pk, "work_order": visit.work_order_id, "status": visit.status,
        "status_label": visit.get_status_display(),
        "checked_in_at": visit.checked_in_at.isoformat() if visit.checked_in_at else None,
        "checked_out_at": visit.checked_out_at.isoformat() if visit.checked_out_at else None,
        "confirmed_at": visit.confirmed_at.isoformat() if visit.confirmed_at else None,
        "on_time": visit.on_time,
        "flags": [flag_json(flag) for flag in flags],
        "open_exceptions": visit.exceptions.exclude(status="approved").count(),
        "allowed_actions": VISIT_FLOW.allowed_actions(visit, actor) if actor is not None else [],
        "event": event.pk if event is not None else None,
        "clock_skew_seconds": event.clock_skew_seconds if event is not None else None,
    }


def refusal_json(error: services.RuleRefusal) -> dict:
    findings = [{"rule": f.rule, "rule_label": _rule_label(f.rule), "action": f.action,
                 "action_label": RuleAction(f.action).label, "measured": services._measure(f.measured),
                 "threshold": services._measure(f.threshold),
                 "message": sentence(f.rule, services._measure(f.measured), services._measure(f.threshold), f.facts)}
                for f in error.findings]
    tail = action_sentence(RuleAction.BLOCK if error.blocked else RuleAction.WARN)
    return {"detail": " ".join([item["message"] for item in findings] + [str(tail)]),
            "reason_required": not error.blocked, "blocked": error.blocked, "flags": findings}


def _rule_label(rule):
    from .models import Rule

    return str(Rule(rule).label) if rule in Rule.values else rule


class VisitStepView(APIView):
    """One step of a visit, posted by the caregiver's phone."""

    permission_classes = [IsAuthenticated, CapabilityPermission]
    view_capability = "visits.record"
    change_capability = "visits.record"
    step = ""
    serializer_class = ProofSerializer
    created_status = status.HTTP_200_OK

    def call(self, work_order, data, key, fingerprint):
        raise NotImplementedError

    def post(self, request, pk: int):
        work_order = get_object_or_404(visible_to(request.user, WorkOrder), pk=pk)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 100:
            return Response({"detail": _("幂等键太长（最多 100 个字符）。")}, status=status.HTTP_400_BAD_REQUEST)
        fingerprint = self.fingerprint(pk, request.data)
        try:
            with transaction.atomic():
                outcome = self.call(work_order, serializer.validated_data, key, fingerprint)
                if outcome.replayed:
                    return Response(outcome.event.response_body, status=outcome.event.response_status)
                body = visit_json(outcome.visit, actor=request.user, flags=outcome.flags, event=outcome.event)
                VisitEvent.objects.filter(pk=outcome.event.pk).update(response_status=self.created_status,
                                                                       response_body=body)
        except services.RuleRefusal as refusal:
            return Response(refusal_json(refusal), status=status.HTTP_400_BAD_REQUEST)
        except WorkOrder.DoesNotExist:
            return Response({"detail": _("未找到。")}, status=status.HTTP_404_NOT_FOUND)
        except IntegrityError:
            # The same key sent twice at once for two different work orders: the one stored first answers.
            event = VisitEvent.objects.filter(user=request.user, idempotency_key=key).first() if key else None
            if event is None or event.fingerprint != fingerprint or event.response_status is None:
                raise
            return Response(event.response_body, status=event.response_status)
        return Response(body, status=self.created_status)

    def fingerprint(self, pk, data) -> str:
        raw = json.dumps({"step": self.step, "work_order": pk, "data": data}, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def proof(data) -> services.Proof:
        from carecircle.core import uploads

        content, extension = None, ".jpg"
        if data.get("photo"):
            from django.core.files.uploadedfile import SimpleUploadedFile

            verified = uploads.verify(SimpleUploadedFile("photo", data["photo"]), kind=uploads.PHOTO)
            content, extension = verified.content, verified.extension
        return services.Proof(lat=data.get("lat"), lng=data.get("lng"), accuracy_m=data.get("accuracy_m"),
                              datum=data.get("datum") or "", device_time=data.get("device_time"),
                              mock_location=data.get("mock_location", False), photo=content,
                              photo_extension=extension, qr_code=data.get("qr_code", ""))


class CheckInView(VisitStepView):
    step = "check_in"
    created_status = status.HTTP_201_CREATED

    @extend_schema(summary=gettext_lazy("签到"), request=ProofSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def call(self, work_order, data, key, fingerprint):
        return services.visit_check_in(actor=self.request.user, work_order=work_order, proof=self.proof(data),
                                       reason=data.get("reason", ""), reason_code=data.get("reason_code", ""),
                                       key=key, fingerprint=fingerprint)


class NotHomeView(CheckInView):
    step = "not_home"

    @extend_schema(summary=gettext_lazy("老人不在家"), request=ProofSerializer)
    def post(self, request, pk: int):
        return VisitStepView.post(self, request, pk)

    def call(self, work_order, data, key, fingerprint):
        return services.visit_not_home(actor=self.request.user, work_order=work_order, proof=self.proof(data),
                                       reason=data.get("reason", ""), reason_code=data.get("reason_code", ""),
                                       key=key, fingerprint=fingerprint)


class CheckOutView(VisitStepView):
    step = "check_out"

    @extend_schema(summary=gettext_lazy("签退"), request=ProofSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def call(self, work_order, data, key, fingerprint):
        return services.visit_check_out(actor=self.request.user, work_order=work_order, proof=self.proof(data),
                                        reason=data.get("reason", ""), reason_code=data.get("reason_code", ""),
                                        key=key, fingerprint=fingerprint)


class ItemsView(VisitStepView):
    step = "items"
    serializer_class = ItemsSerializer

    @extend_schema(summary=gettext_lazy("记录服务项目"), request=ItemsSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def call(self, work_order, data, key, fingerprint):
        return services.visit_items(actor=self.request.user, work_order=work_order, items=data["items"],
                                    device_time=data.get("device_time"), key=key, fingerprint=fingerprint)


class ConfirmView(VisitStepView):
    step = "confirm"
    serializer_class = ConfirmSerializer

    @extend_schema(summary=gettext_lazy("老人或家属确认"), request=ConfirmSerializer)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def call(self, work_order, data, key, fingerprint):
        return services.visit_confirm(actor=self.request.user, work_order=work_order, method=data["method"],
                                      code=data["code"], device_time=data.get("device_time"), key=key,
                                      fingerprint=fingerprint)


class FlagSerializer(serializers.Serializer):
    rule = serializers.CharField()
    rule_label = serializers.CharField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    measured = serializers.CharField()
    threshold = serializers.CharField()
    message = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=gettext_lazy("老人"))
    caregiver_name = serializers.CharField(source="caregiver.name", read_only=True, label=gettext_lazy("护理员"))
    status_label = serializers.CharField(source="get_status_display", read_only=True, label=gettext_lazy("状态"))
    flags = serializers.SerializerMethodField(label=gettext_lazy("监管提示"))

    class Meta:
        model = Visit
        fields = ["id", "work_order", "organisation", "elder", "elder_name", "caregiver", "caregiver_name", "date",
                  "status", "status_label", "checked_in_at", "checked_out_at", "confirmed_at", "on_time",
                  "verified_at", "flags"]
        read_only_fields = fields

    @extend_schema(responses=FlagSerializer(many=True))
    def get_flags(self, visit) -> list[dict]:
        return [flag_json(flag) for flag in visit.flags.all()]


class VisitViewSet(ScopedReadOnlyViewSet):
    queryset = Visit.objects.select_related("elder", "caregiver").prefetch_related("flags")
    serializer_class = VisitSerializer
    pagination_class = Pagination
    view_capability = "visits.view"
    change_capability = None
