"""Fixtures shared by every app's tests: a small district with two streets and a user of every role."""
import contextlib
import datetime as dt
import itertools
import os
import threading
import time
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from carecircle.core.roles import Role

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_axes_lockouts_between_tests(settings):
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _empty_cache_between_tests():
    """Counters kept in the cache (core.throttle) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A request in English leaves English active in the thread; the next test starts in the site's language."""
    yield
    from django.utils import translation

    translation.activate("zh-hans")


def make_region(code, name, kind, parent=None, lat=None, lng=None, boundary=None):
    from carecircle.regions.models import Region

    return Region.objects.create(code=code, name=name, kind=kind, parent=parent,
                                 centroid_lat=lat, centroid_lng=lng, boundary=boundary)


def square(lat, lng, half=0.01):
    return {"type": "Polygon", "coordinates": [[[lng - half, lat - half], [lng + half, lat - half],
                                                 [lng + half, lat + half], [lng - half, lat + half],
                                                 [lng - half, lat - half]]]}


def make_elder(community, *, name="张三明", birth=dt.date(1940, 5, 6), gender="M", household_type="alone",
               economic_category="general", phone="13800138000", **extra):
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.models import Elder

    id_number = extra.pop("id_number", None) or make_id_number("310104", birth, next(_sequence), gender)
    lat = extra.pop("lat", community.centroid_lat)
    lng = extra.pop("lng", community.centroid_lng)
    return Elder.objects.create(name=name, gender=gender, birth_date=birth, id_number=id_number, phone=phone,
                                community=community, address=extra.pop("address", f"{community.name}1号"),
                                lat=lat, lng=lng, household_type=household_type,
                                economic_category=economic_category, **extra)


def seed_policy(*keys):
    """The seed file's values of these policy parameters, written directly (no audit event: test set-up)."""
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy import seed_values
    from carecircle.regions.models import Region

    rows = [row for row in seed_values() if row["key"] in keys]
    assert {row["key"] for row in rows} == set(keys), "the seed file must carry these parameters"
    for row in rows:
        PolicyParameter.objects.create(key=row["key"], region=Region.objects.get(code=row["region"]),
                                       value=row["value"], effective_from=dt.date.fromisoformat(row["effective_from"]),
                                       source=row["source"], confidence=row["confidence"])


@pytest.fixture
def district(db):
    """City → district → streets A and B; communities A1, A2 (street A) and B1 (street B)."""
    from carecircle.providers.models import Organisation, ServiceArea

    city = make_region("310000", "上海市", "city")
    dist = make_region("310104", "徐汇区", "district", city, 31.18, 121.44, square(31.18, 121.44, 0.08))
    street_a = make_region("310104003", "天平路街道", "street", dist, 31.20, 121.44, square(31.20, 121.44, 0.02))
    street_b = make_region("310104011", "枫林路街道", "street", dist, 31.19, 121.46, square(31.19, 121.46, 0.02))
    a1 = make_region("310104003001", "天平社区", "community", street_a, 31.205, 121.445, square(31.205, 121.445, 0.004))
    a2 = make_region("310104003002", "永嘉社区", "community", street_a, 31.195, 121.435, square(31.195, 121.435, 0.004))
    b1 = make_region("310104011001", "枫林社区", "community", street_b, 31.19, 121.46, square(31.19, 121.46, 0.004))
    provider = Organisation.objects.create(name="福寿居家养老服务社", kind="home_care", credit_code="91310104MA1FL0001X",
                                           region=dist)
    other_provider = Organisation.objects.create(name="康乐护理站", kind="nursing_station",
                                                 credit_code="91310104MA1FL0002X", region=dist)
    agency = Organisation.objects.create(name="明鉴评估事务所", kind="assessment_agency",
                                         credit_code="91310104MA1FL0003X", region=dist)
    ServiceArea.objects.create(organisation=provider, community=a1)
    ServiceArea.objects.create(organisation=other_provider, community=b1)
    seed_policy("elders.min_age")  # every deployment has it: the register's minimum age
    elders = SimpleNamespace(
        a1=make_elder(a1, name="张三明"),
        a2=make_elder(a2, name="李秀英", gender="F", birth=dt.date(1935, 2, 1), household_type="elderly_only"),
        b1=make_elder(b1, name="王建国", birth=dt.date(1950, 9, 9), household_type="with_children"),
    )
    return SimpleNamespace(city=city, district=dist, street_a=street_a, street_b=street_b, a1=a1, a2=a2, b1=b1,
                           provider=provider, other_provider=other_provider, agency=agency, elders=elders)


@pytest.fixture
def users(district):
    """One user per role scoped inside street A (or its organisations), plus street B's staff."""
    from carecircle.accounts.models import User
    from carecircle.elders.models import ElderAccountLink

    def make(username, role, **scope):
        return User.objects.create_user(username=username, password="Test-pass-2026", role=role,
                                        display_name=username, **scope)

    result = SimpleNamespace(
        district_admin=make("district_admin", Role.DISTRICT_ADMIN, scope_region=district.district),
        street_staff=make("street_a", Role.STREET_STAFF, scope_region=district.street_a),
        street_staff_b=make("street_b", Role.STREET_STAFF, scope_region=district.street_b),
        community_worker=make("community_a1", Role.COMMUNITY_WORKER, scope_region=district.a1),
        operator=make("operator", Role.OPERATOR, scope_region=district.district),
        inspector=make("inspector", Role.INSPECTOR, scope_region=district.district),
        provider_admin=make("provider", Role.PROVIDER_ADMIN, organisation=district.provider),
        caregiver=make("caregiver", Role.CAREGIVER, organisation=district.provider),
        assessor=make("assessor", Role.ASSESSOR, organisation=district.agency),
        elder=make("elder", Role.ELDER),
        family=make("family", Role.FAMILY),
    )
    ElderAccountLink.objects.create(user=result.elder, elder=district.elders.a1, relation="本人")
    ElderAccountLink.objects.create(user=result.family, elder=district.elders.a2, relation="女儿")
    return result


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login


class Race:
    """Runs callables at the same moment, each in its own thread with its own database connection.

    On SQLite the test database is in memory with a shared cache, where one writer makes the others fail at
    once instead of waiting: that is not how the product runs. The first `run` therefore copies the test
    database into a file (WAL, the product's own connection options) and points every connection at it until
    the test ends, so the race meets the same locks a deployment does. On PostgreSQL the threads simply open
    their own connections to the test database.

    `hold` keeps the first writer inside its transaction a little longer (its first audit event waits), so the
    other call is surely under way before the first one commits.
    """

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.path = None
        self._memory = None
        self._memory_name = None

    def prepare(self):
        """Move to the file database now (before the test takes locks of its own); `run` does it otherwise."""
        self._to_file()

    def _to_file(self):
        import sqlite3
        import tempfile

        from django.db import connection

        if self.path is not None or connection.vendor != "sqlite" or not connection.is_in_memory_db():
            return
        connection.ensure_connection()
        fd, path = tempfile.mkstemp(prefix="carecircle-race-", suffix=".sqlite3")
        os.close(fd)
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        # WAL now, once: two racing connections that each switch a fresh file to WAL (the product's init_command)
        # at the same moment make one fail with "database is locked" at once, without waiting for the lock.
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
        # Keep the in-memory database alive (its last connection closing would drop it) and reconnect to the file.
        self._memory, self._memory_name, self.path = connection.connection, connection.settings_dict["NAME"], path
        connection.connection = None
        connection.settings_dict["NAME"] = path

    def restore(self):
        from django.db import connection

        if self.path is not None:
            connection.close()
            connection.settings_dict["NAME"] = self._memory_name
            connection.connection = self._memory
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path + suffix)
            self.path = None
        if connection.vendor == "sqlite":
            # The flush after a transactional test deletes rows one table at a time, which the audit table's
            # append-only trigger refuses: lift it for this one clean-up (PostgreSQL truncates instead).
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
                cursor.execute("DELETE FROM core_auditevent")
                cursor.execute("CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON "
                               "core_auditevent BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;")

    def run(self, *calls, hold: float = 0.3, ordered: bool = False) -> list:
        """Each call's result, or the exception it raised, in the order given.

        All calls start together; with `ordered`, the first call starts alone and the others start as soon as
        it is inside its transaction (at its first audit event, held for `hold` seconds): the first one then
        surely wins, and the others meet its lock.
        """
        from django.db import connections

        from carecircle.core import audit

        self._to_file()
        record = audit.record
        holder = threading.Lock()
        inside = threading.Event()
        local = threading.local()

        def held_record(**kwargs):
            if (not ordered or getattr(local, "index", None) == 0) and holder.acquire(blocking=False):
                inside.set()
                time.sleep(hold)
            return record(**kwargs)

        self.monkeypatch.setattr(audit, "record", held_record)
        barrier = threading.Barrier(len(calls))
        results: list = [None] * len(calls)

        def worker(index, call):
            local.index = index
            try:
                barrier.wait(timeout=30)
                if ordered and index > 0 and not inside.wait(timeout=30):
                    raise AssertionError("the first call never reached its first audit event")
                results[index] = call()
            except BaseException as error:  # noqa: BLE001 - handed to the test, which names what it expects
                results[index] = error
            finally:
                inside.set()  # a first call that failed early must not keep the others waiting
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.monkeypatch.setattr(audit, "record", record)
        assert not any(thread.is_alive() for thread in threads), "a racing call never finished"
        return results


@pytest.fixture
def race(transactional_db, monkeypatch):
    """`race.run(call, call, ...)`: the calls at once in threads, on committed data (see Race)."""
    runner = Race(monkeypatch)
    yield runner
    runner.restore()
