"""Signals other apps listen to when an elder's circumstances change."""
from django.dispatch import Signal

# Sent on commit when an elder dies, moves away, returns to active, or is admitted to an institution.
# kwargs: elder, change ("deceased" | "moved_out" | "active" | "institution"), on (date), reason (str), actor
elder_status_changed = Signal()
