"""A published visit for the `caregiver` user (王芳 of provider 福寿) at 张三明's home in community A1, with the
supervision policy seeded; the work order starts now, so the phone's times are the real clock's."""
import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from carecircle.conftest import seed_policy

VISIT_KEYS = ("visits.rules.threshold", "visits.rules.action", "visits.clock.max_skew_minutes",
              "visits.offline.max_age_hours")
_sequence = itertools.count(500, 2)


@pytest.fixture(autouse=True)
def _chinese_first():
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


def make_staff(organisation, *, name, user=None, qualifications=("care_worker_4",), expires_on=None):
    from carecircle.core.sensitive import lookup_hash
    from carecircle.elders.identity import make_id_number
    from carecircle.providers.models import Certificate, StaffMember

    id_number = make_id_number("310104", dt.date(1980, 6, 1), next(_sequence), "F")
    staff = StaffMember.objects.create(organisation=organisation, name=name, gender="F", id_number=id_number,
                                       id_number_hash=lookup_hash(id_number), position="caregiver", user=user)
    for number, qualification in enumerate(qualifications):
        Certificate.objects.create(staff=staff, qualification=qualification, number=f"V-{staff.pk}-{number}",
                                   issued_on=dt.date(2020, 1, 1), expires_on=expires_on)
    return staff


def make_work_order(organisation, elder, caregiver, *, start=None, minutes=60, status="published", item=None,
                    **extra):
    from carecircle.catalog.models import ServiceItem
    from carecircle.workorders.models import WorkOrder, WorkOrderItem

    start = start or timezone.localtime().replace(second=0, microsecond=0)
    start = timezone.localtime(start)
    window_start = start.time()
    window_end = (start + dt.timedelta(minutes=minutes + 60)).time()
    if window_end <= window_start:  # near midnight: keep a legal window
        window_start, window_end = dt.time(0, 0), dt.time(23, 59)
    order = WorkOrder.objects.create(organisation=organisation, elder=elder, date=start.date(),
                                     window_start=window_start, window_end=window_end, duration_minutes=minutes,
                                     source="order", status=status, caregiver=caregiver, planned_start=start, **extra)
    code = item or "ltci-home-hour"
    service_item = ServiceItem.objects.filter(code=code).first()
    if service_item is None and not ServiceItem.objects.exists():
        # A transactional test earlier in the run empties the tables the migrations filled: load the catalogue.
        from carecircle.catalog.services import catalogue_seed

        catalogue_seed()
        service_item = ServiceItem.objects.filter(code=code).first()
    if service_item is not None:
        WorkOrderItem.objects.create(work_order=order, item=service_item, quantity=1)
    return order


def seed_visit_policy():
    seed_policy(*VISIT_KEYS)


@pytest.fixture
def field(district, users):
    seed_visit_policy()
    elder = district.elders.a1
    elder.lat, elder.lng = "31.205000", "121.445000"
    elder.save(update_fields=["lat", "lng"])
    wang = make_staff(district.provider, name="王芳", user=users.caregiver)
    li = make_staff(district.provider, name="李强", user=users.provider_admin.__class__.objects.create_user(
        username="caregiver2", password="Test-pass-2026", role="caregiver", display_name="李强",
        organisation=district.provider))
    order = make_work_order(district.provider, elder, wang)
    return SimpleNamespace(district=district, users=users, elder=elder, wang=wang, li=li, order=order,
                           home=(31.205, 121.445))


def body(lat=31.205, lng=121.445, **extra):
    data = {"lat": lat, "lng": lng, "accuracy_m": 12, "datum": "wgs84",
            "device_time": timezone.now().isoformat()}
    data.update(extra)
    return data
