"""Settings shared by every deployment; everything that differs comes from the environment."""
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent

env = environ.Env()
VAR_DIR = Path(env.str("CARECIRCLE_VAR_DIR", default=str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Kept only so that the accounts migration can move the old clear-text keys into hashed ApiTokens.
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "carecircle.core",
    "carecircle.regions",
    "carecircle.accounts",
    "carecircle.workbench",
    "carecircle.elders",
    "carecircle.providers",
    "carecircle.intake",
    "carecircle.catalog",
    "carecircle.assessment",
    "carecircle.careplans",
    "carecircle.workorders",
    "carecircle.visits",
    "carecircle.quality",
    "carecircle.dispatch",
    "carecircle.planning",
    "carecircle.inspections",
    "carecircle.hotline",
    "carecircle.meals",
    "carecircle.benefits",
    "carecircle.billing",
    "carecircle.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carecircle.core.middleware.RequestIdMiddleware",
    "carecircle.core.middleware.RequestCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "carecircle.core.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "carecircle.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Closest to the views: a transaction that waited too long for the database answers 503, not 500.
    "carecircle.core.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "carecircle.urls"
WSGI_APPLICATION = "carecircle.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carecircle.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carecircle.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes. Every transaction begins IMMEDIATE: it takes the
    # database's write lock before its first read, so two requests stepping the same record run one after the
    # other and the second reads the state the first left (and is refused with 409), instead of both reading
    # the old state and one failing with "database is locked" when it writes. The timeout is how long a
    # transaction waits for that lock; past it the request is answered 503 "busy, try again"
    # (carecircle/core/errors.py). Checked at start-up (core.checks).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": env.float("CARECIRCLE_SQLITE_BUSY_TIMEOUT", default=20),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The project-wide assets (app.css/app.js, vendored htmx, ECharts, Leaflet) live beside the settings package,
# not inside an app, so the finders must be told where they are.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads larger than this are refused before they reach a form (bulk imports included).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("CARECIRCLE_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
CARECIRCLE_MAX_UPLOAD_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- security -------------------------------------------------------------------------------
HTTPS = env.bool("CARECIRCLE_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("CARECIRCLE_SESSION_SECONDS", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Anonymous paths whose answers hold personal data and so are never stored by a cache (see NoStoreMiddleware;
# answers to signed-in users, downloads and exports are never stored either).
CARECIRCLE_NO_STORE_PATHS = ["/api/", "/intake/public/"]

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- base map (core/basemap.py) ----------------------------------------------------------------
# 1. a tile server of the district's own network (a Leaflet URL template with {z}/{x}/{y});
# 2. else an MBTiles file on this server, served at /system/tiles/<z>/<x>/<y>.<ext>;
# 3. else maps draw the region and community boundaries with their names.
CARECIRCLE_TILE_URL = env.str("CARECIRCLE_TILE_URL", default="")
CARECIRCLE_TILE_ATTRIBUTION = env.str("CARECIRCLE_TILE_ATTRIBUTION", default="")
CARECIRCLE_TILE_MAX_ZOOM = env.int("CARECIRCLE_TILE_MAX_ZOOM", default=18)
CARECIRCLE_MBTILES_PATH = env.str("CARECIRCLE_MBTILES_PATH", default="")


def _tile_origin(url: str) -> str:
    """The scheme and host of a tile URL template, for the content security policy ('' for a local path)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc if "{s}" not in url else "*." + parts.netloc.split(".", 1)[-1]
    return f"{parts.scheme}://{host}"


if _tile_origin(CARECIRCLE_TILE_URL):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_tile_origin(CARECIRCLE_TILE_URL))

# Login throttling: a username+address pair is locked after this many failures.
AXES_FAILURE_LIMIT = env.int("CARECIRCLE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("CARECIRCLE_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# --- sensitive personal data ------------------------------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation). Separate key for the
# keyed lookup hash so that a leaked ciphertext key does not also allow dictionary attacks.
CARECIRCLE_FIELD_KEYS = env.list("CARECIRCLE_FIELD_KEYS", default=[])
CARECIRCLE_LOOKUP_KEY = env.str("CARECIRCLE_LOOKUP_KEY", default="")

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "carecircle.accounts.authentication.ApiTokenAuthentication",
        "carecircle.accounts.authentication.TwoFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies are bounded in size and nesting before they are decoded (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "carecircle.core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "carecircle.core.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "carecircle.core.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env.str("CARECIRCLE_TOKEN_THROTTLE", default="10/min")},
}
# The largest JSON body the API reads, and how deep its brackets may nest (core/parsers.py).
CARECIRCLE_API_MAX_JSON_BYTES = env.int("CARECIRCLE_API_MAX_JSON_BYTES", default=1024 * 1024)
CARECIRCLE_API_MAX_JSON_DEPTH = env.int("CARECIRCLE_API_MAX_JSON_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "CareCircle API",
    "DESCRIPTION": "养老服务圈 — community and home-based elderly care platform",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/carecircle/favicon.svg",
    # Choice sets used by several fields or apps get one explicit name each.
    "ENUM_NAME_OVERRIDES": {
        "DispatchPlaceKindEnum": "carecircle.dispatch.models.PlaceKind",
        "DispatchPlanStatusEnum": "carecircle.dispatch.models.PlanStatus",
        "DispatchTravelModeEnum": "carecircle.dispatch.models.TravelMode",
        "IntakeProgrammeEnum": "carecircle.intake.models.Programme",
        "AssessmentProgrammeEnum": "carecircle.assessment.models.Programme",
        "IntakeChannelEnum": "carecircle.intake.models.Channel",
        "IntakeStateEnum": "carecircle.intake.models.State",
        "IntakeActionEnum": "carecircle.intake.workflow.ACTION_CHOICES",
        "IntakeObjectionOutcomeEnum": "carecircle.intake.models.ObjectionOutcome",
        "GenderEnum": "carecircle.core.choices.Gender",
        "CarePlanStatusEnum": "carecircle.careplans.models.PlanStatus",
        "CarePlanStopReasonEnum": "carecircle.careplans.models.StopReason",
        "ServiceOrderStatusEnum": "carecircle.careplans.models.OrderStatus",
        "ServiceOrderChannelEnum": "carecircle.careplans.models.OrderChannel",
        "WorkOrderStatusEnum": "carecircle.workorders.models.WorkOrderStatus",
        "WorkOrderSourceEnum": "carecircle.workorders.models.WorkOrderSource",
        "AbsenceKindEnum": "carecircle.careplans.models.AbsenceKind",
        "PlanChangeKindEnum": "carecircle.careplans.models.PlanChangeKind",
        "VisitFundingEnum": "carecircle.careplans.models.VisitFunding",
        "ComplaintChannelEnum": "carecircle.quality.models.Channel",
        "ComplaintCategoryEnum": "carecircle.quality.models.Category",
    },
}

# --- background jobs ------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=f"file://{VAR_DIR / 'celery-results'}" if CELERY_BROKER_URL == "filesystem://" else CELERY_BROKER_URL,
)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery-broker"),
        "data_folder_out": str(VAR_DIR / "celery-broker"),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        # Without this kombu writes its broadcast exchange files into the current directory.
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL == "filesystem://"
    else {}
)
# Celery's file-system result backend and broker refuse to start unless their folders already exist.
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
for _folder in {v for k, v in CELERY_BROKER_TRANSPORT_OPTIONS.items() if k.endswith("_folder") or "folder_" in k}:
    Path(_folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    # Consequences whose handler failed (or whose message was lost) are tried again when due.
    "outbox-redeliver": {"task": "carecircle.core.outbox_redeliver", "schedule": 60.0},
}

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "carecircle.core.middleware.RequestIdLogFilter"},
                "forbidden": {"()": "carecircle.core.middleware.ForbiddenWithoutTracebackFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["request_id", "forbidden"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# The district a deployment serves: coordinates outside its bounding box are refused on input.
CARECIRCLE_DISTRICT_CODE = env.str("CARECIRCLE_DISTRICT_CODE", default="310104")
