"""One workflow mechanism for every record that moves through states.

A workflow is a table of steps: from which states an action may be taken, by whom (a capability from the
role table; none means the system or anyone who may change the record), to which state, and whether a
reason is required. Services call `workflow.check(obj, actor, action, reason=...)` before they write;
the API and the pages ask `allowed_actions(obj, actor)` for what to offer. A step the state or the actor
does not allow raises `IllegalStep`, which every API answers with HTTP 409, a `detail` in the reader's
language and the `allowed_actions` from here (core/errors.py); pages show the same message.

    ORDER_FLOW = Workflow("careplans.serviceorder", state_field="status", steps=[
        Step("accept", _("接单"), {"offered"}, "accepted", {"orders.answer"}),
        Step("decline", _("拒单"), {"offered"}, None, {"orders.answer"}, needs_reason=True),
    ])

A step whose `target` is None leaves the target to the service (e.g. the next provider or the waiting list).
A `guard(obj, actor)` adds a condition beyond the state and the capability (a type's configuration, a
deadline); it answers True when the step applies.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .roles import has_capability


class IllegalStep(Exception):
    """A step that the record's state or the actor's role does not allow (HTTP 409 in every API).

    `allowed` lists the actions this actor may take from the current state, so a client can offer them.
    """

    def __init__(self, message, *, allowed: Iterable[str] = ()):
        super().__init__(message)
        self.message = message
        self.allowed = list(allowed)

    def __str__(self):
        return str(self.message)


@dataclass(frozen=True)
class Step:
    action: str
    label: object
    source: frozenset
    target: str | None
    capabilities: frozenset = frozenset()  # any one of them suffices; empty: no capability needed
    needs_reason: bool = False
    negative: bool = False  # refusals and returns: a reason is required and shown
    guard: Callable | None = field(default=None, compare=False)

    def __init__(self, action, label, source, target, capabilities=(), *, needs_reason=False, negative=False,
                 guard=None):
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "source", frozenset(source))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "capabilities", frozenset(capabilities))
        object.__setattr__(self, "needs_reason", needs_reason or negative)
        object.__setattr__(self, "negative", negative)
        object.__setattr__(self, "guard", guard)

    def permits(self, actor) -> bool:
        """The actor holds one of the step's capabilities; the system (actor None) may take any step."""
        if actor is None:
            return True
        if not self.capabilities:
            return bool(getattr(actor, "is_authenticated", False))
        return any(has_capability(actor, capability) for capability in self.capabilities)


class Workflow:
    """The step table of one model; `name` is the model's label (app_label.modelname)."""

    def __init__(self, name: str, steps: Iterable[Step], *, state_field: str = "status"):
        self.name = name
        self.steps = list(steps)
        self.state_field = state_field
        self.by_action = {}
        for step in self.steps:
            if step.action in self.by_action:
                raise ValueError(f"{name}: the action {step.action!r} is declared twice")
            self.by_action[step.action] = step
        _REGISTRY[name] = self

    @property
    def actions(self) -> list[str]:
        return [step.action for step in self.steps]

    @property
    def choices(self) -> list[tuple[str, object]]:
        return [(step.action, step.label) for step in self.steps]

    def state_of(self, obj) -> str:
        return getattr(obj, self.state_field)

    def applies(self, step: Step, obj, actor) -> bool:
        if self.state_of(obj) not in step.source:
            return False
        return step.guard is None or bool(step.guard(obj, actor))

    def allowed_actions(self, obj, actor) -> list[str]:
        """The actions this actor may take on this record now, in the table's order."""
        return [step.action for step in self.steps if self.applies(step, obj, actor) and step.permits(actor)]

    def label(self, action: str):
        step = self.by_action.get(action)
        return step.label if step is not None else action

    def check(self, obj, actor, action: str, *, reason: str = "", message=None) -> Step:
        """The step, when this actor may take it now; otherwise `IllegalStep` naming what is allowed.

        A step that needs a reason and got none is a ValidationError (HTTP 400): the step itself is legal.
        """
        step = self.by_action.get(action)
        if step is None:
            raise ValidationError(_("未知的操作：%(action)s") % {"action": action}, code="unknown_action")
        if not self.applies(step, obj, actor) or not step.permits(actor):
            display = getattr(obj, f"get_{self.state_field}_display", None)
            state = display() if callable(display) else self.state_of(obj)
            raise IllegalStep(
                message or _("当前状态为“%(state)s”，不能执行“%(step)s”") % {"state": state, "step": step.label},
                allowed=self.allowed_actions(obj, actor),
            )
        if step.needs_reason and not (reason or "").strip():
            raise ValidationError({"reason": _("“%(step)s”须填写理由") % {"step": step.label}}, code="reason_required")
        return step


_REGISTRY: dict[str, Workflow] = {}


def workflow_for(obj_or_model) -> Workflow | None:
    meta = obj_or_model._meta
    return _REGISTRY.get(meta.label_lower)


def allowed_actions(obj, actor) -> list[str]:
    """What `actor` may do with `obj` now, from the workflow registered for its model ([] when none is)."""
    flow = workflow_for(obj)
    return flow.allowed_actions(obj, actor) if flow is not None else []
