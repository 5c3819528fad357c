"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_dispatch(world):
    from carecircle.core.sensitive import lookup_hash
    from carecircle.dispatch.models import DispatchPlan, Shift
    from carecircle.elders.identity import make_id_number
    from carecircle.providers.models import StaffMember

    d = world.district
    day = dt.date(2026, 12, 1)
    for number, org in enumerate((d.provider, d.other_provider, world.outside.provider), start=1):
        id_number = make_id_number("310104", dt.date(1985, 2, number), 700 + number, "F")
        staff = StaffMember.objects.create(organisation=org, name=f"{org.name[:2]}派单员工", gender="F",
                                           id_number=id_number, id_number_hash=lookup_hash(id_number),
                                           position="caregiver")
        Shift.objects.create(organisation=org, caregiver=staff, date=day, start_time=dt.time(8), end_time=dt.time(17),
                             start_lat="31.2", start_lng="121.44", end_lat="31.2", end_lng="121.44", max_hours=8)
        DispatchPlan.objects.create(organisation=org, date=day)


MAKERS = {
    "dispatch.shift": make_dispatch,
    "dispatch.dispatchplan": make_dispatch,
}
