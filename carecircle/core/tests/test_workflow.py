"""The shared workflow mechanism: the step table, allowed actions, IllegalStep and its 409 answer."""
import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecircle.core.errors import exception_handler
from carecircle.core.roles import Role
from carecircle.core.workflow import IllegalStep, Step, Workflow


class Thing:
    def __init__(self, status):
        self.status = status


class Actor:
    is_authenticated = True
    is_superuser = False

    def __init__(self, role):
        self.role = role


FLOW = Workflow("tests.thing", [
    Step("accept", _("受理"), {"new"}, "accepted", {"intake.street"}),
    Step("refuse", _("不予受理"), {"new"}, "refused", {"intake.street"}, negative=True),
    Step("close", _("关闭"), {"accepted"}, "closed", {"intake.district"}, guard=lambda obj, actor: obj.status != "x"),
])


def test_allowed_actions_follow_state_and_capability():
    street = Actor(Role.STREET_STAFF)
    assert FLOW.allowed_actions(Thing("new"), street) == ["accept", "refuse"]
    assert FLOW.allowed_actions(Thing("accepted"), street) == []
    assert FLOW.allowed_actions(Thing("accepted"), Actor(Role.DISTRICT_ADMIN)) == ["close"]
    assert FLOW.allowed_actions(Thing("new"), Actor(Role.CAREGIVER)) == []
    # The system (no actor) may take any step the state allows.
    assert FLOW.allowed_actions(Thing("new"), None) == ["accept", "refuse"]


def test_illegal_step_names_what_is_allowed():
    with pytest.raises(IllegalStep) as refused:
        FLOW.check(Thing("new"), Actor(Role.STREET_STAFF), "close")
    assert refused.value.allowed == ["accept", "refuse"]
    with pytest.raises(IllegalStep):
        FLOW.check(Thing("new"), Actor(Role.CAREGIVER), "accept")


def test_negative_step_needs_a_reason_and_unknown_action_is_bad_input():
    with pytest.raises(ValidationError):
        FLOW.check(Thing("new"), Actor(Role.STREET_STAFF), "refuse", reason="  ")
    assert FLOW.check(Thing("new"), Actor(Role.STREET_STAFF), "refuse", reason="材料不全").target == "refused"
    with pytest.raises(ValidationError):
        FLOW.check(Thing("new"), Actor(Role.STREET_STAFF), "fly")


def test_duplicate_action_is_refused():
    with pytest.raises(ValueError):
        Workflow("tests.other", [Step("a", "A", {"x"}, "y"), Step("a", "A", {"y"}, "z")])


def test_api_answers_409_with_allowed_actions():
    response = exception_handler(IllegalStep("不能关闭", allowed=["accept"]), {})
    assert response.status_code == 409
    assert response.data == {"detail": "不能关闭", "allowed_actions": ["accept"], "allowed": ["accept"]}
