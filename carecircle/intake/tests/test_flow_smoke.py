import pytest

from carecircle.intake.models import State
from carecircle.intake.services import application_act, application_record_assessment, application_submit


@pytest.mark.django_db
def test_smoke(intake):
    u = intake.users
    sub = application_submit(elder=intake.district.elders.a2, type_code="gov-purchase", channel="portal", actor=u.family)
    app = sub.application
    for actor, action in [(u.street_staff, "accept"), (u.street_staff, "pass_first_review"),
                          (u.district_admin, "pass_district_review"), (u.district_admin, "order_assessment")]:
        application_act(application=app, action=action, actor=actor)
    application_record_assessment(application=app, level=3, summary="ok")
    application_act(application=app, action="publish_notice", actor=u.street_staff)
    assert app.state == State.PUBLIC_NOTICE
