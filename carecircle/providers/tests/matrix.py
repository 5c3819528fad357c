"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_facilities(world):
    from carecircle.providers.models import Facility

    d = world.district
    for org, community in ((d.provider, d.a1), (d.other_provider, d.b1), (world.outside.provider,
                                                                          world.outside.community)):
        Facility.objects.create(organisation=org, community=community, name=f"{community.name}日间照料中心",
                                kind="day_centre", lat=community.centroid_lat, lng=community.centroid_lng)


def make_contracts(world):
    from carecircle.providers.models import Contract

    d = world.district
    for number, (org, region) in enumerate(((d.provider, d.street_a), (d.other_provider, d.street_b),
                                            (world.outside.provider, world.outside.district)), start=1):
        Contract.objects.create(organisation=org, region=region, number=f"MATRIX-{number}", programme="gov_purchase",
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))


def make_staff(world):
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.providers.models import Certificate, StaffMember

    d = world.district
    for number, org in enumerate((d.provider, d.other_provider, d.agency, world.outside.provider), start=1):
        id_number = make_id_number("310104", dt.date(1980, 1, number), 500 + number, "F")
        staff = StaffMember.objects.create(organisation=org, name=f"{org.name[:2]}护理员", gender="F",
                                           id_number=id_number, id_number_hash=lookup_hash(id_number),
                                           position="caregiver")
        Certificate.objects.create(staff=staff, qualification="care_worker_4", number=f"CERT-{number}",
                                   issued_on=dt.date(2024, 1, 1))


MAKERS = {
    "providers.facility": make_facilities,
    "providers.contract": make_contracts,
    "providers.staffmember": make_staff,
    "providers.certificate": make_staff,
}
