"""Signals other apps listen to. Both are sent on commit, never inside the writing transaction.

* `assessment_finalised(order, assessment)`: a result became final (complete and confirmed by both
  assessors). Intake moves its application on with `order.application_id`.
* `care_level_changed(elder, programme, old_level, new_level, effective)`: the care level in force changed.
"""
from django.dispatch import Signal

assessment_finalised = Signal()
care_level_changed = Signal()
