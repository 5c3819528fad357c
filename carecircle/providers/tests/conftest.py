import datetime as dt
import itertools

import pytest

from carecircle.elders.identity import make_id_number

_sequence = itertools.count(100, 2)  # make_id_number bumps odd/even by one for the sex


@pytest.fixture
def warning_days(district):
    """The certificate warning period as the district configures it: 60 days (a policy value)."""
    from carecircle.core.services import policy_parameter_set

    policy_parameter_set(actor=None, key="staff.certificate_expiry_warning_days", region=district.district,
                         value=60, effective_from=dt.date(2020, 1, 1), source="测试：本地决定", confidence="local")
    return 60


def new_id_number(gender="F", birth=dt.date(1975, 3, 8)):
    return make_id_number("310104", birth, next(_sequence), gender)


def make_staff(organisation, *, name="陈美华", gender="F", position="caregiver", phone="13912345678", **extra):
    from carecircle.providers.models import StaffMember
    from carecircle.core.sensitive import lookup_hash

    id_number = extra.pop("id_number", None) or new_id_number(gender)
    return StaffMember.objects.create(organisation=organisation, name=name, gender=gender, id_number=id_number,
                                      id_number_hash=lookup_hash(id_number), phone=phone, position=position, **extra)
