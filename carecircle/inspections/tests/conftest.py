import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from carecircle.conftest import seed_policy
from carecircle.core.roles import Role

POLICY_KEYS = ("inspections.rating.validity_years", "inspections.recheck.share",
               "inspections.rectification.default_working_days", "inspections.subsidy.annual_base",
               "inspections.subsidy.coefficient")


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def png(colour=(200, 30, 30)) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("hazard.png", buffer.getvalue(), content_type="image/png")


def full_points(scheme) -> dict:
    return {item["code"]: item["max_points"] for part in scheme.data["parts"] for item in part["items"]}


@pytest.fixture
def world(district, users):
    """A community centre (A1, the provider), a station (B1, the other provider), a contracted inspection
    agency with one inspector, and a second agency with another."""
    from carecircle.accounts.models import User
    from carecircle.inspections.models import RatingScheme
    from carecircle.inspections.services import schemes_load
    from carecircle.providers.models import Facility, Organisation

    if not RatingScheme.objects.exists():  # transactional tests flush the migration's rows
        schemes_load()
    seed_policy(*POLICY_KEYS)
    centre = Facility.objects.create(organisation=district.provider, name="天平社区综合为老服务中心",
                                     kind="community_centre", community=district.a1, lat="31.205", lng="121.445")
    station = Facility.objects.create(organisation=district.other_provider, name="枫林睦邻点", kind="activity_room",
                                      community=district.b1, lat="31.19", lng="121.46")
    agency = Organisation.objects.create(name="明察安全评价公司", kind="assessment_agency",
                                         credit_code="91310104MA1FL0009X", region=district.district)
    other_agency = Organisation.objects.create(name="公信检测公司", kind="assessment_agency",
                                               credit_code="91310104MA1FL0010X", region=district.district)
    agency_inspector = User.objects.create_user(username="agency_inspector", password="Test-pass-2026",
                                                role=Role.INSPECTOR, scope_region=district.district,
                                                organisation=agency, display_name="第三方检查员甲")
    other_inspector = User.objects.create_user(username="other_agency_inspector", password="Test-pass-2026",
                                               role=Role.INSPECTOR, scope_region=district.district,
                                               organisation=other_agency, display_name="第三方检查员乙")
    return SimpleNamespace(district=district, users=users, centre=centre, station=station, agency=agency,
                           other_agency=other_agency, agency_inspector=agency_inspector,
                           other_inspector=other_inspector, today=dt.date.today())
