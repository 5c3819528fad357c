"""API errors: one answer for each kind of refusal, the same in every app.

* a Django ValidationError from a service → 400 with the same body a serializer gives;
* a Django PermissionDenied → 403;
* `core.workflow.IllegalStep` (a step the state or the role does not allow) → 409 with `detail` in the
  reader's language and `allowed_actions` (also under the older name `allowed`);
* `core.policy.MissingPolicyParameter` (no value of a policy parameter in force for the region and the date
  the request asks about, e.g. an absence dated before the rule existed) → 400 naming the parameter, like
  every other unset policy value in the API; never a server error;
* an `OverflowError` (a date so close to year 1 or 9999 that a week before or after it does not exist, a number
  too large for the database) → 400 saying that a value is out of the range the platform handles.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .policy import MissingPolicyParameter
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
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, MissingPolicyParameter):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    elif isinstance(exc, OverflowError):
        exc = exceptions.ValidationError({"non_field_errors": [
            _("请求中的日期或数值超出了平台可处理的范围，请检查后重试。")]})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
