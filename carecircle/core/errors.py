"""API errors: one answer for each kind of refusal, the same in every app.

* a Django ValidationError from a service → 400 with the same body a serializer gives;
* a Django PermissionDenied → 403;
* `core.params.InvalidParameter` (a query parameter that is not a usable number) → 400 naming the parameter;
* `core.throttle.RateLimited` → 429 with `Retry-After` and the sentence;
* `core.workflow.IllegalStep` (a step the state or the role does not allow) → 409 with `detail` in the
  reader's language and `allowed_actions` (also under the older name `allowed`).
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .params import InvalidParameter
from .throttle import RateLimited
from .workflow import IllegalStep


def _validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"non_field_errors": list(error.messages)}


def conflict_body(error: IllegalStep) -> dict:
    allowed = list(error.allowed)
    return {"detail": str(error.message), "allowed_actions": allowed, "allowed": allowed}


def exception_handler(exc, context):
    if isinstance(exc, IllegalStep):
        return Response(conflict_body(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=exc.message)
    elif isinstance(exc, InvalidParameter):
        exc = exceptions.ValidationError({exc.name: [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
