"""REST API: `/api/v1/rating-schemes/` (the schemes, their parts and items, and a dry-run score that saves
nothing), and the inspections, rectification notices and star ratings within the reader's scope."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from carecircle.core.api import ScopedReadOnlyViewSet

from . import selectors, services
from .choices import SchemeKind
from .models import Inspection, Problem, RatingScheme, RectificationNotice, StarRating


class RatingSchemeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = RatingScheme
        fields = ["code", "version", "name", "max_points"]


class SchemeScoreRequestSerializer(serializers.Serializer):
    points = serializers.DictField(child=serializers.DecimalField(max_digits=7, decimal_places=1),
                                   help_text="item code → points")
    hard_stops = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=50)


class RatingSchemeViewSet(ScopedReadOnlyViewSet):
    """The rating schemes in force (reference data every reader with the capability sees), and `score`: a
    dry run of a set of item points."""

    queryset = RatingScheme.objects.filter(kind=SchemeKind.STAR_RATING, is_current=True).order_by("code")
    view_capability = "inspections.view"
    change_capability = "inspections.view"  # scoring saves nothing
    lookup_field = "code"
    lookup_url_kwarg = "code"
    lookup_value_regex = "[a-z0-9-]+"
    pagination_class = None
    serializer_class = RatingSchemeSerializer

    def _scheme(self, code):
        scheme = self.get_queryset().filter(code=code).first()
        if scheme is None:
            raise NotFound(_("没有这个评定标准"))
        return scheme

    def list(self, request):
        return Response(RatingSchemeSerializer(self.get_queryset(), many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request, code=None):
        scheme = self._scheme(code)
        data = scheme.data
        return Response({
            "code": scheme.code, "version": scheme.version, "name": scheme.name, "max_points": scheme.max_points,
            "source": scheme.source, "part_min_share": data.get("part_min_share"), "bands": data.get("bands", []),
            "grades": data.get("grades", []),
            "parts": [{"code": p["code"], "name": p["name_zh"], "name_en": p["name_en"], "max_points": p["max_points"],
                       "items": [{"code": i["code"], "text": i["text_zh"], "text_en": i["text_en"],
                                  "max_points": i["max_points"], "evidence": i["evidence_zh"],
                                  "text_known": i["text_known"]} for i in p["items"]]}
                      for p in data["parts"]],
            "hard_stops": [{"code": h["code"], "category": h["category_zh"], "text": h["text_zh"],
                            "text_known": h["text_known"]} for h in selectors.hazard_items(scheme)],
        })

    @extend_schema(request=SchemeScoreRequestSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def score(self, request, code=None):
        """Scores `{"points": {...}, "hard_stops": [...]}` without saving: each part's score and maximum, the
        total, the stars (0 where none is awarded) and every rule that applied."""
        scheme = self._scheme(code)
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": [_("请求体必须是 JSON 对象")]}, status=status.HTTP_400_BAD_REQUEST)
        points = request.data.get("points", {})
        hard_stops = request.data.get("hard_stops", [])
        try:
            result = services.score_points(scheme, points, hard_stops)
        except DjangoValidationError as error:
            return Response({k: [str(m) for m in v] for k, v in error.message_dict.items()},
                            status=status.HTTP_400_BAD_REQUEST)
        trace = services.trace_of(result)
        return Response({"scheme": scheme.code, "version": scheme.version, **trace})


class InspectionSerializer(serializers.ModelSerializer):
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    scheme_code = serializers.CharField(source="scheme.code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "facility", "facility_name", "scheme_code", "kind", "kind_display", "period", "unannounced",
                  "due_on", "status", "status_display", "points", "hard_stops", "notes", "total", "stars", "passed",
                  "trace", "submitted_at", "acknowledged_at"]


class InspectionViewSet(ScopedReadOnlyViewSet):
    queryset = Inspection.objects.all()
    serializer_class = InspectionSerializer
    view_capability = "inspections.view"

    def get_queryset(self):
        return selectors.inspections_for(self.request.user, super().get_queryset())


class ProblemSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "item_code", "hard_stop", "description", "working_days", "due_on", "status",
                  "status_display", "response", "responded_at", "check_note", "checked_at", "escalation"]


class NoticeSerializer(serializers.ModelSerializer):
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    problems = ProblemSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationNotice
        fields = ["id", "number", "inspection", "facility", "facility_name", "status", "due_on", "issued_at",
                  "closed_at", "problems"]


class RectificationViewSet(ScopedReadOnlyViewSet):
    queryset = RectificationNotice.objects.all()
    serializer_class = NoticeSerializer
    view_capability = "inspections.view"

    def get_queryset(self):
        return selectors.notices_for(self.request.user, super().get_queryset()).prefetch_related("problems")


class RatingSerializer(serializers.ModelSerializer):
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    scheme_code = serializers.CharField(source="scheme.code", read_only=True)

    class Meta:
        model = StarRating
        fields = ["id", "facility", "facility_name", "scheme_code", "inspection", "stars", "valid_from",
                  "valid_until", "status"]


class RatingViewSet(ScopedReadOnlyViewSet):
    queryset = StarRating.objects.all()
    serializer_class = RatingSerializer
    view_capability = "inspections.view"
