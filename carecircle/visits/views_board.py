"""The live board for the district, a street and a provider: today's visits in the reader's scope on the map,
the day's figures, late and missed visits as alerts that appear without reloading (the page's script polls
`board/live.json`), and each visit with its evidence."""
from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views import generic

from carecircle.core import basemap
from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin

from . import board as board_reads

BOARD_CAPABILITY = "visits.board"
POLL_SECONDS = 15


def _vitals_shown(vitals: dict) -> list[str]:
    """Measured vital signs in words: label, value and unit."""
    from .views_app import vital_fields

    fields = vital_fields()
    shown = []
    for name, value in (vitals or {}).items():
        spec = fields.get(name)
        if spec is not None:
            shown.append(f"{spec['label']} {value} {spec['unit']}")
    return shown


class BoardView(CapabilityRequiredMixin, generic.TemplateView):
    capability = BOARD_CAPABILITY
    template_name = "visits/board/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = board_reads.board_for(self.request.user)
        live = board_reads.live_data(board)
        context.update({
            "board": board, "figures": live["figures"], "alerts": live["alerts"], "live": live,
            "rows": [{"row": row, "label": board_reads.state_labels()[row.state]} for row in board.rows],
            "basemap": basemap.client_config(), "poll_seconds": POLL_SECONDS,
        })
        return context


class BoardLiveView(CapabilityRequiredMixin, generic.View):
    """The board's figures, alerts and map points as JSON, polled by the page."""

    capability = BOARD_CAPABILITY

    def get(self, request, *args, **kwargs):
        return JsonResponse(board_reads.live_data(board_reads.board_for(request.user)),
                            json_dumps_params={"ensure_ascii": False})


class BoardVisitView(CapabilityRequiredMixin, generic.TemplateView):
    """One visit from the board: the work order, where it stands, and every record the phone sent (place,
    accuracy, phone and server time, photo, reason), the items done, the flags in words and the exceptions."""

    capability = BOARD_CAPABILITY
    template_name = "visits/board/visit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        found = board_reads.visit_detail(self.request.user, self.kwargs["pk"])
        if found is None:
            raise Http404
        order, visit = found
        state = board_reads.row_state(self.request.user, order, visit)
        context.update({
            "order": order, "visit": visit, "state": state,
            "state_label": board_reads.state_labels()[state],
            "events": list(visit.events.all()) if visit else [],
            "item_results": [{"result": r, "vitals": _vitals_shown(r.vitals)} for r in visit.items.all()] if visit else [],
            "flags": list(visit.flags.all()) if visit else [],
            "exceptions": list(visit.exceptions.all()) if visit else [],
            "today": timezone.localdate(),
            "can_see_photos": has_capability(self.request.user, "visits.view"),
        })
        return context
