"""The test suite: SQLite by default, PostgreSQL when DATABASE_URL says so."""
from cryptography.fernet import Fernet

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
CARECIRCLE_FIELD_KEYS = env.list("CARECIRCLE_FIELD_KEYS", default=[Fernet.generate_key().decode()])
CARECIRCLE_LOOKUP_KEY = "test-lookup-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# An app that exists only for the tests (tests/sampleapp): it proves that a new app plugs itself in with this one
# line — menu, workbench, access matrix and audit trail come from its own plugin.py.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.sampleapp"]  # noqa: F405
# The browser tests' live server shares SQLite's in-memory test database between its request threads: one request
# at a time there (core/testing.py). PostgreSQL gives each thread its own connection and needs nothing.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    MIDDLEWARE = ["carecircle.core.testing.OneRequestAtATime", *MIDDLEWARE]  # noqa: F405
