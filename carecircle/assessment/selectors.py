"""Reads for assessment. Functions that list things take the acting user and go through visible_to."""
from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter, policy_value

from .models import Assessment, AssessmentOrder, AssessmentStatus, CareLevel, OrderStatus


def current_care_level(elder, *, programme: str = "ltci", on: dt.date | None = None) -> CareLevel | None:
    """The level in force for the elder on that date (internal lookup, no user)."""
    on = on or timezone.localdate()
    return (CareLevel.objects.filter(elder=elder, programme=programme, valid_from__lte=on)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
            .order_by("-valid_from", "-id").first())


def order_list(*, user, search: str = "", status: str = "", reason: str = "", programme: str = "",
               mine: bool = False):
    qs = visible_to(user, AssessmentOrder).select_related("elder", "elder__community", "agency",
                                                          "assessor_1", "assessor_2")
    if search:
        qs = qs.filter(Q(elder__name__icontains=search.strip()) | Q(elder__name_initials__iexact=search.strip()))
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if programme:
        qs = qs.filter(programme=programme)
    if mine:
        qs = qs.filter(Q(assessor_1=user) | Q(assessor_2=user))
    return qs.order_by("-created_at", "-id")


def assessment_history(*, user, elder) -> list[dict]:
    """The elder's final results, newest first, each with what changed since the one before."""
    rows = list(visible_to(user, Assessment).filter(elder=elder, status=AssessmentStatus.FINAL)
                .select_related("order", "order__agency").order_by("finalised_at", "id"))
    history = []
    previous = None
    for row in rows:
        history.append({"assessment": row, "changes": differences(previous, row) if previous else []})
        previous = row
    return list(reversed(history))


def differences(old: Assessment, new: Assessment) -> list[dict]:
    """Level, dimension and item differences between two results (items only when the instrument is the same)."""
    changes = []
    if old.final_level != new.final_level:
        changes.append({"what": "final_level", "old": old.final_level, "new": new.final_level})
    if old.care_level != new.care_level:
        changes.append({"what": "care_level", "old": old.care_level, "new": new.care_level})
    old_dims, new_dims = old.result.get("dimensions", {}), new.result.get("dimensions", {})
    for code, dim in new_dims.items():
        if code in old_dims and old_dims[code].get("score") != dim.get("score"):
            changes.append({"what": "dimension", "code": code, "old": old_dims[code]["score"], "new": dim["score"]})
    if old.instrument_code == new.instrument_code:
        instrument = new.instrument
        for item in instrument.items:
            a, b = old.answers.get(item.code), new.answers.get(item.code)
            if a != b:
                changes.append({"what": "item", "code": item.code, "name": item.name, "old": a, "new": b})
    return changes


def expiring(*, user, on: dt.date | None = None, days: int | None = None):
    """Final results whose validity ends within the reminder window (and with no newer result yet)."""
    on = on or timezone.localdate()
    qs = visible_to(user, Assessment).filter(status=AssessmentStatus.FINAL, valid_until__isnull=False)
    if days is None:
        region = getattr(user, "scope_region", None) or (user.organisation.region if user.organisation_id else None)
        try:
            days = int(policy_value("assessment.renewal_reminder_days", region=region, on=on)) if region else 60
        except MissingPolicyParameter:
            days = 60
    qs = qs.filter(valid_until__lte=on + dt.timedelta(days=days))
    newer = Assessment.objects.filter(elder_id=OuterRef("elder_id"), order__programme=OuterRef("order__programme"),
                                      status=AssessmentStatus.FINAL, finalised_at__gt=OuterRef("finalised_at"))
    open_orders = AssessmentOrder.objects.filter(
        elder_id=OuterRef("elder_id"), programme=OuterRef("order__programme"),
        status__in=[OrderStatus.ASSIGNED, OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS, OrderStatus.SUBMITTED])
    qs = (qs.annotate(superseded=Exists(newer), has_open_order=Exists(open_orders)).filter(superseded=False)
          .select_related("elder", "elder__community", "order", "order__agency").order_by("valid_until", "id"))
    return [{"assessment": a, "days_left": (a.valid_until - on).days, "open_order": a.has_open_order} for a in qs]


def quality(*, user, since: dt.date | None = None):
    """Per agency and per assessor: volume, level distribution, order-to-result time, share changed on re-assessment."""
    qs = visible_to(user, Assessment).filter(status=AssessmentStatus.FINAL).select_related("order", "order__agency")
    if since:
        qs = qs.filter(finalised_at__date__gte=since)
    duration = ExpressionWrapper(F("order__finalised_at") - F("order__created_at"), output_field=DurationField())
    agencies = []
    for row in (qs.values("order__agency_id", "order__agency__name")
                .annotate(n=Count("id"), avg_duration=Avg(duration)).order_by("order__agency__name")):
        mine = qs.filter(order__agency_id=row["order__agency_id"])
        agencies.append({
            "id": row["order__agency_id"], "name": row["order__agency__name"], "n": row["n"],
            "avg_days": round(row["avg_duration"].total_seconds() / 86400, 1) if row["avg_duration"] else None,
            "levels": _distribution(mine), "mean_level": _mean_level(mine),
            "reassessed": _changed_share(mine),
        })
    assessors = []
    for row in (qs.values("order__assessor_1_id", "order__assessor_1__display_name", "order__assessor_1__username")
                .annotate(n=Count("id")).order_by("-n")):
        if row["order__assessor_1_id"] is None:
            continue
        mine = qs.filter(Q(order__assessor_1_id=row["order__assessor_1_id"]) |
                         Q(order__assessor_2_id=row["order__assessor_1_id"]))
        assessors.append({"name": row["order__assessor_1__display_name"] or row["order__assessor_1__username"],
                          "n": mine.count(), "levels": _distribution(mine), "mean_level": _mean_level(mine)})
    overall = _mean_level(qs)
    threshold, min_volume = _drift_policy(user)
    for row in agencies:
        row["drift"] = round(row["mean_level"] - overall, 2) if row["mean_level"] is not None and overall is not None \
            else None
        row["flagged"] = (row["drift"] is not None and threshold is not None and row["n"] >= min_volume
                          and abs(row["drift"]) >= threshold)
    return {"agencies": agencies, "assessors": assessors, "overall_mean": overall, "threshold": threshold,
            "min_volume": min_volume}


def _drift_policy(user):
    """The drift threshold and minimum volume in force for the user's region (None when not set)."""
    region = getattr(user, "scope_region", None) if getattr(user, "scope_region_id", None) else None
    if region is None:
        return None, 0
    try:
        threshold = float(policy_value("assessment.quality.drift_threshold", region=region))
        min_volume = int(policy_value("assessment.quality.min_volume", region=region))
    except MissingPolicyParameter:
        return None, 0
    return threshold, min_volume


def _distribution(qs) -> dict[int, int]:
    return {r["final_level"]: r["n"] for r in qs.values("final_level").annotate(n=Count("id")).order_by("final_level")}


def _mean_level(qs):
    value = qs.aggregate(m=Avg("final_level"))["m"]
    return round(value, 2) if value is not None else None


def _changed_share(qs) -> dict:
    """Of this agency's results that were later re-assessed, how many came out at a different level."""
    follows = Assessment.objects.filter(order__previous=OuterRef("pk"), status=AssessmentStatus.FINAL)
    rows = qs.annotate(followed=Exists(follows),
                       follow_level=Subquery(follows.order_by("finalised_at", "id").values("final_level")[:1]))
    total = changed = 0
    for row in rows.filter(followed=True).values("final_level", "follow_level"):
        total += 1
        if row["follow_level"] != row["final_level"]:
            changed += 1
    return {"reassessed": total, "changed": changed, "share": round(changed / total, 2) if total else None}


def elder_timeline(user, elder, limit: int):
    """The elder's assessment orders (ordered, and their results) and care levels, newest first."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    can_open = has_capability(user, "assessment.view")
    entries = []
    for order in (visible_to(user, AssessmentOrder).filter(elder=elder).select_related("agency")
                  .order_by("-created_at", "-id")[:limit]):
        url = reverse("assessment:order", args=[order.pk]) if can_open else ""
        entries.append(TimelineEntry(
            at=order.created_at, kind=_("评估"),
            title=_("评估任务：%(reason)s，%(status)s") % {"reason": order.get_reason_display(),
                                                       "status": order.get_status_display()},
            detail=order.agency.name, url=url))
        if order.finalised_at:
            entries.append(TimelineEntry(at=order.finalised_at, kind=_("评估"), title=_("评估出结果"),
                                         detail=order.agency.name, url=url))
    for level in visible_to(user, CareLevel).filter(elder=elder).order_by("-valid_from", "-id")[:limit]:
        entries.append(TimelineEntry(
            at=level.valid_from, kind=_("照护等级"),
            title=_("%(programme)s 照护等级 %(level)s 级") % {"programme": level.get_programme_display(),
                                                         "level": level.level},
            detail=(_("有效期至 %(date)s") % {"date": level.valid_until.isoformat()}) if level.valid_until else "",
            url=reverse("assessment:history", args=[elder.pk]) if can_open else ""))
    return entries


def workbench_queues(user, *, now=None) -> list:
    """An assessor's appointments: today's, with the earlier ones still not assessed first (overdue)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    if not has_capability(user, "assessment.assess"):
        return []
    now = now or timezone.now()
    end_of_today = timezone.make_aware(dt.datetime.combine(timezone.localdate(now) + dt.timedelta(days=1),
                                                           dt.time.min))
    mine = (visible_to(user, AssessmentOrder).filter(Q(assessor_1=user) | Q(assessor_2=user))
            .filter(status__in=[OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS], appointment_at__lt=end_of_today)
            .select_related("elder__community"))

    def item(order, overdue):
        return QueueItem(title=_("%(time)s · %(name)s") % {"time": timezone.localtime(order.appointment_at)
                                                          .strftime("%H:%M"), "name": order.elder.name},
                         url=reverse("assessment:order", args=[order.pk]), due=order.appointment_at,
                         detail=order.elder.address, overdue=overdue)

    return [queue_card(order=5, key="appointments_today", label=gettext_lazy("今天的上门评估"),
                       url_name="assessment:list", queryset=mine, due_field="appointment_at", cutoff=now,
                       item=item)]


def instrument_words(code: str) -> str:
    """An instrument's name in the reader's language (for other apps' pages)."""
    from .explain import instrument_name

    return instrument_name(code)


def ability_level_words(result: dict, level) -> str:
    """The name of an ability level of an assessment's result, in the reader's language."""
    from .explain import level_label

    return level_label(result, level)


def result_explanation(assessment) -> str:
    """How an assessment's level came about, in the reader's language (made from the stored result)."""
    from .explain import explain

    return explain(assessment.result) if assessment is not None and assessment.result else ""
