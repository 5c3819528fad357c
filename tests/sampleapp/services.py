from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from carecircle.core import audit
from carecircle.core.isolation import is_visible
from carecircle.core.roles import has_capability

from .models import Note
from .plugin import AuditAction


def note_create(*, actor, elder, text: str) -> Note:
    if not has_capability(actor, "sampleapp.change") or not is_visible(actor, elder):
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": "A note needs some text."})
    with transaction.atomic():
        note = Note.objects.create(elder=elder, text=text.strip())
        audit.record(actor=actor, action=AuditAction.NOTE_CREATE, subject=note, changes={"text": [None, note.text]})
    return note
