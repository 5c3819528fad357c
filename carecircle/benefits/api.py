from rest_framework import serializers

from carecircle.core.api import ScopedReadOnlyViewSet
from carecircle.core.params import query_id
from carecircle.core.policy import policy_label
from carecircle.core.validators import parse_month

from .models import PaymentLine


class PaymentLineSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()
    for_month = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    kind_label = serializers.CharField(source="get_kind_display")
    status_label = serializers.CharField(source="get_status_display")
    rule = serializers.SerializerMethodField()

    class Meta:
        model = PaymentLine
        fields = ["id", "elder", "month", "for_month", "kind", "kind_label", "band", "amount", "status",
                  "status_label", "rule", "note"]

    def get_month(self, line) -> str:
        return f"{line.run.month:%Y-%m}"

    def get_for_month(self, line) -> str:
        return f"{line.for_month:%Y-%m}"

    def get_rule(self, line) -> str:
        rule = dict(line.rule or {})
        if rule.get("key", "").startswith("benefits.age_allowance"):
            rule["label"] = policy_label(rule["key"])
        return rule


class PaymentLineViewSet(ScopedReadOnlyViewSet):
    """`?month=YYYY-MM` (the run's month) and `?elder=<id>` narrow the lines; each line carries its band, its
    amount as a decimal string and the policy rule behind it."""

    queryset = PaymentLine.objects.select_related("run").order_by("run__month", "elder_id", "for_month", "id")
    serializer_class = PaymentLineSerializer
    view_capability = "benefits.view"

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if params.get("month"):
            qs = qs.filter(run__month=parse_month(params["month"]))
        elder = query_id(params, "elder")
        if elder is not None:
            qs = qs.filter(elder_id=elder)
        return qs
