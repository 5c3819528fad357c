"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_intake(world):
    from django.utils import timezone

    from carecircle.intake.models import Application, ApplicationEvent, ApplicationType, PublicNotice

    d = world.district
    types = {}
    for region in (d.district, world.outside.district):
        types[region.pk] = ApplicationType.objects.create(region=region, code="matrix-type", name="矩阵类型",
                                                          programme="gov_purchase", documents=["身份证"])
    rows = ((d.elders.a1, d.street_a, d.district), (d.elders.b1, d.street_b, d.district),
            (world.outside.elder, world.outside.street, world.outside.district))
    for number, (elder, street, dist) in enumerate(rows, start=1):
        application = Application.objects.create(
            number=f"MATRIX{number}", elder=elder, type=types[dist.pk], community=elder.community, street=street,
            channel="window", state="public_notice", state_since=timezone.now())
        # An acceptance on the timeline, so the printable acceptance notice exists for every application.
        ApplicationEvent.objects.create(application=application, action="accept", from_state="registered",
                                        to_state="accepted", office=street.name)
        PublicNotice.objects.create(application=application, street=street, starts_on=dt.date(2026, 1, 5),
                                    ends_on=dt.date(2026, 1, 9), result="矩阵公示")


MAKERS = {
    "intake.applicationtype": make_intake,
    "intake.application": make_intake,
}

# Which model a URL key stands for, for views that load their object themselves (get_object_or_404 over
# visible_to) without declaring `model`, `queryset` or `parent_model`. Keyed by route name.
URL_OBJECTS = {
    "intake:act": {"pk": "intake.application"},
}
