import datetime as dt

from django.test import TestCase

from carecircle.intake.services import application_act, application_record_assessment, application_submit


def submit(intake, elder=None, type_code="gov-purchase", channel="window", actor=None, **kw):
    actor = actor or intake.users.street_staff
    return application_submit(elder=elder or intake.district.elders.a1, type_code=type_code, channel=channel,
                              actor=actor, **kw).application


def act(app, action, actor, **kw):
    return application_act(application=app, action=action, actor=actor, **kw)


def to_state(intake, app, state, today=None):
    """Drive an application along its type's normal path until it reaches `state`."""
    u = intake.users
    path = {
        "accepted": [("accept", u.street_staff)],
        "street_passed": [("pass_first_review", u.street_staff)],
        "district_passed": [("pass_district_review", u.district_admin)],
    }
    order = ["registered", "accepted", "street_passed", "district_passed"]
    for name in order[1:]:
        if app.state == state:
            return app
        for action, actor in path[name]:
            act(app, action, actor)
    if app.state == state:
        return app
    if app.type.requires_assessment:
        act(app, "order_assessment", u.district_admin)
        if state == "assessment_ordered":
            return app
        finalise_assessment(intake, app)
        if state == "assessed":
            return app
    if app.type.public_notice:
        act(app, "publish_notice", u.street_staff)
        if state == "public_notice":
            return app
        notice = app.notices.get(is_open=True)
        if today is not None:
            today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(10),
                                          tzinfo=today.start.tzinfo))
        act(app, "close_notice", u.street_staff)
    else:
        act(app, "approve", u.street_staff)
    if app.state == state:
        return app
    act(app, "admit" if app.state == "waitlisted" else "start_service", u.street_staff)
    assert app.state == state, (app.state, state)
    return app


def finalise_assessment(intake, app, pick=None):
    """Complete the assessment order through the assessment module (two assessors on site, both confirm);
    its on-commit signal moves the application to "assessed"."""
    from carecircle.assessment import services as assessment
    from carecircle.engines.scoring import load_instrument

    order = app.assessment_order
    order.refresh_from_db()
    first, second = intake.assessors
    assessment.assessment_order_schedule(order=order, actor=first, assessors=[first, second],
                                         appointment_at=dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc))
    result = assessment.assessment_start(order=order, actor=first)
    answers = {item.code: (pick or (lambda i: i.options[-1].code))(item)
               for item in load_instrument(order.instrument_code).items}
    assessment.assessment_save(assessment=result, actor=first, answers=answers, diagnoses=[])
    with TestCase.captureOnCommitCallbacks(execute=True):
        assessment.assessment_submit(assessment=result, actor=first)
        assessment.assessment_confirm(assessment=result, actor=second)
    app.refresh_from_db()
    return result
