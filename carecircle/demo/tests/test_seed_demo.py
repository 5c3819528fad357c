"""`carecircle seed_demo` end to end at tiny scale, on the real test database."""
import datetime as dt
import json
from io import StringIO

import pytest
from django.db.models import Count
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from carecircle.accounts.models import User
from carecircle.core import audit
from carecircle.core.isolation import visible_to
from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.core.policy import seed_values
from carecircle.core.roles import Role
from carecircle.demo.population import POPULATION_DATE
from carecircle.demo.services import demo_district_seed
from carecircle.elders.identity import age_on, parse_id_number
from carecircle.elders.models import Elder, ElderAccountLink
from carecircle.providers.models import Certificate, Facility, Organisation, OrganisationKind, ServiceArea, StaffMember
from carecircle.regions.geometry import contains
from carecircle.regions.models import Region

AS_OF = "2026-06-01"


def seed(tmp_path, *extra, seed=7):
    out = StringIO()
    call_command("seed_demo", "--scale", "tiny", "--seed", str(seed), "--as-of", AS_OF, "--no-progress",
                 "--accounts-file", str(tmp_path / "demo_accounts.json"), *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def tiny(db, tmp_path):
    output = seed(tmp_path)
    accounts = json.loads((tmp_path / "demo_accounts.json").read_text(encoding="utf-8"))
    return output, accounts


def elder_fingerprint():
    return list(Elder.objects.order_by("id").values_list("name", "id_number_hash"))


def test_tiny_district_has_the_region_tree_organisations_and_elders(tiny):
    assert Region.objects.get(code="310000").name == "上海市"
    district = Region.objects.get(code="310104")
    assert district.name == "徐汇区"
    assert Region.objects.filter(kind="street", parent=district).count() == 13
    assert Region.objects.filter(kind="community", path__startswith=district.path).count() == 302
    assert Elder.objects.count() == 300
    assert Facility.objects.filter(kind="community_centre").count() == 13
    assert Facility.objects.filter(kind__in=["institution", "small_care_home"]).count() == 4
    assert Region.objects.get(code="310104003001").boundary["type"] == "Polygon"
    assert Organisation.objects.filter(kind=OrganisationKind.ASSESSMENT_AGENCY).count() == 2
    assert Organisation.objects.filter(kind=OrganisationKind.HOTLINE_CENTRE).count() == 1
    assert StaffMember.objects.filter(organisation__kind=OrganisationKind.ASSESSMENT_AGENCY,
                                      position="assessor").exists()


def test_every_elder_is_60_plus_with_a_valid_consistent_id_number(tiny):
    for elder in Elder.objects.all():
        facts = parse_id_number(elder.id_number)
        assert facts.birth_date == elder.birth_date
        assert facts.gender == elder.gender
        assert age_on(elder.birth_date, POPULATION_DATE) >= 60
        if elder.registration == "local":
            assert facts.area_code == "310104"
        assert elder.id_number_masked == elder.id_number[:6] + "********" + elder.id_number[-4:]
        assert elder.name_pinyin and elder.address


def test_sensitive_numbers_are_encrypted_in_the_database(tiny):
    from django.db import connection

    elder = Elder.objects.exclude(phone="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM elders_elder WHERE id = %s", [elder.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert elder.id_number not in stored_id and elder.phone not in stored_phone


def test_every_elder_lies_inside_their_community_polygon(tiny):
    for elder in Elder.objects.select_related("community"):
        assert contains(elder.community.boundary, elder.lat, elder.lng) is True, elder.pk
    for facility in Facility.objects.select_related("community"):
        assert contains(facility.community.boundary, facility.lat, facility.lng) is True, facility.name


def test_each_community_is_served_by_three_to_five_home_care_providers(tiny):
    for community in Region.objects.filter(kind="community"):
        served = ServiceArea.objects.filter(community=community, organisation__kind=OrganisationKind.HOME_CARE).count()
        assert 3 <= served <= 5, community.code


def test_some_certificates_are_expired_and_some_expire_within_60_days(tiny):
    as_of = dt.date.fromisoformat(AS_OF)
    assert Certificate.objects.filter(expires_on__lt=as_of).exists()
    assert Certificate.objects.filter(expires_on__gte=as_of, expires_on__lte=as_of + dt.timedelta(days=60)).exists()
    assert Certificate.objects.filter(expires_on__gt=as_of + dt.timedelta(days=60)).exists()


def test_policy_parameters_are_seeded_with_the_district(tiny):
    assert PolicyParameter.objects.count() == len(seed_values())


def test_accounts_file_has_every_role_with_working_passwords(tiny):
    output, accounts = tiny
    assert {a["role"] for a in accounts} == set(Role.values)
    street_scopes = {a["scope"] for a in accounts if a["role"] == "street_staff"}
    assert street_scopes == {"天平路街道", "枫林路街道"}
    # Both assessors who confirm a result are printed, the second one included.
    assert {"assessor", "assessor_partner"} <= {a["username"] for a in accounts}
    # The canteen operator's login opens the till of the Tianping canteen.
    assert "canteen_operator" in {a["username"] for a in accounts}
    for account in accounts:
        user = User.objects.get(username=account["username"])
        assert user.role == account["role"] and user.is_active
        assert len(account["password"]) >= 10 and user.check_password(account["password"])
        assert account["username"] in output
    caregiver = User.objects.get(role="caregiver")
    assert StaffMember.objects.get(user=caregiver).organisation == caregiver.organisation
    assert ElderAccountLink.objects.filter(user__role="elder").count() == 1
    # The family member's own relative, and the parent in LTCI home care whose bill is on the portal.
    assert ElderAccountLink.objects.filter(user__role="family").count() == 2


def test_each_street_worker_sees_only_their_own_streets_elders(tiny):
    seen = {}
    for username, code in (("street_tianping", "310104003"), ("street_fenglin", "310104008")):
        user = User.objects.get(username=username)
        visible = visible_to(user, Elder)
        own = Elder.objects.filter(community__parent__code=code)
        assert own.exists()
        assert set(visible.values_list("pk", flat=True)) == set(own.values_list("pk", flat=True))
        seen[username] = set(visible.values_list("pk", flat=True))
    assert not seen["street_tianping"] & seen["street_fenglin"]


def test_demo_accounts_reach_their_elders(tiny):
    provider_admin = User.objects.get(username="provider_admin")
    elder_user = User.objects.get(username="elder")
    elder = ElderAccountLink.objects.get(user=elder_user).elder
    assert list(visible_to(elder_user, Elder)) == [elder]
    assert visible_to(provider_admin, Elder).filter(pk=elder.pk).exists()
    assert visible_to(User.objects.get(username="community_worker"), Elder).filter(pk=elder.pk).exists()


def test_seeding_is_recorded_once_in_the_audit_trail(tiny):
    event = AuditEvent.objects.get(action="demo.seeded")
    assert event.changes["elders"] == 300 and event.changes["seed"] == 7
    assert event.region.code == "310104"


def test_a_second_run_refuses_without_reset_and_changes_nothing(tiny, tmp_path):
    # the demo accounts, the demo assessor's colleague, the agency inspector, the canteen operator
    users_before = User.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        seed(tmp_path)
    assert Elder.objects.count() == 300
    assert User.objects.count() == users_before == 14


def test_the_same_seed_gives_the_same_elders_and_another_seed_different_ones(tiny, tmp_path):
    first = elder_fingerprint()
    events_before = AuditEvent.objects.count()
    regions_before = set(Region.objects.values_list("pk", "code"))
    seed(tmp_path, "--reset")
    assert elder_fingerprint() == first
    assert AuditEvent.objects.count() > events_before
    assert set(Region.objects.values_list("pk", "code")) == regions_before
    seed(tmp_path, "--reset", seed=8)
    other = elder_fingerprint()
    assert len(other) == 300
    assert [name for name, _h in other] != [name for name, _h in first]
    assert {h for _n, h in other} != {h for _n, h in first}


def test_reset_keeps_audited_accounts_retired_and_the_trail_intact(tiny, tmp_path):
    admin = User.objects.get(username="district_admin")
    event = audit.record(actor=admin, action="accounts.token_issued", subject=admin)
    seed(tmp_path, "--reset")
    admin.refresh_from_db()
    assert admin.username.startswith("retired-") and not admin.is_active and not admin.has_usable_password()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == admin.pk
    fresh = User.objects.get(username="district_admin")
    assert fresh.pk != admin.pk and fresh.is_active


def test_unknown_scale_is_refused(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "huge", stdout=StringIO())
    with pytest.raises(ValidationError, match="huge"):
        demo_district_seed(scale="huge", seed=1, as_of=dt.date(2026, 1, 1))


def test_bad_as_of_date_is_refused_in_chinese(db, tmp_path):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("seed_demo", "--scale", "tiny", "--as-of", "2026-02-30", stdout=StringIO())


def test_district_scale_facility_network_matches_xuhui(db):
    """The organisations and facilities of the full district (elders left out: that is the benchmark's job)."""
    import random

    from carecircle.demo import people
    from carecircle.demo.services import SCALES, _ensure_regions, _seed_organisations

    regions = _ensure_regions()
    _seed_organisations(random.Random("1:organisations"), SCALES["district"], regions, people.IdNumberAllocator(),
                        dt.date(2026, 6, 1))
    homes = Facility.objects.filter(kind__in=["institution", "small_care_home"])
    assert homes.count() == 57 and homes.filter(kind="small_care_home").count() == 14
    assert sum(homes.values_list("beds", flat=True)) == 6829
    by_kind = dict(Facility.objects.values_list("kind").annotate(n=Count("id")))
    assert (by_kind["community_centre"], by_kind["day_centre"], by_kind["meal_point"], by_kind["activity_room"]) \
        == (13, 28, 107, 305)
    assert Facility.objects.values("name").distinct().count() == Facility.objects.count()
    for community in Region.objects.filter(kind="community"):
        served = ServiceArea.objects.filter(community=community, organisation__kind=OrganisationKind.HOME_CARE).count()
        assert 3 <= served <= 5, community.code


def test_the_steps_after_the_elders_are_announced(db, tmp_path):
    errors = StringIO()
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--as-of", AS_OF,
                 "--accounts-file", str(tmp_path / "demo_accounts.json"), stdout=StringIO(), stderr=errors)
    said = errors.getvalue()
    for step in ("服务目录与合同价格", "能力评估与照护等级", "照护计划、按需订单与工单", "护理员班次", "申请、公示与轮候"):
        assert f"正在生成：{step}" in said


def test_demo_plan_visits_have_windows_wider_than_the_visit(tiny):
    # A window as long as the visit makes it a fixed-time visit: real plans leave the dispatcher room.
    from carecircle.careplans.models import PlanVisit

    visits = list(PlanVisit.objects.all())
    assert visits
    roomy = [v for v in visits if (v.window_end.hour * 60 + v.window_end.minute)
             - (v.window_start.hour * 60 + v.window_start.minute) >= v.duration_minutes + 60]
    assert len(roomy) >= 0.9 * len(visits)


def test_demo_walkers_start_within_walking_reach_of_every_community_they_serve(tiny):
    # A walker who starts kilometres from the homes spends hours on the road: the board showed such days.
    from carecircle.demo.seed_dispatch import WALKING_REACH_M, _metres
    from carecircle.dispatch.models import Shift, TravelMode
    from carecircle.providers.models import ServiceArea

    shifts = list(Shift.objects.all())
    assert shifts and {s.travel_mode for s in shifts} == {TravelMode.EBIKE, TravelMode.WALKING}
    for shift in shifts:
        if shift.travel_mode != TravelMode.WALKING:
            continue
        for area in ServiceArea.objects.filter(organisation_id=shift.organisation_id).select_related("community"):
            assert _metres(shift.start_lat, shift.start_lng, area.community.centroid_lat,
                           area.community.centroid_lng) <= WALKING_REACH_M


def test_walking_distance_is_measured_on_the_earth():
    from carecircle.demo.seed_dispatch import _metres

    # One thousandth of a degree of latitude is about 111 m anywhere; Shanghai's longitude degree is shorter.
    assert 110 < _metres(31.2, 121.4, 31.201, 121.4) < 112
    assert 94 < _metres(31.2, 121.4, 31.2, 121.401) < 96
    assert _metres(31.2, 121.4, 31.2, 121.4) == 0
