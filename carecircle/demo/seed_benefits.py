"""The demo district's allowances and cards.

* the senior-allowance roll as of three months ago (everyone past the starting age with a local
  registration), and the runs of the three past months made, checked, approved and matched back from the
  bank's return file (one payment of last month failed: it is paid again this month);
* a death imported from a death-records file, dated two months ago: this month's run leaves the elder out and
  recovers last month's payment, with the letter to the family;
* this month's run, approved — elders who turn a band's age this month are in it at the new band;
* the family account's relative applies online for the preferential card, the street issues it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from carecircle.accounts.models import User
from carecircle.benefits import services
from carecircle.benefits.models import Enrolment, PaymentLine, PaymentRun
from carecircle.core.roles import Role
from carecircle.elders.models import ElderAccountLink, ElderStatus
from carecircle.engines.benefits import month_add, month_of
from carecircle.regions.models import Region


def _upload(name, header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def _approve(run, admin):
    services.run_step(actor=admin, run=run, action="check")
    return services.run_step(actor=admin, run=run, action="approve")


def demo_benefits_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    district = Region.objects.filter(kind="district").order_by("path").first()
    admin = User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True, scope_region=district).order_by("id").first()
    if district is None or admin is None:
        return {}
    # A demo reset removes the elders and with them every payment line; the district's runs stay behind empty.
    # They are the demo's own leftovers (the seed runs only on a database without people) and are removed here.
    PaymentRun.objects.filter(region=district, lines__isnull=True).delete()
    month = month_of(as_of)
    first = month_add(month, -3)
    services.enrolments_sweep(actor=admin, region=district, month=first, catch_up=True)
    # Known only after last month's run: an elder died two months ago, so last month's payment was one too many.
    candidates = list(Enrolment.objects.filter(status="active", elder__status=ElderStatus.ACTIVE)
                      .exclude(elder__account_links__isnull=False).select_related("elder__community")
                      .order_by("elder_id")[:50])
    deceased = rng.choice(candidates).elder if candidates else None
    for back in (3, 2, 1):
        past = month_add(month, -back)
        services.enrolments_sweep(actor=admin, region=district, month=past)
        run = _approve(services.run_make(actor=admin, region=district, month=past), admin)
        rows = [[str(line.pk), f"{line.amount:.2f}", "成功", ""] for line in services.bank_lines(run)]
        others = [row for row, line in zip(rows, services.bank_lines(run)) if line.elder_id != getattr(deceased, "pk", None)]
        if back == 1 and others:
            rng.choice(others)[2:] = ["失败", "账户已冻结"]
        services.run_return_import(actor=admin, run=run, upload=_upload("return.csv", services.RETURN_COLUMNS, rows))
    if deceased is not None:
        street = deceased.community.parent
        worker = (User.objects.filter(role=Role.STREET_STAFF, is_active=True, scope_region=street)
                  .order_by("id").first()) or admin
        died = month_add(month, -2) + dt.timedelta(days=9)
        services.registry_check_import(
            actor=worker, region=worker.scope_region, kind="death",
            upload=_upload("死亡及火化信息.csv", ("姓名", "身份证号", "去世时间", "火化时间", "火化单位"),
                           [[deceased.name, deceased.id_number, died.isoformat(),
                             (died + dt.timedelta(days=3)).isoformat(), "龙华殡仪馆"]]))
    services.enrolments_sweep(actor=admin, region=district, month=month)
    current = _approve(services.run_make(actor=admin, region=district, month=month), admin)
    cards = 0
    family = User.objects.filter(role=Role.FAMILY, is_active=True).order_by("id").first()
    link = ElderAccountLink.objects.filter(user=family).select_related("elder__community").first() if family else None
    if link is not None and link.elder.status == ElderStatus.ACTIVE:
        street = link.elder.community.parent
        worker = User.objects.filter(role=Role.STREET_STAFF, is_active=True, scope_region=street).order_by("id").first()
        try:
            application = services.application_submit(actor=family, elder=link.elder, programme="card",
                                                      channel="portal")
            if worker is not None:
                services.application_decide(actor=worker, application=application, action="approve")
                cards = 1
        except (ValidationError, PermissionDenied):  # an elder too young for a card in this seed: nothing to show
            pass
    return {"enrolments": Enrolment.objects.count(), "runs": 4,
            "lines": PaymentLine.objects.filter(run=current).count(), "cards": cards,
            "deceased": 1 if deceased else 0}
