"""What of an elder's identity a reader may see: the one rule for the API, the pages and the exports.

An 18-character ID number is area code (6) + birth date (8) + sequence and check (4). The mask shows the
first 6 and the last 4, so the 8 it hides are exactly the birth date: a full birth date shown beside the
mask gives the number back. Hence:

* readers who may reveal the full number (capability `elders.reveal`) see the birth date;
* everyone else sees the age only, never the full birth date and never the birth year beside the age
  (the two together narrow the hidden date to a few months).

Everything that shows an elder to a person goes through `identity_shown`.

Phone numbers are masked for everyone who may not reveal them, with one exception decided here: a caregiver
sees the elder's phone and emergency contacts, to call them, for the elders of the visits published to them
for today (their own visits, today's date in the service's time zone; not yesterday's, not tomorrow's, not
a visit still being planned, not a colleague's). Every such showing is recorded as a reveal
(`services.visit_numbers_reveal`), with the reason `TODAYS_VISIT_REASON`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from carecircle.core.roles import has_capability

from .identity import age_on


def shows_birth_date(user) -> bool:
    return has_capability(user, "elders.reveal")


@dataclass(frozen=True)
class IdentityShown:
    id_number_masked: str
    birth_date: dt.date | None  # None: this reader sees the age only
    age: int


def identity_shown(user, elder, *, today: dt.date | None = None, full_birth_date: bool | None = None) -> IdentityShown:
    """`full_birth_date` lets a loop ask the capability once; it must come from `shows_birth_date(user)`."""
    if full_birth_date is None:
        full_birth_date = shows_birth_date(user)
    today = today or timezone.localdate()
    return IdentityShown(id_number_masked=elder.id_number_masked,
                         birth_date=elder.birth_date if full_birth_date else None,
                         age=age_on(elder.birth_date, today))


# The reason written on the audit event of a number shown for today's visit ("today's visit").
TODAYS_VISIT_REASON = "今天的上门服务"


def visits_with_numbers(user, work_order_ids, *, today: dt.date | None = None) -> set[int]:
    """Of the given work orders, those whose elder's numbers `user` may see unmasked: the visits published to
    this caregiver for today. Asked of the database, never of the objects a page happens to hold."""
    if not has_capability(user, "elders.visit_numbers"):
        return set()
    ids = {int(pk) for pk in work_order_ids}
    if not ids:
        return set()
    from carecircle.workorders.selectors import caregiver_visits_on

    today = today or timezone.localdate()
    return set(caregiver_visits_on(user, today).filter(pk__in=ids).values_list("pk", flat=True))
