"""Provider API (read-only): organisations, facilities and staff, each narrowed by visible_to.
Staff ID and phone numbers leave the server masked only."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from carecircle.core.api import ScopedReadOnlyViewSet
from carecircle.core.policy import MissingPolicyParameter

from . import selectors
from .models import Certificate, Facility, Organisation, StaffMember


class OrganisationSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "credit_code", "region_code", "region_name", "parent", "address",
                  "contact_name", "contact_phone", "is_active"]


class FacilitySerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    community_code = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Facility
        fields = ["id", "name", "kind", "organisation", "organisation_name", "community_code", "community_name",
                  "address", "beds", "nursing_beds", "floor_area_m2", "opening_hours", "lat", "lng", "is_active"]


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "qualification", "number", "issued_on", "expires_on"]


class StaffSerializer(serializers.ModelSerializer):
    id_number_masked = serializers.SerializerMethodField(help_text=_("身份证号（前 6 后 4）"))
    phone_masked = serializers.SerializerMethodField(help_text=_("手机号（前 3 后 4）"))
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    certificates = CertificateSerializer(many=True, read_only=True)

    class Meta:
        model = StaffMember
        fields = ["id", "name", "gender", "organisation", "organisation_name", "position", "id_number_masked",
                  "phone_masked", "dialects", "hired_on", "is_active", "certificates"]

    def get_id_number_masked(self, staff) -> str:
        return StaffMember._meta.get_field("id_number").mask(staff.id_number)

    def get_phone_masked(self, staff) -> str:
        return StaffMember._meta.get_field("phone").mask(staff.phone)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("search", str, description=_("机构名称或统一社会信用代码")),
    OpenApiParameter("kind", str, description=_("机构类型")),
    OpenApiParameter("region", str, description=_("区划代码（含下级）")),
]))
class OrganisationViewSet(ScopedReadOnlyViewSet):
    queryset = Organisation.objects.select_related("region").order_by("name", "id")
    serializer_class = OrganisationSerializer
    view_capability = "providers.view"
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.organisation_list(user=self.request.user, search=params.get("search", ""),
                                               kind=params.get("kind", ""),
                                               region_code=params.get("region", "")).order_by("name", "id")
        return super().get_queryset()


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("search", str, description=_("设施名称或地址")),
    OpenApiParameter("kind", str, description=_("设施类型")),
    OpenApiParameter("organisation", int, description=_("运营机构编号")),
    OpenApiParameter("region", str, description=_("区划代码（含下级）")),
]))
class FacilityViewSet(ScopedReadOnlyViewSet):
    queryset = Facility.objects.select_related("organisation", "community").order_by("name", "id")
    serializer_class = FacilitySerializer
    view_capability = "providers.view"
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.facility_list(user=self.request.user, search=params.get("search", ""),
                                           kind=params.get("kind", ""),
                                           organisation_id=params.get("organisation", ""),
                                           region_code=params.get("region", "")).order_by("name", "id")
        return super().get_queryset()


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("search", str, description=_("姓名")),
    OpenApiParameter("organisation", int, description=_("机构编号")),
    OpenApiParameter("position", str, description=_("岗位")),
    OpenApiParameter("qualification", str, description=_("资质")),
    OpenApiParameter("certificate", str, enum=["expiring", "expired"], description=_("证书即将到期/已过期")),
]))
class StaffViewSet(ScopedReadOnlyViewSet):
    queryset = StaffMember.objects.select_related("organisation").prefetch_related("certificates").order_by("id")
    serializer_class = StaffSerializer
    view_capability = "providers.view"
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            try:
                return selectors.staff_list(user=self.request.user, search=params.get("search", ""),
                                            organisation_id=params.get("organisation", ""),
                                            position=params.get("position", ""),
                                            qualification=params.get("qualification", ""),
                                            certificate=params.get("certificate", "")).prefetch_related("certificates")
            except MissingPolicyParameter as missing:
                raise serializers.ValidationError({"certificate": [str(missing)]})
        return super().get_queryset()
