"""The work-order page and API: a day's list in scope, generating it (idempotent), and who may."""
from django.test import Client

from carecircle.careplans import services
from carecircle.workorders.models import WorkOrder

from .conftest import MONDAY


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_work_order_page_generates_and_lists_the_day(level4, users):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    client = client_for(users.provider_admin)
    response = client.post("/careplans/work-orders/generate/", {"date": "2026-11-24"}, follow=True)
    page = response.content.decode()
    assert "2026-11-24 的工单已生成：新增 1" in page and level4.name in page
    assert WorkOrder.objects.count() == 1
    empty = client.get("/careplans/work-orders/?date=2026-11-29").content.decode()
    assert "这一天没有工单" in empty
    assert client_for(users.street_staff).post("/careplans/work-orders/generate/",
                                               {"date": "2026-11-24"}).status_code == 403


def test_work_orders_by_date_in_scope(level4, users, api_as):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    provider = api_as(users.provider_admin)
    generated = provider.post("/api/v1/work-orders/generate/", {"date": "2026-11-24"}, format="json")
    assert generated.status_code == 200 and generated.json()["created"] == 1
    listed = provider.get("/api/v1/work-orders/?date=2026-11-24").json()
    assert listed["count"] == 1
    work = listed["results"][0]
    assert work["date"] == "2026-11-24" and work["elder"] == level4.pk and work["status"] == "pending"
    assert provider.get("/api/v1/work-orders/?date=2026-11-25").json()["count"] == 0
    assert provider.get("/api/v1/work-orders/?date=tomorrow").status_code == 400
    assert api_as(users.street_staff_b).get("/api/v1/work-orders/?date=2026-11-24").json()["count"] == 0
    assert api_as(users.street_staff).get("/api/v1/work-orders/?date=2026-11-24").json()["count"] == 1
    assert api_as(users.street_staff).post("/api/v1/work-orders/generate/", {"date": "2026-11-24"},
                                           format="json").status_code == 403
    assert WorkOrder.objects.count() == 1


def test_generating_twice_through_the_api_changes_nothing(level4, users, api_as):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    provider = api_as(users.provider_admin)
    provider.post("/api/v1/work-orders/generate/", {"date": "2026-11-24"}, format="json")
    again = provider.post("/api/v1/work-orders/generate/", {"date": "2026-11-24"}, format="json").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    assert provider.post("/api/v1/work-orders/generate/", {"date": "soon"}, format="json").status_code == 400
    assert WorkOrder.objects.count() == 1
