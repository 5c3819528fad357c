"""A request that waits past the database's lock timeout answers 503 "busy, try again" in the reader's language,
with Retry-After, and saves nothing — the API and the pages alike, on SQLite as on PostgreSQL. Any other
database error stays a fault. SQLite must be configured so that transactions take the write lock first."""
import pytest
from django.core import checks
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from carecircle.core.checks import sqlite_lock_problems, sqlite_transactions_take_the_write_lock
from carecircle.core.errors import is_database_busy
from carecircle.core.models import AuditEvent


class _PostgresCause(Exception):
    def __init__(self, sqlstate):
        super().__init__("refused")
        self.sqlstate = sqlstate


def _operational(message, sqlstate=None):
    error = OperationalError(message)
    if sqlstate is not None:
        error.__cause__ = _PostgresCause(sqlstate)
    return error


@pytest.mark.parametrize("error, busy", [
    (_operational("database is locked"), True),
    (_operational("database table is locked: core_auditevent"), True),
    (_operational("canceling statement due to lock timeout", "55P03"), True),
    (_operational("deadlock detected", "40P01"), True),
    (_operational("could not serialize access due to concurrent update", "40001"), True),
    (_operational("no such table: intake_application"), False),
    (_operational("connection to server was lost", "08006"), False),
    (IntegrityError("database is locked"), False),  # only an OperationalError says the database was busy
    (ValueError("database is locked"), False),
])
def test_only_a_lock_that_ran_out_counts_as_busy(error, busy):
    assert is_database_busy(error) is busy


def _sqlite(options):
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3", "OPTIONS": options}}


@pytest.mark.parametrize("options, ids", [
    ({"timeout": 20, "transaction_mode": "IMMEDIATE"}, []),
    ({"timeout": 20, "transaction_mode": "immediate"}, []),
    ({"timeout": 20}, ["core.E001"]),
    ({"timeout": 20, "transaction_mode": "DEFERRED"}, ["core.E001"]),
    ({"transaction_mode": "IMMEDIATE"}, ["core.E002"]),
    ({}, ["core.E001", "core.E002"]),
])
def test_start_up_refuses_sqlite_without_immediate_transactions_and_a_busy_timeout(options, ids):
    assert [problem.id for problem in sqlite_lock_problems(_sqlite(options))] == ids


def test_the_configured_database_passes_the_check_and_postgresql_is_not_concerned():
    assert sqlite_transactions_take_the_write_lock in checks.registry.registry.get_checks()
    assert sqlite_transactions_take_the_write_lock() == []
    postgres = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": {}}}
    assert sqlite_lock_problems(postgres) == []


@pytest.fixture
def short_lock_wait(race, monkeypatch):
    """Connections opened from now on wait 0.2 s for a lock, not the configured 20 s."""
    race.prepare()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    if connection.vendor == "sqlite":
        monkeypatch.setitem(options, "timeout", 0.2)
    else:
        monkeypatch.setitem(options, "options", "-c lock_timeout=200")
    return race


def test_a_step_that_waits_too_long_answers_503_and_saves_nothing(district, users, short_lock_wait):
    from carecircle.intake.defaults import application_types_seed
    from carecircle.intake.models import Application, State
    from carecircle.intake.services import application_submit
    from carecircle.intake.tests.conftest import seed_intake_policy

    seed_intake_policy()
    application_types_seed(region=district.district)
    app = application_submit(elder=district.elders.a1, type_code="gov-purchase", channel="window",
                             actor=users.street_staff).application
    url = f"/api/v1/applications/{app.pk}/actions/"
    page = Client()
    page.force_login(users.street_staff)  # the session is written now, before the lock is taken

    def api(language):
        def call():
            client = APIClient()
            client.force_authenticate(users.street_staff)
            return client.post(url, {"action": "accept"}, format="json", HTTP_ACCEPT_LANGUAGE=language)
        return call

    def form(language):
        return lambda: page.post(f"/intake/{app.pk}/act/", {"action": "accept"}, HTTP_ACCEPT_LANGUAGE=language)

    before = AuditEvent.objects.count()
    # Another transaction holds the application (on SQLite: the database's write lock) for longer than
    # the requests may wait.
    with transaction.atomic():
        held = Application.objects.select_for_update().get(pk=app.pk)
        held.note = "正在处理"
        held.save(update_fields=["note"])
        api_zh, api_en, page_zh, page_en = short_lock_wait.run(api("zh-hans"), api("en"), form("zh-hans"),
                                                               form("en"), hold=0)
    for response in (api_zh, api_en, page_zh, page_en):
        assert not isinstance(response, BaseException), repr(response)
        assert response.status_code == 503, response.content[:500]
        assert response["Retry-After"] == "2"
    assert api_zh.json() == {"detail": "系统正忙：另一项操作正在修改同一批数据。您这次的操作没有保存，请稍后再试。",
                             "retry_after": 2}
    assert api_en.json()["detail"].startswith("The system is busy") and "not saved" in api_en.json()["detail"]
    zh, en = page_zh.content.decode(), page_en.content.decode()
    assert "系统正忙，请稍后再试" in zh and 'class="mainnav"' in zh
    assert "The system is busy" in en and "系统正忙" not in en
    app.refresh_from_db()
    assert app.state == State.REGISTERED and app.note == "正在处理"
    assert list(app.events.values_list("action", flat=True)) == ["registered"]
    assert AuditEvent.objects.count() == before
