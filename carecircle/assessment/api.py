"""REST API: `/api/v1/instruments/` (definitions and the dry-run score), `/api/v1/assessment-orders/`,
`/api/v1/assessments/` and `/api/v1/care-levels/`. Reads go through visible_to; writes through the services."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from carecircle.core.api import CapabilityPermission, ScopedReadOnlyViewSet
from carecircle.core.pagination import Pagination
from carecircle.core.params import query_id
from carecircle.core.validators import IdField, TextListField
from carecircle.engines.scoring import instrument_codes, load_instrument

from . import services
from .models import Assessment, AssessmentOrder, CareLevel
from .scoring import score_answers


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    points = serializers.IntegerField()
    text = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    dimension = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    options = OptionSerializer(many=True)


class InstrumentSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()
    source = serializers.CharField()
    pending_confirmation = serializers.BooleanField()
    pending = serializers.ListField(child=serializers.CharField())
    items = ItemSerializer(many=True)


class ScoreRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True), label=_("作答（项目代码 → 选项代码）"))
    diagnoses = TextListField(required=False, label=_("疾病诊断（ICD-10）"))
    risk_events_30d = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False,
                                            label=_("近30天照护风险事件次数"))
    coma = serializers.BooleanField(required=False, label=_("昏迷（A.5.11）"))
    claimed_totals = serializers.DictField(child=serializers.IntegerField(), required=False,
                                           label=_("调用方计算的总分（可选，用于核对）"))


SCORE_RESPONSE = inline_serializer("ScoreResponse", {
    "instrument": serializers.CharField(), "version": serializers.CharField(),
    "dimensions": serializers.DictField(child=serializers.DictField()), "total": serializers.IntegerField(),
    "initial_level": serializers.IntegerField(allow_null=True), "final_level": serializers.IntegerField(allow_null=True),
    "level_name": serializers.CharField(), "adjustments": serializers.ListField(child=serializers.DictField()),
    "decisions": serializers.ListField(child=serializers.DictField()),
    "pending_confirmation": serializers.BooleanField(), "grade": serializers.CharField(required=False),
    "may_apply": serializers.BooleanField(required=False), "explanation": serializers.CharField(),
})


class InstrumentViewSet(viewsets.ViewSet):
    """The versioned instruments and a dry-run score that saves nothing."""

    permission_classes = [permissions.IsAuthenticated, CapabilityPermission]
    view_capability = "assessment.score"
    change_capability = "assessment.score"
    lookup_field = "code"
    lookup_url_kwarg = "instrument"
    lookup_value_regex = "[a-z0-9_]+"

    def _instrument(self, code):
        try:
            return load_instrument(code)
        except KeyError:
            raise NotFound(_("未知的评估工具“%(code)s”（可选：%(allowed)s）") % {
                "code": code, "allowed": "、".join(instrument_codes())})

    @extend_schema(responses=InstrumentSerializer(many=True))
    def list(self, request):
        return Response([self._data(load_instrument(c)) for c in instrument_codes()])

    @extend_schema(responses=InstrumentSerializer)
    def retrieve(self, request, instrument=None):
        return Response(self._data(self._instrument(instrument)))

    def _data(self, instrument):
        return {"code": instrument.code, "version": instrument.version, "name": instrument.name,
                "source": instrument.source, "pending_confirmation": instrument.pending_confirmation,
                "pending": list(instrument.pending),
                "items": [{"code": i.code, "dimension": i.dimension, "name": i.name, "definition": i.definition,
                           "options": [{"code": o.code, "points": o.points, "text": o.text} for o in i.options]}
                          for i in instrument.items]}

    @extend_schema(request=ScoreRequestSerializer, responses={200: SCORE_RESPONSE})
    @action(detail=True, methods=["post"])
    def score(self, request, instrument=None):
        """Score an answer set (dry run). 400 names every missing, unknown or impossible item."""
        from .explain import explain

        code = self._instrument(instrument).code
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": [str(_("请求体必须是 JSON 对象"))]}, status=status.HTTP_400_BAD_REQUEST)
        user = request.user
        region = user.scope_region if user.scope_region_id else (user.organisation.region if user.organisation_id else None)
        try:
            result = score_answers(code, dict(request.data), region=region)
        except DjangoValidationError as error:
            return Response({k: [str(m) for m in v] for k, v in error.message_dict.items()},
                            status=status.HTTP_400_BAD_REQUEST)
        result["explanation"] = explain(result)
        return Response(result)


class OrderSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = AssessmentOrder
        fields = ["id", "elder", "elder_name", "programme", "reason", "reason_note", "application_id",
                  "instrument_code", "agency", "agency_name", "assignment_method", "assessor_1", "assessor_2",
                  "appointment_at", "status", "created_at", "finalised_at"]


class AssessmentSerializer(serializers.ModelSerializer):
    explanation = serializers.CharField(read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "order", "elder", "instrument_code", "instrument_version", "ruleset_hash", "status", "total",
                  "initial_level", "final_level", "care_level", "pending_confirmation", "settings_used", "result",
                  "explanation", "valid_from", "valid_until", "finalised_at"]


class CareLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareLevel
        fields = ["id", "elder", "programme", "level", "source", "external_source", "assessment", "valid_from",
                  "valid_until", "created_at"]


class ExternalLevelSerializer(serializers.Serializer):
    elder = IdField()
    programme = serializers.CharField()
    level = serializers.IntegerField()
    source = serializers.CharField(max_length=200)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True)


class OrderViewSet(ScopedReadOnlyViewSet):
    queryset = AssessmentOrder.objects.select_related("elder", "agency")
    serializer_class = OrderSerializer
    view_capability = "assessment.view"
    pagination_class = Pagination


class AssessmentViewSet(ScopedReadOnlyViewSet):
    queryset = Assessment.objects.select_related("order")
    serializer_class = AssessmentSerializer
    view_capability = "assessment.view"
    pagination_class = Pagination


@extend_schema(parameters=[OpenApiParameter("elder", OpenApiTypes.INT, description=_("老人编号"))])
class CareLevelViewSet(ScopedReadOnlyViewSet):
    queryset = CareLevel.objects.all()
    serializer_class = CareLevelSerializer
    view_capability = "assessment.view"
    change_capability = "assessment.import"
    pagination_class = Pagination

    def get_queryset(self):
        qs = super().get_queryset()
        elder = query_id(self.request.query_params, "elder")
        return qs if elder is None else qs.filter(elder_id=elder)

    def get_permissions(self):
        if self.action == "external":
            self.view_capability = "assessment.import"
        return super().get_permissions()

    @extend_schema(request=ExternalLevelSerializer, responses={201: CareLevelSerializer})
    @action(detail=False, methods=["post"])
    def external(self, request):
        """Import a level decided by another system (e.g. a city's own assessment), with its source."""
        from carecircle.core.isolation import visible_to
        from carecircle.elders.models import Elder

        body = ExternalLevelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        elder = visible_to(request.user, Elder).filter(pk=data["elder"]).first()
        if elder is None:
            raise NotFound(_("该老人不存在或不在您的管辖范围内"))
        row = services.care_level_record_external(elder=elder, programme=data["programme"], level=data["level"],
                                                  source=data["source"], valid_from=data["valid_from"],
                                                  valid_until=data.get("valid_until"), actor=request.user)
        return Response(CareLevelSerializer(row).data, status=status.HTTP_201_CREATED)
