"""The district's trend chart counts complaints received and return visits made per month."""
import datetime as dt

from carecircle.quality import services
from carecircle.quality.plugin import trends

from .conftest import at


def test_trends_count_complaints_and_return_visits_made_per_month(quality, client):
    services.complaint_file(actor=quality.u.operator, elder=quality.d.elders.a1, category="quality", summary="不干净",
                            now=at(dt.date(2026, 10, 12)))
    visit = services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="manual")
    services.return_visit_record(actor=quality.u.operator, return_visit=visit, outcome="reached", satisfaction=4,
                                 now=at(dt.date(2026, 11, 3)))
    months = [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    series = {s.key: list(s.values) for s in trends(quality.u.district_admin, months)}
    assert series == {"complaints": [1, 0], "return_visits": [0, 1]}
    assert trends(quality.u.family, months) == []
    client.force_login(quality.u.district_admin)
    assert client.get("/workbench/trends.json").status_code == 200
