"""The demo district's quality supervision: this quarter's inspection plan, a contracted inspection agency with
its own inspector (a third-party evaluation agency's account that sees only what the agency is assigned), some inspections done — most of them good, one
station a point under the 40 % safety minimum, one centre with a major hazard and its rectification notice,
one notice answered and closed, one overdue — and the star ratings those inspections earned.

Everything goes through the inspections app's services, so the trail reads as it would in use."""
from __future__ import annotations

import datetime as dt
import random


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
    return done


