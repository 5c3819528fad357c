import datetime as dt
import random

from django.urls import reverse

from carecircle.benefits.models import CardStatus, Notice, PaymentLine, PaymentRun, PreferentialCard


def test_demo_seed_gives_the_done_when_story(programmes, users, client):
    from carecircle.demo.seed_benefits import demo_benefits_seed

    d = programmes
    result = demo_benefits_seed(rng=random.Random(1), as_of=dt.date(2026, 4, 15))
    assert result["deceased"] == 1 and result["cards"] == 1
    runs = {r.month: r for r in PaymentRun.objects.all()}
    assert [runs[dt.date(2026, m, 1)].status for m in (1, 2, 3, 4)] == ["paid", "paid", "paid", "approved"]
    april = runs[dt.date(2026, 4, 1)]
    recovery = PaymentLine.objects.get(run=april, kind="recovery")
    assert recovery.for_month == dt.date(2026, 3, 1) and recovery.amount < 0
    assert recovery.elder.status == "deceased" and recovery.elder.status_date == dt.date(2026, 2, 10)
    assert not PaymentLine.objects.filter(run=april, elder=recovery.elder, amount__gt=0).exists()
    assert Notice.objects.filter(elder=recovery.elder, kind="recovery").exists()
    assert PaymentLine.objects.filter(run=april, kind="retry").count() == 1
    card = PreferentialCard.objects.get(elder=d.elders.a2, status=CardStatus.VALID)
    client.force_login(users.family)
    home = client.get(reverse("workbench:home"))
    assert card.number in home.content.decode()
    assert client.post(reverse("benefits:card", args=[card.pk])).status_code == 200
