"""Writes for care plans, absences and on-demand orders, one module per sub-domain:

* `visits`   — weekly visits: input, pricing, fitting the entitlement (no writes);
* `plans`    — care plans: create, update, stop, level change, an elder's death or move;
* `absences` — the elder is away;
* `orders`   — on-demand orders: quote, place, offer, accept, decline, cancel, complete, rate.

Every write is keyword-only, runs in one transaction and records an audit event. Bad input raises a
ValidationError naming the problem; a step the current state does not allow raises
`core.workflow.IllegalStep` (HTTP 409 in the API, with the steps that are allowed; the step tables are in
`careplans.models`). Work orders belong to the workorders app: these services change them only through
its services. Other apps import from here (`from carecircle.careplans import services`).
"""
from .absences import elder_absence_cancel, elder_absence_record
from .common import (
    HOURLY_ITEM,
    LTCI,
    NURSE,
    NURSING_HOURLY_ITEM,
    SERVING_KINDS,
    elder_entitlement,
    serving_providers,
)
from .orders import (
    SUBSIDY_HOLDING_STATUSES,
    order_offers_expire,
    order_quote,
    quote_dict,
    service_order_accept,
    service_order_cancel,
    service_order_complete,
    service_order_decline,
    service_order_place,
    service_order_rate,
    subsidy_used_in_month,
)
from .plans import (
    PREFERENCE_FIELDS,
    care_plan_create,
    care_plan_level_change,
    care_plan_stop,
    care_plan_update,
    care_plans_stop_for_elder,
)
from .visits import PlanPreview, PreviewVisit, VisitSpec, billing_lines, clean_visits, default_visits, plan_preview

__all__ = [
    "HOURLY_ITEM", "LTCI", "NURSE", "NURSING_HOURLY_ITEM", "PREFERENCE_FIELDS", "SERVING_KINDS",
    "SUBSIDY_HOLDING_STATUSES", "PlanPreview", "PreviewVisit", "VisitSpec", "billing_lines", "care_plan_create",
    "care_plan_level_change", "care_plan_stop", "care_plan_update", "care_plans_stop_for_elder", "clean_visits",
    "default_visits", "elder_absence_cancel", "elder_absence_record", "elder_entitlement", "order_offers_expire",
    "order_quote", "plan_preview", "quote_dict", "serving_providers", "service_order_accept", "service_order_cancel",
    "service_order_complete", "service_order_decline", "service_order_place", "service_order_rate",
    "subsidy_used_in_month",
]
