"""On-demand order arithmetic (pure Python, no Django): answer deadlines counted in working hours, and
which visits of a weekly plan fall inside an entitlement."""
from .deadline import add_working_hours
from .entitlement_fit import VisitSlot, fit_visits

__all__ = ["VisitSlot", "add_working_hours", "fit_visits"]
