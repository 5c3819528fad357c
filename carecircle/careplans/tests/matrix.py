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


# Bodies a user could send successfully, naming objects inside their scope: the access matrix swaps one foreign
# key at a time for an object outside the scope and expects a refusal with nothing written. Keyed by route name.
def _elder_of(user):
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder

    return visible_to(user, Elder).order_by("pk").first()


def _pk(obj):
    return obj.pk if obj is not None else None


VISITS = [{"weekday": 1, "window_start": "09:00", "window_end": "10:00", "duration_minutes": 60}]


def _order_lines(world):
    from carecircle.catalog.services import catalogue_seed

    catalogue_seed()
    return [{"item": "gb-bathing", "quantity": "1"}]


def _revise_body(world, user):
    """The revised plan is the first the user sees (elder A1's): its elder needs a care level in force."""
    from carecircle.assessment.models import CareLevel
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy_seed import policy_parameters_seed

    if not PolicyParameter.objects.filter(key="ltci.eligible_levels").exists():
        policy_parameters_seed()  # the city's and the district's values: the revised plan is priced
    CareLevel.objects.get_or_create(elder=world.district.elders.a1, programme="ltci",
                                    defaults={"level": 3, "source": "external", "external_source": "matrix",
                                              "valid_from": dt.date(2026, 1, 1)})
    return {"visits": VISITS}


WRITE_BODIES = {
    "absence-list": lambda world, user: {"elder": _pk(_elder_of(user)), "kind": "travel", "starts_on": "2026-12-10",
                                         "ends_on": "2026-12-11"},
    "care-plan-list": lambda world, user: {"elder": world.district.elders.a1.pk,
                                           "organisation": world.district.provider.pk},
    "care-plan-preview": lambda world, user: {"elder": world.district.elders.a1.pk, "visits": VISITS},
    "care-plan-revise": _revise_body,
    "service-order-quote": lambda world, user: {"elder": _pk(_elder_of(user)), "service_date": "2026-12-10",
                                                "lines": _order_lines(world)},
    "service-order-list": lambda world, user: {"elder": _pk(_elder_of(user)), "service_date": "2026-12-10",
                                               "lines": _order_lines(world), "window_start": "09:00",
                                               "window_end": "10:00", "expected_self_pay": "0.00"},
}
