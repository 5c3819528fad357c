"""The demo district's quality supervision: this quarter's inspection plan, a contracted inspection agency with
its own inspector (a third-party evaluation agency's account that sees only what the agency is assigned), some inspections done — most of them good, one
station a point under the 40 % safety minimum, one centre with a major hazard and its rectification notice,
one notice answered and closed, one overdue — and the star ratings those inspections earned.

Everything goes through the inspections app's services, so the trail reads as it would in use."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.core.roles import Role
from carecircle.inspections import services
from carecircle.inspections.choices import InspectionKind
from carecircle.inspections.models import Problem, RectificationNotice
from carecircle.providers.models import Organisation, OrganisationKind

AGENCY_USERNAME = "inspector_agency"
AGENCY_PASSWORD = "Demo-2026!inspector"


def _points(rng: random.Random, scheme, share_low=0.7) -> dict:
    points = {}
    for part in scheme.data["parts"]:
        for item in part["items"]:
            top = item["max_points"]
            points[item["code"]] = round(top * rng.uniform(share_low, 1.0))
    return points


def _evidence():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 120)).save(buffer, format="PNG")
    return SimpleUploadedFile("evidence.png", buffer.getvalue(), content_type="image/png")


def demo_inspections_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    admin = User.objects.filter(username="district_admin").first()
    inspector = User.objects.filter(username="inspector").first()
    if admin is None or inspector is None:
        return {}
    district = admin.scope_region
    # Third-party evaluation agencies do facility inspections too: the district contracts the second one.
    agency = (Organisation.objects.filter(kind=OrganisationKind.ASSESSMENT_AGENCY, is_active=True)
              .order_by("pk").last())
    if agency is None:
        return {}
    agency_inspector = User.objects.create_user(username=AGENCY_USERNAME, password=AGENCY_PASSWORD,
                                                role=Role.INSPECTOR, scope_region=district, organisation=agency,
                                                display_name="第三方检查员")
    quarter = (as_of.month - 1) // 3 + 1
    planned = services.plan_generate(actor=admin, year=as_of.year, quarter=quarter)
    # Half of the quarter's inspections go to the contracted agency, the rest stay with the district.
    for inspection in planned[::2]:
        services.inspection_assign(actor=admin, inspection=inspection, agency=agency)
    provider = Organisation.objects.filter(users__username="provider_admin").first()
    provider_admin = User.objects.filter(username="provider_admin").first()
    done = {"planned": len(planned), "submitted": 0, "notices": 0, "ratings": 0}

    def actor_for(inspection):
        return agency_inspector if inspection.agency_id == agency.pk else inspector

    # A few of each kind of facility are done; the provider's own facility first when it has one in the plan.
    todo = sorted(planned, key=lambda i: (i.facility.organisation_id != getattr(provider, "pk", None), i.pk))[:12]
    hazard_done = low_done = overdue_done = False
    provider_notices = 0
    for index, inspection in enumerate(todo):
        inspection.refresh_from_db()  # assigned above through a locked copy
        scheme = inspection.scheme
        points = _points(rng, scheme)
        hard_stops = []
        if not hazard_done and scheme.code == "centre-1000":
            hard_stops, hazard_done = ["H02"], True
        elif not low_done and scheme.code == "station-500":
            points.update({"S01": 0, "S02": 19})  # one point under 40 % of the safety part: no star
            low_done = True
        actor = actor_for(inspection)
        inspection = services.inspection_submit(actor=actor, inspection=inspection, points=points,
                                                hard_stops=hard_stops, manager_name="站点负责人",
                                                notes="现场检查，台账抽查。")
        done["submitted"] += 1
        if hard_stops or index % 3 == 0:
            problems = [{"item_code": code, "description": "配电箱无漏电保护，电线私拉乱接", "working_days": 5}
                        for code in hard_stops]
            first_item = scheme.data["parts"][0]["items"][0]["code"]
            problems.append({"item_code": first_item, "description": "消防设施维护保养记录不全", "working_days": 10})
            notice = services.notice_issue(actor=actor, inspection=inspection, problems=problems)
            done["notices"] += 1
            own = provider_admin is not None and inspection.facility.organisation_id == provider_admin.organisation_id
            if own:
                provider_notices += 1
                if provider_notices == 2:
                    # The provider's second notice is answered with evidence and closed on re-check; its first
                    # stays open on the provider's queue.
                    for problem in notice.problems.all():
                        services.problem_respond(actor=provider_admin, problem=problem, response="已整改，附照片",
                                                 upload=_evidence())
                        services.problem_close(actor=actor, problem=problem, note="复查合格")
            elif not overdue_done:
                # Issued weeks ago and not put right: on the district's overdue queue.
                Problem.objects.filter(notice=notice).update(due_on=as_of - dt.timedelta(days=7))
                RectificationNotice.objects.filter(pk=notice.pk).update(due_on=as_of - dt.timedelta(days=7))
                overdue_done = True
        if inspection.stars and inspection.kind == InspectionKind.QUARTERLY:
            services.rating_decide(actor=admin, inspection=inspection, stars=inspection.stars,
                                   reason="按季度检查得分评定")
            done["ratings"] += 1
    done.update(_lists_and_consortium(admin, as_of))
    return done


def _lists_and_consortium(admin, as_of: dt.date) -> dict[str, int]:
    """The four lists with a few providers on them (one entered, then moved to the negative list after an
    escalated notice), a consortium where an institution's operator also runs centres or stations, and last
    month's scorecards published."""
    from carecircle.core.isolation import visible_to
    from carecircle.inspections.choices import INSTITUTION_KINDS
    from carecircle.inspections.selectors import last_month
    from carecircle.providers.models import Facility

    providers = list(visible_to(admin, Organisation).filter(is_active=True).exclude(
        kind=OrganisationKind.ASSESSMENT_AGENCY).order_by("pk")[:6])
    entries = 0
    reasons = {"basic": "承接区政府购买的居家照护和助餐服务", "guided": "提供政府指导价的日间照料服务",
               "market": "开展助浴、康复等市场化服务"}
    for index, organisation in enumerate(providers[:5]):
        code = ("basic", "guided", "market")[index % 3]
        services.provider_list_enter(actor=admin, organisation=organisation, list_code=code, reason=reasons[code],
                                     on=as_of - dt.timedelta(days=200))
        entries += 1
    if len(providers) == 6:
        moved = providers[5]
        entry = services.provider_list_enter(actor=admin, organisation=moved, list_code="basic",
                                             reason=reasons["basic"], on=as_of - dt.timedelta(days=300))
        services.provider_list_exit(actor=admin, entry=entry, reason="重大事故隐患逾期未整改，经约谈仍未整改",
                                    on=as_of - dt.timedelta(days=30))
        services.provider_list_enter(actor=admin, organisation=moved, list_code="negative",
                                     reason="重大事故隐患逾期未整改，一年内不得承接政府购买服务",
                                     on=as_of - dt.timedelta(days=30))
        entries += 2
    consortia = 0
    for institution in (visible_to(admin, Facility).filter(is_active=True, kind__in=INSTITUTION_KINDS)
                        .select_related("organisation").order_by("pk")):
        members = list(visible_to(admin, Facility).filter(is_active=True, organisation=institution.organisation)
                       .exclude(kind__in=INSTITUTION_KINDS).order_by("pk")[:4])
        if not members:
            continue
        consortium = services.consortium_create(
            actor=admin, name=f"{institution.organisation.name}联合体", institution=institution,
            unifications={"brand": f"统一使用“{institution.organisation.name}”品牌和标识",
                          "building": "按本区社区嵌入式养老服务设施建设标准改造",
                          "service": "统一服务项目、流程和收费标准",
                          "operations": "统一排班、采购和人员培训",
                          "supervision": "牵头机构每季度考核各站点，结果报区民政"})
        for member in members:
            services.consortium_member_add(actor=admin, consortium=consortium, facility=member)
        consortia += 1
        break
    published = 0
    month = last_month(as_of)
    if month < timezone.localdate().replace(day=1):
        # A reset deletes the organisations and with them a previous run's published rows, but keeps the region
        # and the retired accounts, so that run's publication header is still there: the demo replaces it.
        from carecircle.inspections.models import ScorecardPublication

        ScorecardPublication.objects.filter(region=admin.scope_region, month=month).delete()
        services.scorecards_publish(actor=admin, month=month)
        published = 1
    return {"list_entries": entries, "consortia": consortia, "publications": published}


