"""Rows for the access matrix: a note about an elder in street A, street B and the neighbouring district."""


def make_notes(world):
    from tests.sampleapp.models import Note

    for elder in (*world.district_elders, world.outside.elder):
        Note.objects.create(elder=elder, text="matrix note")


MAKERS = {"sampleapp.note": make_notes}
