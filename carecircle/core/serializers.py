from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Confidence, PolicyParameter
from .region_tree import region_model


class PolicyParameterSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    needs_confirmation = serializers.BooleanField(read_only=True)

    class Meta:
        model = PolicyParameter
        fields = ["id", "key", "region", "region_name", "value", "effective_from", "source", "confidence",
                  "needs_confirmation", "note", "created_at"]


class PolicyParameterCreateSerializer(serializers.Serializer):
    key = serializers.CharField(label=_("参数"))
    region = serializers.SlugRelatedField(label=_("适用区域（区划代码）"), slug_field="code",
                                          queryset=region_model()._default_manager.all())
    value = serializers.JSONField(label=_("取值"))
    effective_from = serializers.DateField(label=_("生效日期"))
    source = serializers.CharField(label=_("来源"))
    confidence = serializers.ChoiceField(label=_("可信度"), choices=Confidence.choices)
    note = serializers.CharField(label=_("说明"), required=False, allow_blank=True, default="")
    reason = serializers.CharField(label=_("原因"), required=False, allow_blank=True, default="")


class PolicyInForceSerializer(serializers.Serializer):
    key = serializers.CharField()
    region = serializers.CharField(help_text=_("查询的区域"))
    date = serializers.DateField()
    value = serializers.JSONField()
    effective_from = serializers.DateField()
    set_on_region = serializers.CharField(help_text=_("取值所在区域的区划代码"))
    inherited = serializers.BooleanField(help_text=_("是否继承自上级区域"))
    source = serializers.CharField()
    confidence = serializers.CharField()
    needs_confirmation = serializers.BooleanField()
