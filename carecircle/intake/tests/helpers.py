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
    """Drive an application along its type's normal path, from wherever it is, until it reaches `state`."""
    u = intake.users
    kind = app.type
    for _ in range(12):
        if app.state == state:
            return app
        current = app.state
        if current == "registered":
            act(app, "accept", u.street_staff)
        elif current == "accepted":
            act(app, "pass_first_review", u.street_staff)
        elif current == "street_passed":
            act(app, "pass_district_review", u.district_admin)
        elif current == "district_passed" and kind.requires_assessment:
            act(app, "order_assessment", u.district_admin)
        elif current == "assessment_ordered":
            finalise_assessment(intake, app)
        elif current in ("district_passed", "assessed"):
            act(app, "publish_notice" if kind.public_notice else "approve", u.street_staff)
        elif current == "public_notice":
            notice = app.notices.get(is_open=True)
            if today is not None:
                today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(10),
                                              tzinfo=today.start.tzinfo))
            act(app, "close_notice", u.street_staff)
        elif current == "waitlisted":
            act(app, "admit", u.street_staff)
        elif current == "approved":
            act(app, "start_service", u.street_staff)
        else:
            raise AssertionError(f"cannot drive {current} to {state}")
    raise AssertionError(f"{app.state} never reached {state}")


def finalise_assessment(intake, app, pick=None):
    """Complete the assessment order through the assessment module (two assessors on site, both confirm);
    its outbox event, delivered on commit, moves the application to "assessed"."""
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
