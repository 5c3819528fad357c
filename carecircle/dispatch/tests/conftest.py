"""A provider's day: three caregivers with shifts, six elders and their work orders, dispatch policy seeded."""
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from carecircle.conftest import make_elder

DAY = dt.date(2026, 12, 1)
_sequence = itertools.count(300, 2)


@pytest.fixture(autouse=True)
def _chinese_first():
    """Messages are checked in Chinese; a page requested in English must not leave English active."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


def make_staff(organisation, *, name, gender="F", qualifications=("care_worker_4",), user=None, dialects="",
               expires_on=None):
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.providers.models import Certificate, StaffMember

    id_number = make_id_number("310104", dt.date(1980, 6, 1), next(_sequence), gender)
    staff = StaffMember.objects.create(organisation=organisation, name=name, gender=gender, id_number=id_number,
                                       id_number_hash=lookup_hash(id_number), phone="13912345678",
                                       position="caregiver", dialects=dialects, user=user)
    for number, qualification in enumerate(qualifications):
        Certificate.objects.create(staff=staff, qualification=qualification, number=f"C-{staff.pk}-{number}",
                                   issued_on=dt.date(2020, 1, 1), expires_on=expires_on)
    return staff


def make_order(organisation, elder, start, end, minutes=60, *, day=DAY, **extra):
    from carecircle.workorders.models import WorkOrder

    excluded = extra.pop("excluded", ())
    order = WorkOrder.objects.create(organisation=organisation, elder=elder, date=day,
                                     window_start=dt.time.fromisoformat(start), window_end=dt.time.fromisoformat(end),
                                     duration_minutes=minutes, source="order", **extra)
    if excluded:
        order.excluded_caregivers.set(excluded)
    return order


def seed_dispatch_policy():
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith("dispatch.")])


def make_shift(actor, staff, *, day=DAY, start="08:00", end="17:00", lat="31.2050", lng="121.4450", **extra):
    from carecircle.dispatch.services import shift_create

    return shift_create(actor=actor, caregiver=staff, date=day, start_time=dt.time.fromisoformat(start),
                        end_time=dt.time.fromisoformat(end), start_lat=lat, start_lng=lng, end_lat=lat, end_lng=lng,
                        **extra)


@pytest.fixture
def board(district, users):
    """Provider 福寿 with caregivers 王芳 (the `caregiver` user, female, care worker grade 4), 李强 (male,
    grade 3) and 赵敏 (female, registered nurse); six elders of community A1 with one work order each."""
    seed_dispatch_policy()
    org = district.provider
    wang = make_staff(org, name="王芳", user=users.caregiver, dialects="上海话")
    li = make_staff(org, name="李强", gender="M", qualifications=("care_worker_3",))
    zhao = make_staff(org, name="赵敏", qualifications=("registered_nurse", "care_worker_4"))
    actor = users.provider_admin
    shifts = SimpleNamespace(wang=make_shift(actor, wang), li=make_shift(actor, li, lat="31.2060", lng="121.4460"),
                             zhao=make_shift(actor, zhao, travel_mode="walking", lat="31.2040", lng="121.4440"))
    a1 = district.a1
    elders = [make_elder(a1, name=name, lat=f"{31.2000 + 0.002 * i:.4f}", lng=f"{121.4400 + 0.002 * i:.4f}",
                         gender="F" if i % 2 else "M")
              for i, name in enumerate(["周一", "吴二", "郑三", "冯四", "陈五", "褚六"])]
    orders = [
        make_order(org, elders[0], "08:30", "10:30"),
        make_order(org, elders[1], "09:00", "11:00", required_qualification="registered_nurse"),
        make_order(org, elders[2], "10:00", "10:45", 45, fixed_time=True),
        make_order(org, elders[3], "13:00", "16:00", preferred_caregiver=wang),
        make_order(org, elders[4], "14:00", "16:30", 90, preferred_gender="F"),
        make_order(org, elders[5], "08:00", "17:00", 30, dialect="上海话"),
    ]
    return SimpleNamespace(org=org, staff=SimpleNamespace(wang=wang, li=li, zhao=zhao), shifts=shifts,
                           elders=elders, orders=orders, actor=actor, day=DAY)


@pytest.fixture
def optimised(board, django_capture_on_commit_callbacks):
    """The board's day optimised through the real job (eager Celery), by iteration count."""
    from carecircle.dispatch.services import plan_optimise

    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_optimise(actor=board.actor, date=board.day, iterations=800)
    plan.refresh_from_db()
    board.plan = plan
    return board
