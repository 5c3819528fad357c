"""Return visits: sampled by policy from the visits' events (reproducibly), every exception and every closed
complaint called back; calls recorded with their outcome, satisfaction 1–5, attempts and the audit."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from carecircle.core import events
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.quality import services
from carecircle.quality.models import ReturnVisit, ReturnVisitReason, ReturnVisitStatus
from carecircle.quality.services.return_visits import sample_salt, visit_sampled

from .conftest import at


def _payload(q, visit_id, work_order=None):
    work_order = work_order or q.visit_a1
    return {"visit": visit_id, "work_order": work_order.pk, "organisation": work_order.organisation_id,
            "elder": work_order.elder_id, "exception": None}


def _deliver(name, payload, actor=None):
    event = events.emit(name=name, payload=payload, actor=actor)
    assert events.deliver(event.pk)
    return event


def test_the_sample_takes_about_the_policy_share_and_is_the_same_when_asked_again(quality):
    from carecircle.core.policy import policy_value
    from carecircle.engines.sampling import in_sample

    region, day = quality.d.a1, dt.date(2026, 11, 20)
    share = policy_value("quality.return_visit.sample_share", region=region, on=day)
    salt = sample_salt(dt.date(2026, 11, 1))
    drawn = [in_sample(n, salt, share) for n in range(1, 4001)]
    assert 140 <= sum(drawn) <= 260  # 5 % of 4,000 is 200
    # The service draws the same way, whenever it is asked.
    assert [visit_sampled(visit_id=n, day=day, region=region) for n in range(1, 41)] == drawn[:40]
    assert sample_salt(dt.date(2026, 11, 1)) != sample_salt(dt.date(2026, 12, 1))


def test_a_verified_visit_is_called_back_only_when_drawn_and_a_replay_adds_nothing(quality):
    region, day = quality.d.a1, quality.visit_a1.date
    drawn = next(n for n in range(1, 500) if visit_sampled(visit_id=n, day=day, region=region))
    passed = next(n for n in range(1, 500) if not visit_sampled(visit_id=n, day=day, region=region))
    _deliver("visits.visit_verified", _payload(quality, passed))
    assert not ReturnVisit.objects.exists()
    _deliver("visits.visit_verified", _payload(quality, drawn))
    _deliver("visits.visit_verified", _payload(quality, drawn))
    visit = ReturnVisit.objects.get()
    assert (visit.visit_id, visit.reason, visit.organisation, visit.period) == (
        drawn, ReturnVisitReason.SAMPLED, quality.d.provider, dt.date(2026, 11, 1))
    assert AuditEvent.objects.filter(action="quality.return_visit_create").count() == 1


def test_every_visit_with_an_exception_is_called_back_once(quality):
    _deliver("visits.exception_opened", _payload(quality, 7))
    _deliver("visits.exception_opened", _payload(quality, 7))  # a second exception on the same visit
    _deliver("visits.exception_opened", _payload(quality, 8, quality.visit_b1))
    assert sorted(ReturnVisit.objects.values_list("visit_id", "reason")) == [(7, "exception"), (8, "exception")]


def test_the_deadline_counts_working_days(quality):
    visit = services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="manual",
                                         now=at(dt.date(2026, 9, 30)))
    assert visit.due_on == dt.date(2026, 10, 10)  # 8 and 9 October, then the adjusted working Saturday


def _pending(quality):
    return services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="exception",
                                        organisation=quality.d.provider, work_order=quality.visit_a1, visit_id=41)


def test_reached_with_a_satisfaction_closes_it(quality):
    visit = services.return_visit_record(actor=quality.u.community_worker, return_visit=_pending(quality),
                                         outcome="reached", satisfaction="4", notes="老人说护理员很耐心")
    assert (visit.status, visit.satisfaction, visit.attempts) == (ReturnVisitStatus.DONE, 4, 1)
    assert visit.completed_by == quality.u.community_worker
    event = AuditEvent.objects.get(action="quality.return_visit_call")
    assert event.changes["status"] == ["pending", "done"] and event.changes["satisfaction"] == 4
    with pytest.raises(IllegalStep):
        services.return_visit_record(actor=quality.u.community_worker, return_visit=visit, outcome="reached",
                                     satisfaction=5)


@pytest.mark.parametrize("value", [0, 6, "abc", "", None, 4.5, True])
def test_a_satisfaction_outside_one_to_five_is_refused(quality, value):
    visit = _pending(quality)
    with pytest.raises(ValidationError) as error:
        services.return_visit_record(actor=quality.u.operator, return_visit=visit, outcome="reached",
                                     satisfaction=value)
    assert "satisfaction" in error.value.error_dict
    visit.refresh_from_db()
    assert visit.attempts == 0 and not visit.calls.exists()


def test_not_reached_three_times_is_unreachable_and_a_refusal_ends_it(quality):
    visit = _pending(quality)
    for expected in ("pending", "pending", "unreachable"):
        visit = services.return_visit_record(actor=quality.u.operator, return_visit=visit, outcome="not_reached")
        assert visit.status == expected
    assert visit.attempts == 3 and visit.calls.count() == 3
    with pytest.raises(ValidationError):
        services.return_visit_record(actor=quality.u.operator, return_visit=_other(quality), outcome="refused",
                                     satisfaction=3)
    refused = services.return_visit_record(actor=quality.u.operator, return_visit=_other(quality), outcome="refused")
    assert refused.status == ReturnVisitStatus.REFUSED and refused.satisfaction is None


def _other(quality):
    return services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="sampled",
                                        organisation=quality.d.provider, work_order=quality.visit_a1, visit_id=42)


def test_a_complaint_raised_from_a_return_visit_keeps_where_it_came_from(quality):
    visit = _pending(quality)
    complaint = services.complaint_file(actor=quality.u.community_worker, elder=visit.elder, category="attitude",
                                        summary="老人说护理员态度不好", organisation=visit.organisation,
                                        work_order=visit.work_order, return_visit=visit)
    assert complaint.channel == "return_visit" and complaint.return_visit == visit
