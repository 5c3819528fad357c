"""Rows for the access matrix: a note about an elder in street A, street B and the neighbouring district."""


def make_notes(world):
    from tests.sampleapp.models import Note

    for elder in (*world.district_elders, world.outside.elder):
        Note.objects.create(elder=elder, text="matrix note")


MAKERS = {"sampleapp.note": make_notes}


def _note_body(world, user):
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder

    elder = visible_to(user, Elder).order_by("pk").first()
    return {"elder": elder.pk if elder else None, "text": "matrix note"}


# A body the user could send successfully; the access matrix swaps each foreign key for one outside the scope.
WRITE_BODIES = {"api-sample-note-list": _note_body}
