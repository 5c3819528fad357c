"""API errors: one answer for each kind of refusal, the same in every app.

* a Django ValidationError from a service → 400 with the same body a serializer gives;
* a Django PermissionDenied → 403;
* `core.params.InvalidParameter` (a query parameter that is not a usable number) → 400 naming the parameter;
* `core.throttle.RateLimited` → 429 with `Retry-After` and the sentence;
* `core.workflow.IllegalStep` (a step the state or the role does not allow) → 409 with `detail` in the
  reader's language and `allowed_actions` (also under the older name `allowed`);
* the database busy with another transaction past the wait allowed (SQLite's "database is locked" after its
  busy timeout; PostgreSQL's lock timeout, deadlock or serialisation failure) → 503 with `Retry-After` and a
  `detail` saying that nothing was saved and to try again. The transaction was rolled back, so nothing is
  half-written. Pages answer the same through `core.middleware.DatabaseBusyMiddleware`.
* `core.policy.MissingPolicyParameter` (no value of a policy parameter in force for the region and the date
  the request asks about, e.g. an absence dated before the rule existed) → 400 naming the parameter, like
  every other unset policy value in the API; never a server error;
* an `OverflowError` (a date so close to year 1 or 9999 that a week before or after it does not exist, a number
  too large for the database) → 400 saying that a value is out of the range the platform handles.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .params import InvalidParameter
from .throttle import RateLimited
from .policy import MissingPolicyParameter
from .workflow import IllegalStep

logger = logging.getLogger(__name__)

# PostgreSQL's codes for "another transaction holds what this one needs": serialization_failure,
# deadlock_detected, lock_not_available (lock_timeout / NOWAIT).
BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
RETRY_AFTER_SECONDS = 2


def is_database_busy(error: BaseException) -> bool:
    """The database refused because another transaction held a lock for longer than this one may wait.

    Any other database error (a lost connection, a broken query) is a fault and stays a 500."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if code in BUSY_SQLSTATES:
        return True
    message = str(error).lower()
    return "database is locked" in message or "database table is locked" in message


def busy_message() -> str:
    return _("系统正忙：另一项操作正在修改同一批数据。您这次的操作没有保存，请稍后再试。")


def log_busy(request_path: str, error: BaseException) -> None:
    """One warning line: a wait that ran out is load, not a fault, and needs no traceback."""
    logger.warning("database busy, answered 503: %s (%s)", request_path, error)


def _validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"non_field_errors": list(error.messages)}


def conflict_body(error: IllegalStep) -> dict:
    allowed = list(error.allowed)
    return {"detail": str(error.message), "allowed_actions": allowed, "allowed": allowed}


def busy_body() -> dict:
    return {"detail": busy_message(), "retry_after": RETRY_AFTER_SECONDS}


def exception_handler(exc, context):
    if isinstance(exc, IllegalStep):
        return Response(conflict_body(exc), status=status.HTTP_409_CONFLICT)
    if is_database_busy(exc):
        set_rollback()
        request = context.get("request")
        log_busy(getattr(request, "path", ""), exc)
        return Response(busy_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=exc.message)
    elif isinstance(exc, InvalidParameter):
        exc = exceptions.ValidationError({exc.name: [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, MissingPolicyParameter):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    elif isinstance(exc, OverflowError):
        exc = exceptions.ValidationError({"non_field_errors": [
            _("请求中的日期或数值超出了平台可处理的范围，请检查后重试。")]})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
