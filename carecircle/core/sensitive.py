"""Sensitive personal data (PIPL): encrypted at rest, keyed hash for exact lookup, masked on display.

Keys come from settings (the environment in production). The first Fernet key encrypts; every listed
key decrypts, so keys rotate by prepending a new one and running `carecircle rotate_field_keys`.
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CARECIRCLE_FIELD_KEYS is empty: sensitive fields cannot be encrypted")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CARECIRCLE_FIELD_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("a sensitive value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


def lookup_hash(value: str) -> str:
    key = settings.CARECIRCLE_LOOKUP_KEY
    if not key:
        raise ImproperlyConfigured("CARECIRCLE_LOOKUP_KEY is empty")
    return hmac.new(key.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def last4_lookup_hash(id_number: str) -> str:
    """Keyed hash of an ID number's last four characters, for the "last four" search.

    The last four are not stored in clear: beside a clear birth date and a guessable area code they would
    give the whole number back to anyone holding a copy of the database."""
    return lookup_hash("id-last4:" + (id_number or "").strip().upper()[-4:])


def mask_birth_date(value) -> str:
    """The year only. An ID number is area code + birth date + sequence, so a full birth date beside a masked
    number (or its last four) is the number itself."""
    if not value:
        return ""
    return str(value)[:4] if isinstance(value, str) else f"{value.year:04d}"


def mask_id_number(value: str) -> str:
    """First 6 + last 4, as the design requires: 310104********123X."""
    if not value:
        return ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_name(value: str) -> str:
    """张*明 / 李* — for pages anyone can see (public notices)."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


class BirthDateField(models.DateField):
    """A birth date: kept in clear so that age bands stay indexed, but sensitive — the audit trail records the
    year only, and who may read the full date is decided in one place (elders.disclosure)."""

    is_sensitive = True

    def mask(self, value) -> str:
        return mask_birth_date(value)


def mask_sensitive_changes(model, changes: dict) -> dict:
    """An audit event's changes with every sensitive field of `model` masked (also events recorded before a
    field was declared sensitive; the trail itself is append-only)."""
    if model is None or not isinstance(changes, dict):
        return changes
    fields = {f.name: f for f in model._meta.concrete_fields if getattr(f, "is_sensitive", False)}
    shown = {}
    for key, value in changes.items():
        field = fields.get(key)
        if field is not None and isinstance(value, list):
            value = [field.mask(v) if v else v for v in value]
        elif field is not None and value:
            value = field.mask(value)
        shown[key] = value
    return shown


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python code sees the clear value. Never filter on it: use the hash."""

    is_sensitive = True

    def __init__(self, *args, masker: str = "id_number", **kwargs):
        self.masker = masker
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["masker"] = self.masker
        return name, path, args, kwargs

    def mask(self, value: str) -> str:
        return {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}[self.masker](value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
