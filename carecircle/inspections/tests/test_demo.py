"""The demo's quality supervision, made through the services: the plan, inspections, notices, ratings, the
four lists with an exit to the negative list, a consortium and last month's published scorecards."""
import random

import pytest

from carecircle.demo.seed_inspections import demo_inspections_seed
from carecircle.inspections.models import (
    Consortium,
    Inspection,
    ProviderListEntry,
    PublishedScore,
    ScorecardPublication,
)

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_lists_a_consortium_and_a_publication(world):
    from carecircle.providers.models import Facility

    Facility.objects.create(organisation=world.district.provider, name="福寿护理院", kind="institution",
                            community=world.district.a1, lat="31.205", lng="121.445")
    counts = demo_inspections_seed(rng=random.Random(1), as_of=world.today)
    assert counts["submitted"] >= 2 and Inspection.objects.filter(agency__isnull=False).exists()
    assert counts["consortia"] == 1
    consortium = Consortium.objects.get()
    assert {m.facility.name for m in consortium.members.all()} == {"福寿护理院", "天平社区综合为老服务中心"}
    assert len(consortium.unifications) == 5
    assert ProviderListEntry.objects.filter(exited_on__isnull=True).exists()
    publication = ScorecardPublication.objects.get()
    assert PublishedScore.objects.filter(publication=publication, consortium=consortium).exists()
