"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_careplans(world):
    from carecircle.workorders.models import WorkOrder
    from carecircle.careplans.models import (
        CarePlan,
        ElderAbsence,
        OrderOffer,
        PlanChange,
        PlanVisit,
        ServiceOrder,
    )

    d = world.district
    day = dt.date(2026, 12, 1)
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
    # Plans and orders exist only with a provider serving the elder's community (A2 has none).
    pairs = ((d.elders.a1, d.provider), (d.elders.b1, d.other_provider), (world.outside.elder, world.outside.provider))
    for elder, org in pairs:
        plan = CarePlan.objects.create(elder=elder, organisation=org, care_level=4, visits_per_week_entitled=5,
                                       minutes_per_visit_entitled=60, weekly_minutes_cap=300, valid_from=day)
        visit = PlanVisit.objects.create(plan=plan, weekday=1, window_start=dt.time(9), window_end=dt.time(10),
                                         duration_minutes=60)
        PlanChange.objects.create(plan=plan, kind="created", effective=day, explanation="access matrix")
        ElderAbsence.objects.create(elder=elder, kind="travel", starts_on=day, ends_on=day)
        order = ServiceOrder.objects.create(elder=elder, organisation=org, channel="phone", service_date=day,
                                            window_start=dt.time(14), window_end=dt.time(16), total="80.00",
                                            fund="0.00", subsidy="0.00", self_pay="80.00")
        OrderOffer.objects.create(order=order, organisation=org, offered_at=now, deadline=now)
        WorkOrder.objects.create(organisation=org, elder=elder, date=day, window_start=dt.time(9),
                                 window_end=dt.time(10), duration_minutes=60, source="plan", plan_visit=visit)


MAKERS = {
    "careplans.careplan": make_careplans,
    "careplans.serviceorder": make_careplans,
    "careplans.orderoffer": make_careplans,
    "workorders.workorder": make_careplans,  # made here: each comes from one of these plans' visits
    "careplans.elderabsence": make_careplans,
    "careplans.planchange": make_careplans,
}
