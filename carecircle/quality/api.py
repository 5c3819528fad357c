"""REST API: `/api/v1/complaints/` (list, file, and each step) and `/api/v1/return-visits/` (list, record a call).

Reads go through visible_to (the scoped base classes and the selectors); writes go through the services, whose
refusals answer 400 (bad input), 403 (not yours), 404 (outside the scope) or 409 (the state does not allow it)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from carecircle.core.isolation import visible_to
from carecircle.core.pagination import Pagination
from carecircle.core.workflow import allowed_actions
from carecircle.elders.models import Elder
from carecircle.providers.models import Organisation, StaffMember
from carecircle.workorders.models import WorkOrder

from . import selectors, services
from .models import Category, Channel, Complaint, Outcome, ReturnVisit


class ComplaintSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default=None,
                                              label=_("被投诉机构"))
    allowed_actions = serializers.SerializerMethodField(label=_("可执行的操作"))

    class Meta:
        model = Complaint
        fields = ["id", "elder", "elder_name", "organisation", "organisation_name", "work_order", "caregiver",
                  "channel", "category", "summary", "complainant", "status", "received_on", "accept_due",
                  "answer_due", "accepted_at", "escalated_at", "answered_at", "answer", "closed_at",
                  "complainant_satisfied", "reopen_count", "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, complaint) -> list[str]:
        request = self.context.get("request")
        return allowed_actions(complaint, request.user) if request else []


class _ScopedChoices:
    """Narrows the objects a body may name to those the caller reaches (visible_to): another scope's provider,
    visit or caregiver answers 400 on that field before anything else is looked at. The elder stays open here:
    the service answers 403 for an elder outside the caller's scope."""

    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for name, model in self.scoped_fields.items():
                self.fields[name].queryset = visible_to(request.user, model)


class ComplaintCreateSerializer(_ScopedChoices, serializers.Serializer):
    elder = serializers.PrimaryKeyRelatedField(queryset=Elder.objects.all(), label=_("老人"))
    category = serializers.ChoiceField(choices=Category.choices, label=_("投诉类别"))
    summary = serializers.CharField(max_length=2000, label=_("投诉内容"))
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, label=_("来源渠道"))
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False,
                                                      allow_null=True, label=_("被投诉机构"))
    work_order = serializers.PrimaryKeyRelatedField(queryset=WorkOrder.objects.all(), required=False, allow_null=True,
                                                    label=_("相关上门服务"))
    caregiver = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.all(), required=False,
                                                   allow_null=True, label=_("相关护理员"))
    complainant = serializers.CharField(max_length=50, required=False, allow_blank=True, label=_("投诉人"))

    scoped_fields = {"organisation": Organisation, "work_order": WorkOrder, "caregiver": StaffMember}


class ComplaintAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000, label=_("答复内容"))


class ComplaintAcceptSerializer(_ScopedChoices, serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False,
                                                      allow_null=True, label=_("转交的服务机构"))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("说明"))

    scoped_fields = {"organisation": Organisation}


class ComplaintReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("理由"))


class ComplaintCloseSerializer(serializers.Serializer):
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None, label=_("投诉人是否满意"))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("说明"))


STEP_CAPABILITIES = {"create": "quality.file", "accept": "quality.handle", "escalate": "quality.handle",
                     "close": "quality.handle", "answer": "quality.respond", "reopen": "quality.file"}


class ComplaintViewSet(ScopedModelViewSet):
    queryset = Complaint.objects.select_related("elder", "organisation")
    serializer_class = ComplaintSerializer
    pagination_class = Pagination
    view_capability = "quality.view"
    http_method_names = ["get", "post", "head", "options"]

    @property
    def change_capability(self):
        return STEP_CAPABILITIES.get(getattr(self, "action", None), "quality.handle")

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.complaint_list(self.request.user, q=params.get("q", ""), status=params.get("status", ""),
                                            channel=params.get("channel", ""), category=params.get("category", ""),
                                            organisation_id=params.get("organisation"),
                                            overdue=params.get("overdue") in ("1", "true"))
        return super().get_queryset()

    def get_serializer_class(self):
        return ComplaintCreateSerializer if self.action == "create" else ComplaintSerializer

    def _answer(self, complaint, code=status.HTTP_200_OK):
        return Response(ComplaintSerializer(complaint, context={"request": self.request}).data, status=code)

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer}, summary=_("登记投诉"))
    def create(self, request, *args, **kwargs):
        body = ComplaintCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        complaint = services.complaint_file(actor=request.user, **body.validated_data)
        return self._answer(complaint, status.HTTP_201_CREATED)

    @extend_schema(request=ComplaintAcceptSerializer, responses={200: ComplaintSerializer}, summary=_("受理并转交机构"))
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ComplaintAcceptSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return self._answer(services.complaint_accept(actor=request.user, complaint=target,
                                                      **body.validated_data))

    @extend_schema(request=ComplaintAnswerSerializer, responses={200: ComplaintSerializer}, summary=_("答复投诉"))
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ComplaintAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.complaint_answer(actor=request.user, complaint=target,
                                                      answer=body.validated_data["answer"]))

    @extend_schema(request=ComplaintReasonSerializer, responses={200: ComplaintSerializer}, summary=_("升级至区民政"))
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ComplaintReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.complaint_escalate(actor=request.user, complaint=target,
                                                        reason=body.validated_data.get("reason", "")))

    @extend_schema(request=ComplaintCloseSerializer, responses={200: ComplaintSerializer}, summary=_("办结"))
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ComplaintCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.complaint_close(actor=request.user, complaint=target,
                                                     satisfied=body.validated_data.get("satisfied"),
                                                     note=body.validated_data.get("note", "")))

    @extend_schema(request=ComplaintReasonSerializer, responses={200: ComplaintSerializer}, summary=_("重新处理"))
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ComplaintReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.complaint_reopen(actor=request.user, complaint=target,
                                                      reason=body.validated_data.get("reason", "")))


class ReturnVisitSerializer(serializers.ModelSerializer):
    elder_name = serializers.CharField(source="elder.name", read_only=True, label=_("老人"))

    class Meta:
        model = ReturnVisit
        fields = ["id", "elder", "elder_name", "organisation", "work_order", "visit_id", "complaint", "reason",
                  "status", "period", "due_on", "attempts", "satisfaction", "notes", "completed_at"]
        read_only_fields = fields


class ReturnVisitCallSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, label=_("结果"))
    # Checked by the service (1–5 when reached, empty otherwise): "abc", 0 or 6 answer 400 naming the field.
    satisfaction = serializers.JSONField(required=False, allow_null=True, label=_("满意度"))
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("记录"))


class ReturnVisitViewSet(ScopedReadOnlyViewSet):
    queryset = ReturnVisit.objects.select_related("elder")
    serializer_class = ReturnVisitSerializer
    pagination_class = Pagination
    view_capability = "quality.call"
    change_capability = "quality.call"

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.return_visit_list(self.request.user, status=params.get("status", ""),
                                               reason=params.get("reason", ""), q=params.get("q", ""))
        return super().get_queryset()

    def get_serializer_class(self):
        return ReturnVisitCallSerializer if self.action == "record" else ReturnVisitSerializer

    @extend_schema(request=ReturnVisitCallSerializer, responses={200: ReturnVisitSerializer}, summary=_("记录回访通话"))
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        target = self.get_object()  # outside the reader's scope: 404, whatever the body
        body = ReturnVisitCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = services.return_visit_record(actor=request.user, return_visit=target,
                                             outcome=body.validated_data["outcome"],
                                             satisfaction=body.validated_data.get("satisfaction"),
                                             notes=body.validated_data.get("notes", ""))
        return Response(ReturnVisitSerializer(visit).data)

