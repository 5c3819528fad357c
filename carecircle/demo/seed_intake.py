"""The demo district's applications: the default application types, and applications in every state of the
workflow for both demo streets — from every channel, with merges, corrections, refusals with reasons,
assessments made by the agencies' assessors, public notices (one with an objection), waiting lists in
their explained order, and a few overdue items for the queues.

Every step goes through the intake services (audited, on the timeline), as staff would take it. Dates
that need to lie in the past (an overdue registration, a notice period already over) are moved back
after the step, and only here.
"""
from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.assessment import services as assessment_services
from carecircle.core.roles import Role
from carecircle.elders.models import Elder, ElderAccountLink
from carecircle.intake import services
from carecircle.intake.models import Application, PublicNotice, State
from carecircle.regions.models import Region

from .seed_assessment import _answers, _assessor_pairs

# (type, target state, channel) — every state of the workflow, most types, every channel.
PLAN = [
    ("gov-purchase", "registered", "community"), ("call-device", "registered", "hotline"),
    ("age-allowance", "registered", "window"), ("ltci-home", "registered", "api"),
    ("gov-purchase", "accepted", "window"), ("institution", "accepted", "community"),
    ("age-allowance", "accepted", "window"),
    ("gov-purchase", "correction", "window"), ("ltci-home", "correction", "hotline"),
    ("call-device", "not_accepted", "hotline"),
    ("gov-purchase", "street_passed", "window"), ("institution", "street_passed", "window"),
    ("age-allowance", "street_passed", "community"),
    ("ltci-home", "street_rejected", "window"),
    ("call-device", "district_passed", "window"), ("ltci-home", "district_passed", "community"),
    ("gov-purchase", "district_rejected", "window"),
    ("ltci-home", "assessment_ordered", "window"), ("institution", "assessment_ordered", "community"),
    ("gov-purchase", "assessed", "window"), ("ltci-home", "assessed", "hotline"),
    ("gov-purchase", "public_notice", "window"), ("age-allowance", "public_notice", "window"),
    ("institution", "public_notice", "community"),
    ("call-device", "approved", "window"), ("age-allowance", "approved", "window"),
    ("ltci-home", "in_service", "window"), ("call-device", "in_service", "hotline"),
    ("institution", "in_service", "window"),
    ("gov-purchase", "waitlisted", "window"), ("gov-purchase", "waitlisted", "community"),
    ("gov-purchase", "waitlisted", "hotline"), ("institution", "waitlisted", "window"),
    ("institution", "waitlisted", "community"),
    ("gov-purchase", "withdrawn", "community"),
]
NEGATIVE_REASONS = {
    "not_accept": "申请人非本区户籍，一键通应向户籍地申请",
    "reject_first_review": "经入户核实，老人生活能够自理，且与子女同住，暂不符合居家照护条件",
    "reject_district_review": "家庭人均收入高于本区政府购买服务的经济困难标准",
    "return_for_correction": "缺少户口簿复印件和申请人签字的申请表",
    "withdraw": "家属决定自行照护，申请撤回",
}


class _Driver:
    def __init__(self, rng, pairs, district_admin, staff_by_street, as_of):
        self.rng, self.pairs, self.district_admin, self.staff_by_street = rng, pairs, district_admin, staff_by_street
        self.as_of = as_of

    def street_staff(self, app):
        return self.staff_by_street[app.street_id]

    def act(self, app, action, actor, **kwargs):
        services.application_act(application=app, action=action, actor=actor, **kwargs)

    def assess(self, app):
        order = app.assessment_order
        first, second = self.pairs[order.agency_id]
        assessment_services.assessment_order_schedule(
            order=order, actor=first, assessors=[first, second],
            appointment_at=timezone.make_aware(dt.datetime.combine(self.as_of - dt.timedelta(days=3), dt.time(9))))
        result = assessment_services.assessment_start(order=order, actor=first)
        assessment_services.assessment_save(assessment=result, actor=first,
                                            answers=_answers(self.rng, order.instrument_code,
                                                             self.rng.choice([0.2, 0.35, 0.5])))
        assessment_services.assessment_submit(assessment=result, actor=first)
        result = assessment_services.assessment_confirm(assessment=result, actor=second)
        # The assessment module's event is delivered on commit, after the whole seed; hand the result over now.
        services.assessment_result_received(order=order, assessment=result)
        app.refresh_from_db()

    def end_notice_period(self, app):
        notice = PublicNotice.objects.get(application=app, is_open=True)
        PublicNotice.objects.filter(pk=notice.pk).update(starts_on=self.as_of - dt.timedelta(days=12),
                                                         ends_on=self.as_of - dt.timedelta(days=3))

    def drive(self, app, target):
        street, district = self.street_staff(app), self.district_admin
        kind = app.type
        for _ in range(14):
            state = app.state
            if state == target:
                return
            if target == "not_accepted":
                self.act(app, "not_accept", street, reason=NEGATIVE_REASONS["not_accept"])
            elif target == "street_rejected" and state == "accepted":
                self.act(app, "reject_first_review", street, reason=NEGATIVE_REASONS["reject_first_review"])
            elif target == "district_rejected" and state == "street_passed":
                self.act(app, "reject_district_review", district, reason=NEGATIVE_REASONS["reject_district_review"])
            elif target == "correction" and state == "accepted":
                self.act(app, "return_for_correction", street, reason=NEGATIVE_REASONS["return_for_correction"])
            elif target == "withdrawn" and state == "accepted":
                self.act(app, "withdraw", street, reason=NEGATIVE_REASONS["withdraw"])
            elif state == "registered":
                self.act(app, "accept", street)
            elif state == "accepted":
                self.act(app, "pass_first_review", street)
            elif state == "street_passed":
                self.act(app, "pass_district_review", district)
            elif state == "district_passed" and kind.requires_assessment:
                # An agency whose two demo assessors can finish the job.
                agencies = [a for a in assessment_services.candidate_agencies(app.elder) if a.pk in self.pairs]
                if not agencies:
                    raise ValidationError("no agency with demo assessors serves this elder")
                self.act(app, "order_assessment", district, agency=agencies[0])
            elif state == "assessment_ordered":
                self.assess(app)
            elif state in ("district_passed", "assessed"):
                self.act(app, "publish_notice" if kind.public_notice else "approve", street)
            elif state == "public_notice":
                self.end_notice_period(app)
                self.act(app, "close_notice", street)
            elif state == "waitlisted":
                self.act(app, "admit", street)
            elif state == "approved":
                self.act(app, "start_service", street)
            else:
                raise RuntimeError(f"demo intake: cannot drive {state} to {target}")


def demo_intake_seed(*, actor=None, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    district = Region.objects.filter(kind="district").order_by("path").first()
    if district is None:
        return {"application_types": 0, "applications": 0}
    types = services.application_types_seed(region=district, actor=actor)
    staff = list(User.objects.filter(role=Role.STREET_STAFF, is_active=True, scope_region__isnull=False)
                 .select_related("scope_region").order_by("id"))
    district_admin = User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True).order_by("id").first()
    if not staff or district_admin is None:
        return {"application_types": len(types), "applications": 0}
    staff_by_street = {u.scope_region_id: u for u in staff}
    pairs = _assessor_pairs()
    driver = _Driver(rng, pairs, district_admin, staff_by_street, as_of)
    community_worker = User.objects.filter(role=Role.COMMUNITY_WORKER, is_active=True).first()
    operator = User.objects.filter(role=Role.OPERATOR, is_active=True).first()

    # The family's own relative applies on the portal and waits in line; a second channel is merged in.
    family = User.objects.filter(role=Role.FAMILY, is_active=True).first()
    link = ElderAccountLink.objects.filter(user=family).select_related("elder__community").first() if family else None
    made = 0
    if link is not None and link.elder.community.path.startswith(tuple(s.scope_region.path for s in staff)):
        submission = services.application_submit(elder=link.elder, type_code="gov-purchase", channel="portal",
                                                 actor=family, applicant_name=family.display_name,
                                                 applicant_relation="家属", note="母亲独居，希望每周有人上门助浴助洁")
        window_actor = staff_by_street.get(submission.application.street_id)
        if window_actor is not None:
            services.application_submit(elder=link.elder, type_code="gov-purchase", channel="window",
                                        actor=window_actor, documents=["身份证", "户口簿"])
            driver.drive(submission.application, "waitlisted")
        made += 1

    used = {link.elder_id} if link is not None else set()
    for index, (code, target, channel) in enumerate(PLAN):
        street = staff[index % len(staff)].scope_region
        elders = list(Elder.objects.filter(status="active", community__path__startswith=street.path)
                      .exclude(pk__in=used).order_by("id")[:400].values_list("pk", flat=True))
        app = None
        for elder_id in rng.sample(elders, min(len(elders), 5)):
            elder = Elder.objects.select_related("community").get(pk=elder_id)
            used.add(elder.pk)
            submitter = {"community": community_worker, "hotline": operator}.get(channel) or staff_by_street[street.pk]
            used_channel = channel
            if channel == "community" and (submitter is None or not elder.community.path.startswith(
                    submitter.scope_region.path)):
                submitter, used_channel = staff_by_street[street.pk], "window"
            kind = next(t for t in types if t.code == code)
            documents = kind.documents if target != "correction" else kind.documents[:1]
            try:
                with transaction.atomic():
                    app = services.application_submit(elder=elder, type_code=code, channel=used_channel,
                                                      actor=submitter, documents=documents).application
                    driver.drive(app, target)
                break
            except (ValidationError, services.IllegalStep):
                # E.g. the elder already has an open assessment order from the assessment demo: next elder.
                app = None
        if app is None:
            continue
        made += 1
        if target == "public_notice" and code == "gov-purchase":
            notice = PublicNotice.objects.get(application=app, is_open=True)
            services.objection_lodge(notice=notice, lodged_by="邻居徐先生", phone="13764001234",
                                     text="老人的子女每天都回家照顾，并非无人照料，请核实。")
        if target == "registered" and index < 2:
            # Overdue: registered well before the demo day and not yet accepted.
            past = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=9), dt.time(10)))
            Application.objects.filter(pk=app.pk).update(created_at=past, state_since=past,
                                                         due_on=as_of - dt.timedelta(days=5))
    return {"application_types": len(types), "applications": made,
            "waitlisted": Application.objects.filter(state=State.WAITLISTED).count()}
