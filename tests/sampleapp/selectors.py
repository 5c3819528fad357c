from carecircle.core.isolation import visible_to

from .models import Note


def notes_for(*, user):
    return visible_to(user, Note).select_related("elder")
