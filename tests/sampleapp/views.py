from carecircle.core.views import ScopedListView

from . import selectors
from .models import Note


class NoteListView(ScopedListView):
    capability = "sampleapp.view"
    model = Note
    template_name = "sampleapp/note_list.html"

    def get_base_queryset(self):
        return selectors.notes_for(user=self.request.user)
