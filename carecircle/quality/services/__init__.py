"""Every write of service quality: complaints and return visits (see each module)."""
from .complaints import (
    complaint_accept,
    complaint_answer,
    complaint_close,
    complaint_escalate,
    complaint_file,
    complaint_reopen,
    complaints_escalate_overdue,
    deadlines,
    default_channel,
    organisations_for,
)
from .return_visits import (
    parse_satisfaction,
    return_visit_create,
    return_visit_for_visit,
    return_visit_record,
    visit_sampled,
)

__all__ = [
    "complaint_accept", "complaint_answer", "complaint_close", "complaint_escalate", "complaint_file",
    "complaint_reopen", "complaints_escalate_overdue", "deadlines", "default_channel", "organisations_for",
    "parse_satisfaction", "return_visit_create", "return_visit_for_visit", "return_visit_record", "visit_sampled",
]
