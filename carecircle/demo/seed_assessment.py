"""The demo district's assessments and care levels.

* LTCI care levels imported from the city's own assessment system for about 7.5 % of the elders (Xuhui had
  24,000 LTCI users among 320,000 residents aged 60+), levels 1–6 weighted towards the middle, each valid
  for the programme's validity period;
* real assessments through the whole workflow (order, two assessors, every item answered, both confirm)
  for a few dozen elders, so that histories, explanations and the quality page have something to show;
* open orders in every state for the assessors' and streets' workbenches.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.assessment import services
from carecircle.assessment.models import CareLevel, CareLevelSource, Programme
from carecircle.core.roles import Role
from carecircle.elders.models import Elder
from carecircle.engines.scoring import load_instrument
from carecircle.providers.models import Organisation, OrganisationKind

LTCI_SHARE = Decimal("0.075")
LEVEL_WEIGHTS = {1: 10, 2: 22, 3: 24, 4: 20, 5: 14, 6: 10}
EXTERNAL_SOURCE = "上海市老年照护统一需求评估系统（演示数据）"
FINAL_ASSESSMENTS = 24
OPEN_ORDERS = 12
PARTNER_PASSWORD = "Demo-2026!assessor"


def _answers(rng: random.Random, instrument_code: str, severity: float) -> dict[str, str]:
    """An answer set: each item drops from its best option with a probability that grows with severity."""
    answers = {}
    for item in load_instrument(instrument_code).items:
        options = sorted(item.options, key=lambda o: -o.points)
        options = [o for o in options if o.code != "0-coma"]
        index = 0
        while index < len(options) - 1 and rng.random() < severity:
            index += 1
        answers[item.code] = options[index].code
    return answers


def _assessor_pairs() -> dict[int, list[User]]:
    """Two assessor accounts per agency that has one (the demo's colleague is added where missing)."""
    pairs = {}
    for user in User.objects.filter(role=Role.ASSESSOR, is_active=True).select_related("organisation"):
        partners = list(User.objects.filter(role=Role.ASSESSOR, organisation=user.organisation, is_active=True)
                        .exclude(pk=user.pk))
        if not partners:
            partners = [User.objects.create_user(
                username=f"{user.username}_partner", password=PARTNER_PASSWORD, role=Role.ASSESSOR,
                organisation=user.organisation, display_name=f"{user.organisation.name} 评估员二")]
        pairs[user.organisation_id] = [user, partners[0]]
    return pairs


def demo_assessment_seed(*, actor=None, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    elder_ids = list(Elder.objects.filter(status="active").order_by("birth_date", "id").values_list("id", flat=True))
    if not elder_ids:
        return {"care_levels": 0, "assessments": 0, "open_orders": 0}
    # Older people are likelier to hold a care level: draw from the older half twice as often.
    older, younger = elder_ids[: len(elder_ids) // 2], elder_ids[len(elder_ids) // 2:]
    wanted = max(1, int(len(elder_ids) * LTCI_SHARE))
    chosen = set(rng.sample(older, min(len(older), wanted * 2 // 3)))
    chosen |= set(rng.sample(younger, min(len(younger), wanted - len(chosen))))
    levels, weights = list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values())
    rows = []
    for elder_id in sorted(chosen):
        valid_from = as_of - dt.timedelta(days=rng.randrange(0, 700))
        valid_until = services._add_months(valid_from, 24) - dt.timedelta(days=1)
        rows.append(CareLevel(elder_id=elder_id, programme=Programme.LTCI, level=rng.choices(levels, weights)[0],
                              source=CareLevelSource.EXTERNAL, external_source=EXTERNAL_SOURCE,
                              valid_from=valid_from, valid_until=valid_until))
    CareLevel.objects.bulk_create(rows, batch_size=2000)

    pairs = _assessor_pairs()
    agencies = {a.pk: a for a in Organisation.objects.filter(pk__in=pairs, kind=OrganisationKind.ASSESSMENT_AGENCY)}
    street_actor = User.objects.filter(role=Role.STREET_STAFF).order_by("id").first() or actor
    candidates = [e for e in rng.sample(elder_ids, min(len(elder_ids), 400)) if e not in chosen]
    done = opened = 0
    appointment = timezone.make_aware(dt.datetime.combine(as_of, dt.time(9, 30)))
    for elder in Elder.objects.filter(pk__in=candidates).select_related("community"):
        if done >= FINAL_ASSESSMENTS and opened >= OPEN_ORDERS:
            break
        agency_options = [a for a in services.candidate_agencies(elder) if a.pk in agencies]
        if not agency_options:
            continue
        agency = agency_options[0]
        first, second = pairs[agency.pk]
        order = services.assessment_order_create(elder=elder, actor=street_actor, programme=Programme.LTCI,
                                                 reason="application", agency=agency)
        if done < FINAL_ASSESSMENTS:
            services.assessment_order_schedule(order=order, actor=first, assessors=[first, second],
                                               appointment_at=appointment - dt.timedelta(days=rng.randrange(1, 60)))
            assessment = services.assessment_start(order=order, actor=first)
            dementia = rng.random() < 0.2
            services.assessment_save(assessment=assessment, actor=first,
                                     answers=_answers(rng, order.instrument_code, rng.choice([0.05, 0.2, 0.35, 0.5])),
                                     diagnoses=(["F03"] if dementia else []) + rng.sample(["I10", "E11", "I63", "M81"], 1),
                                     risk_events={"fall": rng.choice([0, 0, 0, 1, 2])})
            services.assessment_submit(assessment=assessment, actor=first)
            services.assessment_confirm(assessment=assessment, actor=second)
            done += 1
            continue
        state = opened % 3
        if state >= 1:
            services.assessment_order_schedule(order=order, actor=first, assessors=[first, second],
                                               appointment_at=appointment + dt.timedelta(days=rng.randrange(1, 10)))
        if state == 2:
            assessment = services.assessment_start(order=order, actor=first)
            partial = dict(list(_answers(rng, order.instrument_code, 0.3).items())[: rng.randrange(3, 12)])
            services.assessment_save(assessment=assessment, actor=first, answers=partial)
        opened += 1
    return {"care_levels": len(rows), "assessments": done, "open_orders": opened}
