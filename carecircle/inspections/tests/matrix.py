"""Rows for the access matrix (tests/test_access_matrix.py): a station in street A, street B and the
neighbouring district, each with a submitted inspection (a photo, a hazard), its rectification notice with one
answered problem, and a star rating — so every role meets an object inside its scope and one outside it.

The inspections are submitted; street A's is assigned to the district's contracted agency (whose inspector
sees it and nothing else), the others to nobody: providers see only submitted visits, and a district
inspector does what is assigned to nobody in their region."""


def make_inspections(world):
    import io

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from PIL import Image

    from carecircle.inspections.models import (
        Inspection,
        InspectionPhoto,
        Problem,
        RatingScheme,
        RectificationNotice,
        StarRating,
    )
    from carecircle.inspections.services import schemes_load
    from carecircle.providers.models import Facility

    if not RatingScheme.objects.exists():
        schemes_load()
    scheme = RatingScheme.objects.get(code="station-500", is_current=True)
    points = {item["code"]: item["max_points"] for part in scheme.data["parts"] for item in part["items"]}
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    image = buffer.getvalue()
    d = world.district
    today = timezone.localdate()
    for number, (org, community) in enumerate(((d.provider, d.a1), (d.other_provider, d.b1),
                                               (world.outside.provider, world.outside.community)), start=1):
        facility = Facility.objects.create(organisation=org, community=community, name=f"{community.name}睦邻点",
                                           kind="activity_room", lat=community.centroid_lat,
                                           lng=community.centroid_lng)
        inspection = Inspection.objects.create(
            facility=facility, scheme=scheme, kind="quarterly", period="", due_on=today, status="submitted",
            agency=d.agency if number == 1 else None,
            points={k: str(v) for k, v in points.items()}, hard_stops=["H03"], total=500, stars=0, passed=False,
            trace={"rules": [{"kind": "hard_stop", "item": "H03", "part": "", "stars": 0, "points": "0",
                              "threshold": "0"}], "parts": []},
            submitted_at=timezone.now())
        photo = InspectionPhoto(inspection=inspection, item_code="H03", content_type="image/png", sha256="0" * 64)
        photo.image.save("matrix.png", ContentFile(image), save=False)
        photo.save()
        notice = RectificationNotice.objects.create(inspection=inspection, facility=facility,
                                                    number=f"ZG-MATRIX-{number}", due_on=today,
                                                    issued_by=world.users.inspector)
        problem = Problem(notice=notice, item_code="H03", hard_stop=True, description="彩钢板搭建的活动室",
                          working_days=5, due_on=today, status="responded", response="已拆除",
                          evidence_type="image/png", evidence_sha256="0" * 64)
        problem.evidence.save("matrix.png", ContentFile(image), save=False)
        problem.save()
        StarRating.objects.create(facility=facility, scheme=scheme, inspection=inspection, stars=3,
                                  valid_from=today, valid_until=today.replace(year=today.year + 3),
                                  decided_by=world.users.district_admin)


def make_consortia(world):
    """A consortium led by an institution in street A, street B and the neighbouring district, with a member
    station, and one list entry for each of their organisations."""
    from django.utils import timezone

    from carecircle.inspections.models import Consortium, ConsortiumMember, ProviderListEntry
    from carecircle.providers.models import Facility

    d = world.district
    today = timezone.localdate()
    for org, community, region in ((d.provider, d.a1, d.street_a), (d.other_provider, d.b1, d.street_b),
                                   (world.outside.provider, world.outside.community, world.outside.district)):
        institution = Facility.objects.create(organisation=org, community=community, name=f"{community.name}护理院",
                                              kind="institution", lat=community.centroid_lat,
                                              lng=community.centroid_lng)
        station = Facility.objects.create(organisation=org, community=community, name=f"{community.name}连锁站点",
                                          kind="activity_room", lat=community.centroid_lat,
                                          lng=community.centroid_lng)
        consortium = Consortium.objects.create(name=f"{community.name}联合体", lead=org, institution=institution,
                                               region=region, created_by=world.users.district_admin,
                                               unifications={"brand": "统一品牌"})
        for facility in (institution, station):
            ConsortiumMember.objects.create(consortium=consortium, facility=facility, joined_on=today)
        ProviderListEntry.objects.create(organisation=org, region=region, list_code="basic", entered_on=today,
                                         entry_reason="承接基本养老服务", entered_by=world.users.district_admin)


MAKERS = {
    "inspections.consortium": make_consortia,
    "inspections.consortiummember": make_consortia,
    "inspections.providerlistentry": make_consortia,
    "inspections.inspection": make_inspections,
    "inspections.inspectionphoto": make_inspections,
    "inspections.rectificationnotice": make_inspections,
    "inspections.problem": make_inspections,
    "inspections.starrating": make_inspections,
}
