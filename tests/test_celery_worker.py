"""The real Celery path: a worker process, a broker, the project's database, a job with progress.

* The file-system broker that `make run` uses runs in the normal suite: a worker subprocess on a
  temporary var/ folder with its own SQLite database, driven by `carecircle check_worker`.
* The Redis broker used on servers and in CI (marker `celery_redis`) runs only when CELERY_BROKER_URL
  is a redis:// URL; the worker then shares pytest-django's test database (PostgreSQL in CI).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BIN = Path(sys.executable).parent
WORKER_START_SECONDS = 60
JOB_SECONDS = 60


def _clean_env(**overrides) -> dict[str, str]:
    """The environment of this process without the settings the child must not inherit."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CELERY_", "DJANGO_", "CARECIRCLE_", "PYTEST_")) and k != "DATABASE_URL"}
    env.update(overrides)
    return env


@contextmanager
def celery_worker(env: dict[str, str], log: Path, *extra: str):
    """A `celery -A carecircle worker` subprocess, stopped (warm shutdown) when the block ends."""
    process = subprocess.Popen(
        [str(BIN / "celery"), "-A", "carecircle", "worker", "--pool=solo", "--loglevel=INFO",
         f"--logfile={log}", "--without-heartbeat", "--without-mingle", "--without-gossip", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"the Celery worker did not start (exit {process.returncode}):\n{text[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """A migrated SQLite file made once; each test starts from a copy of it."""
    var = tmp_path_factory.mktemp("migrated")
    env = _clean_env(DJANGO_SETTINGS_MODULE="carecircle.settings.dev", CARECIRCLE_VAR_DIR=str(var))
    migrate = subprocess.run([str(BIN / "carecircle"), "migrate", "--noinput", "-v", "0"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    return var / "carecircle.sqlite3"


def _embedded_var(tmp_path: Path, migrated_database: Path) -> tuple[Path, dict[str, str]]:
    """A var/ folder laid out as `make run` lays it out, with its own database and broker folders."""
    var = tmp_path / "var"
    var.mkdir()
    for folder in ("celery-broker", "celery-processed", "celery-results"):
        (var / folder).mkdir()
    shutil.copyfile(migrated_database, var / "carecircle.sqlite3")
    return var, _clean_env(DJANGO_SETTINGS_MODULE="carecircle.settings.dev", CARECIRCLE_VAR_DIR=str(var))


def test_filesystem_broker_worker_runs_a_job_like_make_run(tmp_path, migrated_database):
    var, env = _embedded_var(tmp_path, migrated_database)
    with celery_worker(env, var / "worker.log"):
        check = subprocess.run([str(BIN / "carecircle"), "check_worker", "--timeout", str(JOB_SECONDS)], env=env,
                               capture_output=True, text=True, timeout=JOB_SECONDS + 60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "worker OK" in check.stdout

    with sqlite3.connect(var / "carecircle.sqlite3") as db:
        rows = db.execute("SELECT status, progress, total, result FROM core_job WHERE kind = 'system.worker_check'")
        status, progress, total, result = rows.fetchone()
    assert (status, progress, total) == ("done", 3, 3)
    assert '"Asia/Shanghai"' in result
    assert "carecircle.core.run_job" in (var / "worker.log").read_text()


def test_check_worker_fails_clearly_when_no_worker_runs(tmp_path, migrated_database):
    var, env = _embedded_var(tmp_path, migrated_database)
    check = subprocess.run([str(BIN / "carecircle"), "check_worker", "--timeout", "1"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode != 0
    assert "no worker finished job" in check.stderr
    with sqlite3.connect(var / "carecircle.sqlite3") as db:
        (status,) = db.execute("SELECT status FROM core_job").fetchone()
    assert status == "failed"


def _database_url_for_worker() -> str:
    """pytest-django's test database, as a URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return f"sqlite:///{db['NAME']}"
    pytest.skip("the Redis worker test needs a database a second process can open (PostgreSQL in CI)")


@pytest.fixture
def redis_broker_url():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        reason = f"needs CELERY_BROKER_URL=redis://… (it is {url!r}); .ci/run sets it"
        if os.environ.get("CARECIRCLE_REQUIRE_CELERY_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def producer_not_eager():
    """The test settings run tasks eagerly; here the message must really travel through the broker."""
    from carecircle.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


@pytest.mark.celery_redis
def test_redis_worker_runs_a_job_in_the_shared_database(redis_broker_url, producer_not_eager, transactional_db,
                                                        tmp_path):
    from carecircle.core.jobs import job_start
    from carecircle.core.models import Job, JobStatus
    from carecircle.core.tasks import WORKER_CHECK, run_job

    env = _clean_env(
        DJANGO_SETTINGS_MODULE="carecircle.settings.test",
        # The test settings install an app that lives in the repository's tests/ folder, not in the package.
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
        DATABASE_URL=_database_url_for_worker(),
        CELERY_BROKER_URL=redis_broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        # The worker must decrypt what this process encrypts: the same keys.
        CARECIRCLE_FIELD_KEYS=",".join(settings.CARECIRCLE_FIELD_KEYS),
        CARECIRCLE_VAR_DIR=str(tmp_path),
    )
    with celery_worker(env, tmp_path / "worker.log", "--purge"):
        job = job_start(kind=WORKER_CHECK, task=run_job)  # autocommit: the message leaves at once
        deadline = time.monotonic() + JOB_SECONDS
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in {JobStatus.DONE, JobStatus.FAILED}:
                break
            time.sleep(0.1)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert job.status == JobStatus.DONE, f"job ended {job.status!r} ({job.message}); worker log:\n{log[-3000:]}"
    assert (job.progress, job.total) == (3, 3)
    assert job.result["time_zone"] == "Asia/Shanghai"
    assert Job.objects.filter(kind=WORKER_CHECK, status=JobStatus.DONE).count() == 1
    assert "succeeded" in log


# --- run_job's dispatch rules, run in-process (the worker calls the same function) -----------------


@pytest.mark.django_db
class TestRunJob:
    def test_runs_the_registered_handler_and_stores_its_result(self):
        from carecircle.core.models import Job, JobStatus
        from carecircle.core.tasks import WORKER_CHECK, run_job

        job = Job.objects.create(kind=WORKER_CHECK)
        assert run_job(job.pk) == JobStatus.DONE
        job.refresh_from_db()
        assert (job.status, job.progress, job.total) == (JobStatus.DONE, 3, 3)
        assert job.result["time_zone"] == "Asia/Shanghai"

    def test_unknown_kind_fails_the_job_with_a_message(self):
        from carecircle.core.models import Job, JobStatus
        from carecircle.core.tasks import run_job

        job = Job.objects.create(kind="no.such.kind")
        assert run_job(job.pk) == JobStatus.FAILED
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and "no.such.kind" in job.message

    def test_a_message_for_a_vanished_job_is_dropped(self):
        from carecircle.core.tasks import run_job

        assert run_job(987654321) == "missing"

    def test_a_redelivered_message_does_not_run_a_finished_job_again(self):
        from carecircle.core.models import Job, JobStatus
        from carecircle.core.tasks import WORKER_CHECK, run_job

        job = Job.objects.create(kind=WORKER_CHECK, status=JobStatus.DONE, result={"first": True})
        assert run_job(job.pk) == JobStatus.DONE
        job.refresh_from_db()
        assert job.result == {"first": True} and job.progress == 0

    def test_a_handler_that_raises_fails_the_job_and_keeps_the_error(self):
        from carecircle.core.models import Job, JobStatus
        from carecircle.core.tasks import _HANDLERS, register_job_handler, run_job

        def broken(job):
            raise ValueError("文件第 3 行格式错误")

        register_job_handler("test.broken")(broken)
        try:
            job = Job.objects.create(kind="test.broken")
            assert run_job(job.pk) == JobStatus.FAILED
            job.refresh_from_db()
            assert job.status == JobStatus.FAILED and "文件第 3 行格式错误" in job.message
        finally:
            _HANDLERS.pop("test.broken")

    def test_a_kind_cannot_get_a_second_handler(self):
        from carecircle.core.tasks import WORKER_CHECK, register_job_handler

        with pytest.raises(ValueError, match=WORKER_CHECK):
            register_job_handler(WORKER_CHECK)(lambda job: {})


def test_demo_logins_table_aligns_chinese_columns():
    from carecircle.core.management.commands.demo_logins import accounts_table

    lines = accounts_table([{"username": "street_a", "scope": "天平路街道"}, {"username": "elder", "role": "老人"}])
    assert lines[0].split() == ["username", "scope", "role"]
    # 天平路街道 is five characters but ten terminal columns wide; the next column starts after it.
    assert lines[2] == "street_a  天平路街道"
    assert lines[3] == "elder                 老人"


def test_demo_logins_refuses_a_file_that_is_not_a_list_of_accounts(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    bad = tmp_path / "accounts.json"
    bad.write_text('{"accounts": "street_a"}', encoding="utf-8")
    with pytest.raises(CommandError, match="list of accounts"):
        call_command("demo_logins", "--file", str(bad))
