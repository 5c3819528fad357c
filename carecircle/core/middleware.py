"""Request ids: every log line and audit event of one request carries the same id."""
import contextvars
import logging
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_request_meta: contextvars.ContextVar[dict] = contextvars.ContextVar("request_meta", default={})


def current_request_id() -> str:
    return _request_id.get()


def current_request_meta() -> dict:
    return _request_meta.get()


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        # Accept a caller's id only if it is short and plain, so it cannot pollute logs.
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        meta_token = _request_meta.set({"ip": request.META.get("REMOTE_ADDR", "")})
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _request_meta.reset(meta_token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id()
        return True


class ForbiddenWithoutTracebackFilter(logging.Filter):
    """A refused request (403) is an everyday event, not a fault: log its one warning line without the
    traceback Django attaches to it, so real errors stay easy to find."""

    def filter(self, record):
        if record.name == "django.request" and getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class NoStoreMiddleware:
    """Answers that hold personal data must not be kept by a browser, a shared computer's cache or a proxy:
    every answer to a signed-in user, every API answer, every download and export, and the anonymous pages
    listed in CARECIRCLE_NO_STORE_PATHS (the public notice board shows masked names only while a notice
    runs) are sent with `Cache-Control: no-store`. Static assets and other anonymous pages stay cacheable."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.paths = tuple(getattr(settings, "CARECIRCLE_NO_STORE_PATHS", ("/api/",)))

    def __call__(self, request):
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        if getattr(response, "cacheable_without_personal_data", False):
            return response  # map tiles and the like: the same for everyone
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or request.path.startswith(self.paths)
            or "attachment" in response.get("Content-Disposition", "")
        ):
            add_never_cache_headers(response)
        return response


class DatabaseBusyMiddleware:
    """A page whose transaction waited past the database's lock timeout answers 503 "busy, try again" in the
    reader's language, with `Retry-After`, instead of a 500 (the API answers the same through
    core/errors.py). Its transaction was rolled back: nothing of the request was saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import JsonResponse
        from django.template.response import TemplateResponse

        from .errors import RETRY_AFTER_SECONDS, busy_body, is_database_busy, log_busy

        if not is_database_busy(exception):
            return None
        log_busy(request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(busy_body(), status=503)
        else:
            response = TemplateResponse(request, "503.html", status=503)
            response.render()
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class RequestCacheMiddleware:
    """Opens the request's cache (core/request_cache.py): the policy snapshot's freshness is checked once per
    request, the catalogue's names are read once per page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .request_cache import request_scope

        with request_scope():
            return self.get_response(request)
