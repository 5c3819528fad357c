from decimal import Decimal

import pytest

from carecircle.core.jobs import job_finish, job_progress, job_start
from carecircle.core.models import Job, JobStatus
from carecircle.core.money import format_money, to_money
from carecircle.core.roles import CAPABILITIES, Role, has_capability


class TestMoney:
    def test_rounds_half_up_to_cents(self):
        assert to_money("2.345") == Decimal("2.35")
        assert to_money("2.344") == Decimal("2.34")
        assert to_money("-2.345") == Decimal("-2.35")

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            to_money(0.1)

    def test_formats_two_places(self):
        assert format_money(Decimal("40")) == "40.00"


class TestRoles:
    def test_every_role_has_a_capability_entry(self):
        assert set(CAPABILITIES) == set(Role.values)

    def test_inspector_reads_but_never_changes(self):
        caps = CAPABILITIES[Role.INSPECTOR]
        assert not any(c.endswith((".change", ".import", ".merge", ".reveal")) for c in caps)

    def test_anonymous_has_nothing(self):
        from django.contrib.auth.models import AnonymousUser

        assert not has_capability(AnonymousUser(), "elders.view")


@pytest.mark.django_db
class TestJobs:
    def test_progress_and_completion(self, users, django_capture_on_commit_callbacks):
        job = job_start(kind="test", actor=users.street_staff)
        assert job.status == JobStatus.QUEUED and job.percent == 0
        job_progress(job, progress=5, total=20, message="half")
        job.refresh_from_db()
        assert (job.status, job.percent, job.message) == (JobStatus.RUNNING, 25, "half")
        job_finish(job, result={"rows": 20})
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.result == {"rows": 20} and job.percent == 25

    def test_job_is_visible_in_its_region_only(self, users, district):
        from carecircle.core.isolation import visible_to

        job = job_start(kind="test", actor=users.street_staff, region=district.street_a)
        assert job in visible_to(users.street_staff, Job)
        assert job not in visible_to(users.street_staff_b, Job)
