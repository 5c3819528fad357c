"""Two people acting on one application at the same moment, through the API, in real threads.

Exactly one step wins; the other request meets the state the winner left and is answered 409 with the
actions allowed from there, in its reader's language — on SQLite (a file database, as deployed) as on
PostgreSQL. Never a 500, never two timeline entries for one step.
"""
from rest_framework.test import APIClient

from carecircle.core.models import AuditEvent
from carecircle.intake.models import Application, State

from .helpers import submit


def _post(user, url, body, language="zh-hans"):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE=language)

    return call


def _responses(results):
    """Every racing request got an answer (a raised error, e.g. "database is locked", fails here)."""
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    return results


def test_an_application_accepted_twice_at_once_is_accepted_once(intake, race):
    app = submit(intake)
    url = f"/api/v1/applications/{app.pk}/actions/"
    street, colleague = intake.users.street_staff, intake.users.street_staff
    results = _responses(race.run(_post(street, url, {"action": "accept"}),
                                  _post(colleague, url, {"action": "accept"}, language="en")))
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    loser = next(r for r in results if r.status_code == 409).json()
    assert winner["state"] == "accepted"
    assert loser["allowed_actions"] == loser["allowed"] == ["pass_first_review", "return_for_correction",
                                                            "reject_first_review", "withdraw"]
    assert loser["detail"]
    app.refresh_from_db()
    assert app.state == State.ACCEPTED
    assert list(app.events.values_list("action", flat=True).order_by("pk")) == ["registered", "accept"]
    assert AuditEvent.objects.filter(action="intake.accept", subject_id=str(app.pk)).count() == 1


def test_the_loser_is_answered_in_its_own_language(intake, race):
    app = submit(intake)
    url = f"/api/v1/applications/{app.pk}/actions/"
    first, second = race.run(_post(intake.users.street_staff, url, {"action": "accept"}),
                             _post(intake.users.street_staff, url, {"action": "accept"}, language="en"),
                             ordered=True)
    assert first.status_code == 200
    assert second.status_code == 409
    detail = second.json()["detail"]
    assert "Accepted" in detail and "withdraw" in detail.lower(), detail
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail


def test_accept_and_withdraw_at_once_the_withdrawal_first_refuses_the_acceptance(intake, race):
    app = submit(intake)
    url = f"/api/v1/applications/{app.pk}/actions/"
    withdrawn, accepted = _responses(race.run(
        _post(intake.users.elder, url, {"action": "withdraw", "reason": "家里决定自行照护"}),
        _post(intake.users.street_staff, url, {"action": "accept"}),
        ordered=True))
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert accepted.status_code == 409, accepted.content
    body = accepted.json()
    assert body["allowed_actions"] == [] and "已撤回" in body["detail"]
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN and not app.is_open
    assert list(app.events.values_list("action", flat=True).order_by("pk")) == ["registered", "withdraw"]
    assert not AuditEvent.objects.filter(action="intake.accept").exists()


def test_accept_and_withdraw_at_once_end_withdrawn_whichever_comes_first(intake, race):
    """Withdrawal is allowed after acceptance too: taken in either order, the application ends withdrawn."""
    app = submit(intake)
    url = f"/api/v1/applications/{app.pk}/actions/"
    accepted, withdrawn = _responses(race.run(
        _post(intake.users.street_staff, url, {"action": "accept"}),
        _post(intake.users.elder, url, {"action": "withdraw", "reason": "家里决定自行照护"})))
    assert withdrawn.status_code == 200, withdrawn.content
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN
    actions = list(app.events.values_list("action", flat=True).order_by("pk"))
    if accepted.status_code == 200:
        assert actions == ["registered", "accept", "withdraw"]
    else:
        assert accepted.status_code == 409 and accepted.json()["allowed_actions"] == []
        assert actions == ["registered", "withdraw"]


def test_one_application_registered_twice_at_once_is_merged(intake, race):
    """Two channels register the same elder and type at once: one application, the other merged into it."""
    body = {"elder": intake.district.elders.a1.pk, "type": "gov-purchase", "channel": "window",
            "documents": ["身份证"]}
    results = _responses(race.run(_post(intake.users.street_staff, "/api/v1/applications/", body),
                                  _post(intake.users.street_staff, "/api/v1/applications/",
                                        {**body, "channel": "api"})))
    assert sorted(r.status_code for r in results) == [200, 201], [r.content for r in results]
    assert {r.json()["id"] for r in results} == {Application.objects.get().pk}
    assert sorted(r.json()["merged"] for r in results) == [False, True]
    app = Application.objects.get()
    assert sorted(app.events.values_list("action", flat=True)) == ["merged", "registered"]
