"""Rows for the access matrix (tests/test_access_matrix.py): runs in the shared district and the neighbouring
one, and for every elder of street A, street B and the neighbouring district a line, an enrolment, a notice, an
application, a card and a registry finding."""
import datetime as dt


def make_benefits(world):
    from carecircle.benefits.models import (
        BenefitApplication,
        Enrolment,
        Notice,
        PaymentLine,
        PaymentRun,
        PreferentialCard,
        RegistryCheck,
        RegistryFinding,
    )

    month = dt.date(2026, 11, 1)
    d = world.district
    runs = {d.district.pk: PaymentRun.objects.create(region=d.district, month=month),
            world.outside.district.pk: PaymentRun.objects.create(region=world.outside.district, month=month)}
    for index, elder in enumerate((*world.district_elders, world.outside.elder)):
        community = elder.community
        district = world.outside.district if community.path.startswith(world.outside.district.path) else d.district
        street = community.parent
        Enrolment.objects.create(elder=elder, band=80, start_month=month, source="automatic")
        PaymentLine.objects.create(run=runs[district.pk], elder=elder, kind="regular", for_month=month, band=80,
                                   amount="180.00")
        Notice.objects.create(elder=elder, kind="enrolled", month=month, body="matrix notice")
        BenefitApplication.objects.create(elder=elder, programme="card", channel="window")
        PreferentialCard.objects.create(elder=elder, kind="65", number=f"MATRIX{index:04d}", issued_on=month)
        check = RegistryCheck.objects.create(kind="death", filename="matrix.csv", region=street)
        RegistryFinding.objects.create(check_run=check, region=street, outcome="not_found", row_number=2,
                                       name="matrix", detail="matrix finding")


MAKERS = {
    "benefits.paymentrun": make_benefits,
    "benefits.paymentline": make_benefits,
    "benefits.enrolment": make_benefits,
    "benefits.notice": make_benefits,
    "benefits.benefitapplication": make_benefits,
    "benefits.preferentialcard": make_benefits,
    "benefits.registrycheck": make_benefits,
    "benefits.registryfinding": make_benefits,
}

URL_OBJECTS = {
    "benefits:run-step": {"pk": "benefits.paymentrun"},
    "benefits:run-adjust": {"pk": "benefits.paymentrun"},
    "benefits:run-return": {"pk": "benefits.paymentrun"},
    "benefits:bank-file": {"pk": "benefits.paymentrun"},
    "benefits:lines-export": {"pk": "benefits.paymentrun"},
    "benefits:application-decide": {"pk": "benefits.benefitapplication"},
    "benefits:card": {"pk": "benefits.preferentialcard"},
    "benefits:card-loss": {"pk": "benefits.preferentialcard"},
    "benefits:notice": {"pk": "benefits.notice"},
    "benefits:finding-resolve": {"pk": "benefits.registryfinding"},
    "benefits:check": {"pk": "benefits.registrycheck"},
}
