"""District and city servers: PostgreSQL, Redis, gunicorn. Every secret comes from the environment."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import CARECIRCLE_FIELD_KEYS, CARECIRCLE_LOOKUP_KEY, SECRET_KEY, env

DEBUG = False
for name, value in {
    "DJANGO_SECRET_KEY": SECRET_KEY,
    "CARECIRCLE_FIELD_KEYS": CARECIRCLE_FIELD_KEYS,
    "CARECIRCLE_LOOKUP_KEY": CARECIRCLE_LOOKUP_KEY,
}.items():
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
CONN_MAX_AGE = env.int("DJANGO_CONN_MAX_AGE", default=60)
