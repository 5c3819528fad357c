"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_assessments(world):
    """An order with a draft result per elder (street A, street B, the neighbouring district), each district's
    with its own agency, and an external care level for each elder."""
    from django.core.files.base import ContentFile

    from carecircle.assessment.models import Assessment, AssessmentOrder, AssessmentPhoto, CareLevel
    from carecircle.providers.models import Organisation

    outside_agency = Organisation.objects.create(name="长宁评估所", kind="assessment_agency",
                                                 credit_code="91310105MA1FL0019X", region=world.outside.district)
    d = world.district
    for elder, agency in ((d.elders.a1, d.agency), (d.elders.b1, d.agency), (world.outside.elder, outside_agency)):
        order = AssessmentOrder.objects.create(elder=elder, programme="ltci", reason="application",
                                               instrument_code="gbt42195_2022", agency=agency,
                                               assignment_method="manual", assessor_1=world.users.assessor)
        assessment = Assessment.objects.create(order=order, elder=elder, instrument_code="gbt42195_2022",
                                               instrument_version="2022")
        AssessmentPhoto.objects.create(assessment=assessment, image=ContentFile(b"photo", name="matrix.png"),
                                       sha256="0" * 64)
        CareLevel.objects.create(elder=elder, programme="ltci", level=3, source="external", external_source="matrix",
                                 valid_from=dt.date(2026, 1, 1))


MAKERS = {
    "assessment.assessmentorder": make_assessments,
    "assessment.assessment": make_assessments,
    "assessment.carelevel": make_assessments,
    "assessment.assessmentphoto": make_assessments,
}

# Which model a URL key stands for, for views that load their object themselves (get_object_or_404 over
# visible_to) without declaring `model`, `queryset` or `parent_model`. Keyed by route name.
URL_OBJECTS = {
    "assessment:schedule": {"pk": "assessment.assessmentorder"},
    "assessment:cancel": {"pk": "assessment.assessmentorder"},
    "assessment:start": {"pk": "assessment.assessmentorder"},
    "assessment:confirm": {"pk": "assessment.assessmentorder"},
    "assessment:history": {"elder_pk": "elders.elder"},
    "assessment:step": {"pk": "assessment.assessment"},
}
