"""The allowance story on the generated demo district (`carecircle seed_demo`, tiny scale): this month's run
moves the elders who reach a band's age this month up to the new band, the imported death stops the payments
from the following month and recovers the month paid after it with a letter, the bank file adds up to the run,
and the family account's relative holds a printable card."""
import datetime as dt
import json
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.benefits import services
from carecircle.benefits.models import LineKind, Notice, PaymentLine, PaymentRun, PreferentialCard
from carecircle.core.policy import policy_value
from carecircle.engines.benefits import age_in_month, band_for, bands_from_table

AS_OF = dt.date(2026, 6, 1)
JUNE, MAY = dt.date(2026, 6, 1), dt.date(2026, 5, 1)


def test_the_demo_district_tells_the_allowance_story(db, tmp_path, client):
    call_command("seed_demo", "--scale", "tiny", "--seed", "7", "--as-of", AS_OF.isoformat(), "--no-progress",
                 "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    accounts = json.loads((tmp_path / "accounts.json").read_text(encoding="utf-8"))
    june = PaymentRun.objects.select_related("region").get(month=JUNE)
    may = PaymentRun.objects.get(month=MAY, region=june.region)
    assert june.status == "approved" and may.status == "paid"
    bands = bands_from_table(policy_value("benefits.age_allowance.bands", region=june.region, on=JUNE))
    regular = {line.elder_id: line for line in PaymentLine.objects.filter(run=june, kind=LineKind.REGULAR)
               .select_related("elder")}
    before = dict(PaymentLine.objects.filter(run=may, kind=LineKind.REGULAR).values_list("elder_id", "band"))
    moved = 0
    for line in regular.values():
        band = band_for(age_in_month(line.elder.birth_date, JUNE), bands)
        assert (line.band, line.amount) == (band.min_age, band.amount)
        if line.elder.birth_date.month == 6 and line.elder_id in before and before[line.elder_id] < line.band:
            assert JUNE.year - line.elder.birth_date.year == line.band  # moved up in the month of the birthday
            assert Notice.objects.filter(elder=line.elder, kind="band_up", month=JUNE).exists()
            moved += 1
    assert moved >= 1
    recovery = PaymentLine.objects.select_related("elder").get(run=june, kind=LineKind.RECOVERY)
    elder = recovery.elder
    assert elder.status == "deceased" and recovery.for_month == MAY and recovery.amount < 0
    assert elder.pk not in regular
    assert Notice.objects.filter(elder=elder, kind="recovery", month=MAY).exists()
    rows = list(services.bank_rows(june))
    assert rows and sum(Decimal(row[3]) for row in rows) == june.total
    assert elder.pk not in {line.elder_id for line in services.bank_lines(june)}
    family = next(a for a in accounts if a["role"] == "family")
    card = PreferentialCard.objects.get(status="valid")
    user = User.objects.get(username=family["username"])
    assert user.check_password(family["password"])
    client.force_login(user)
    page = client.get(reverse("benefits:mine"))
    assert card.number in page.content.decode()
    assert client.post(reverse("benefits:card", args=[card.pk])).status_code == 200
