"""Local development and `make run`: the embedded default (SQLite, file-system job queue)."""
import os

from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env
from .keys import ensure_local_keys

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY, CARECIRCLE_FIELD_KEYS, CARECIRCLE_LOOKUP_KEY = ensure_local_keys(VAR_DIR)
os.environ.setdefault("CARECIRCLE_LOCAL_KEYS", "1")
