"""A thin receiver: a final assessment result moves the application it was ordered for to "assessed"."""
import logging

logger = logging.getLogger(__name__)

try:
    from carecircle.assessment.signals import assessment_finalised
except ImportError:  # the assessment module is not installed: results are recorded by application_record_assessment
    assessment_finalised = None


def on_assessment_finalised(sender, order=None, assessment=None, **kwargs):
    from .services import assessment_result_received

    assessment_result_received(order=order, assessment=assessment)


if assessment_finalised is not None:
    assessment_finalised.connect(on_assessment_finalised, dispatch_uid="intake.on_assessment_finalised")
