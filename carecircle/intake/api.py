"""REST API: `/api/v1/application-types/` and `/api/v1/applications/` (create, read, act).

Creating for an elder who already has an open application of the same type answers 200 with that application
(the merge is on its timeline); a new one answers 201. A step not allowed from the current state or for the
user's role answers 409 with the actions allowed from here."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from carecircle.core.api import ScopedModelViewSet, ScopedViewSetMixin
from carecircle.core.isolation import visible_to
from carecircle.core.pagination import Pagination
from carecircle.core.validators import TEXT_LIST_MAX_ITEMS
from carecircle.elders.models import Elder

from . import selectors, services, workflow
from .models import Application, ApplicationEvent, ApplicationType, Channel, ObjectionOutcome


class ApplicationTypeSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(label=_("适用区域代码"), slug_field="code", read_only=True)

    class Meta:
        model = ApplicationType
        fields = ["code", "name", "programme", "region", "documents", "requires_assessment", "public_notice",
                  "waitlist", "capacity"]


class ApplicationTypeViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The application types configured (per region), with the `code` used to apply. A code may be configured
    by several regions, so types are listed, not fetched one by one."""

    queryset = ApplicationType.objects.filter(is_active=True).select_related("region")
    serializer_class = ApplicationTypeSerializer
    view_capability = "intake.submit"
    change_capability = None
    pagination_class = Pagination


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationEvent
        fields = ["at", "action", "from_state", "to_state", "channel", "actor_repr", "office", "reason", "data"]


class ApplicationSerializer(serializers.ModelSerializer):
    elder = serializers.PrimaryKeyRelatedField(label=_("老人"), queryset=Elder.objects.none())
    elder_name = serializers.CharField(label=_("老人姓名"), source="elder.name", read_only=True)
    type = serializers.CharField(label=_("申请类型代码"), max_length=40, help_text=_("见 /api/v1/application-types/"))
    channel = serializers.ChoiceField(label=_("渠道"), choices=Channel.choices)
    applicant_phone = serializers.CharField(label=_("申请人电话"), max_length=20, required=False, allow_blank=True,
                                            help_text=_("写入：完整号码；读取：脱敏"))
    documents = serializers.ListField(label=_("已收材料"), child=serializers.CharField(max_length=60), max_length=TEXT_LIST_MAX_ITEMS,
                                      required=False, source="documents_received")
    state_label = serializers.CharField(label=_("状态名称"), source="get_state_display", read_only=True)
    timeline = serializers.SerializerMethodField(label=_("办理过程"))
    allowed_actions = serializers.SerializerMethodField(label=_("当前用户可进行的操作"))
    merged = serializers.SerializerMethodField(label=_("是否并入已有申请"))

    class Meta:
        model = Application
        fields = ["id", "number", "elder", "elder_name", "type", "channel", "state", "state_label",
                  "applicant_name", "applicant_relation", "applicant_phone", "documents", "note", "due_on",
                  "assessed_level", "assessment_summary", "created_at", "merged", "allowed_actions", "timeline"]
        read_only_fields = ["number", "state", "due_on", "assessed_level", "assessment_summary", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["elder"].queryset = visible_to(request.user, Elder)

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, application):
        events = getattr(application, "visible_events", None)
        if events is None:
            events = selectors.application_timeline(self.context["request"].user, application)
        return EventSerializer(events, many=True).data

    def get_allowed_actions(self, application) -> list[str]:
        return services.allowed_actions(application, self.context["request"].user,
                                        scope_checked=bool(self.context.get("scope_checked")))

    def get_merged(self, application) -> bool:
        return bool(self.context.get("merged"))

    def to_representation(self, application):
        from carecircle.core.sensitive import mask_phone

        data = super().to_representation(application)
        data["type"] = application.type.code
        data["applicant_phone"] = mask_phone(application.applicant_phone)
        return data


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(label=_("操作"), choices=workflow.ACTION_CHOICES)
    reason = serializers.CharField(label=_("原因/说明"), required=False, allow_blank=True, max_length=2000,
                                   help_text=_("不予受理、退回、不通过、撤回和答复异议须填写"))
    outcome = serializers.ChoiceField(label=_("异议处理结果"), choices=ObjectionOutcome.choices, required=False,
                                      help_text=_("仅“答复异议”使用"))
    documents = serializers.ListField(label=_("补正材料"), child=serializers.CharField(max_length=60), max_length=TEXT_LIST_MAX_ITEMS, required=False)


CONFLICT = inline_serializer("ApplicationConflict", {
    "detail": serializers.CharField(), "allowed_actions": serializers.ListField(child=serializers.CharField())})


class ApplicationViewSet(ScopedModelViewSet):
    queryset = Application.objects.select_related("elder", "type")
    serializer_class = ApplicationSerializer
    view_capability = "intake.view"
    change_capability = "intake.submit"
    pagination_class = Pagination
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            params = self.request.query_params
            queryset = queryset.filter(**({"state": params["state"]} if params.get("state") else {}))
        if self.action in ("list", "retrieve"):
            queryset = selectors.with_timeline(self.request.user, queryset)
        return queryset.order_by("-created_at", "-id")

    def get_serializer_context(self):
        # Listed and fetched applications come from get_queryset, i.e. through visible_to for this user.
        return {**super().get_serializer_context(), "scope_checked": self.action in ("list", "retrieve")}

    @extend_schema(responses={201: ApplicationSerializer, 200: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        submission = services.application_submit(
            elder=data["elder"], type_code=data["type"], channel=data["channel"], actor=request.user,
            applicant_name=data.get("applicant_name", ""), applicant_relation=data.get("applicant_relation", ""),
            applicant_phone=data.get("applicant_phone", ""), documents=data.get("documents_received", []),
            note=data.get("note", ""))
        body = ApplicationSerializer(submission.application,
                                     context={**self.get_serializer_context(), "merged": submission.merged}).data
        return Response(body, status=status.HTTP_200_OK if submission.merged else status.HTTP_201_CREATED)

    @extend_schema(request=ActionSerializer, responses={200: ApplicationSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        """Take one step of the workflow."""
        application = self.get_object()
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # An illegal step raises IllegalStep, which the API's exception handler answers with 409 (core/errors.py).
        application = services.application_act(
            application=application, action=data["action"], actor=request.user, reason=data.get("reason", ""),
            outcome=data.get("outcome", ""), documents=data.get("documents"))
        return Response(ApplicationSerializer(application, context=self.get_serializer_context()).data)
