"""The working-day calendar: statutory holidays, adjusted working weekends, entered years, fallbacks."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core import workdays
from carecircle.core.models import AuditEvent, CalendarDay
from carecircle.core.services_calendar import calendar_day_delete, calendar_day_set

D = dt.date


@pytest.mark.django_db
class TestShippedCalendar:
    def test_national_day_2025_and_its_adjusted_saturday(self):
        # 2025-10-01 (Wed) … 10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
        assert workdays.is_working_day(D(2025, 9, 28))
        assert workdays.is_working_day(D(2025, 10, 11))
        for day in range(1, 9):
            assert not workdays.is_working_day(D(2025, 10, day))
            assert workdays.is_statutory_holiday(D(2025, 10, day))
        assert workdays.holiday_name(D(2025, 10, 6)) == "国庆节、中秋节"
        assert workdays.is_working_day(D(2025, 10, 9))

    def test_spring_festival_2026_with_two_working_saturdays(self):
        assert workdays.is_working_day(D(2026, 2, 14))  # Saturday, worked
        assert workdays.is_working_day(D(2026, 2, 28))  # Saturday, worked
        assert not workdays.is_working_day(D(2026, 2, 15))
        assert not workdays.is_working_day(D(2026, 2, 23))  # Monday, still off
        assert workdays.is_working_day(D(2026, 2, 24))
        assert workdays.holiday_name(D(2026, 2, 17)) == "春节"

    def test_ordinary_weekend_is_not_a_statutory_holiday(self):
        assert not workdays.is_working_day(D(2025, 11, 22))
        assert not workdays.is_statutory_holiday(D(2025, 11, 22))
        assert workdays.holiday_name(D(2025, 11, 22)) is None
        assert workdays.holiday_name(D(2025, 9, 28)) is None  # a working Sunday has no holiday name

    def test_add_working_days_across_national_day_2025(self):
        # Friday 2025-09-26 + 1 → Sunday 09-28 (adjusted working day); + 3 → 10-09 (after the 8 days off).
        assert workdays.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
        assert workdays.add_working_days(D(2025, 9, 26), 2) == D(2025, 9, 29)
        assert workdays.add_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
        assert workdays.add_working_days(D(2025, 9, 26), 4) == D(2025, 10, 9)
        assert workdays.add_working_days(D(2025, 9, 26), 6) == D(2025, 10, 11)  # the working Saturday
        assert workdays.add_working_days(D(2025, 9, 26), 7) == D(2025, 10, 13)

    def test_add_working_days_across_spring_festival_2026(self):
        # Thursday 2026-02-12 + 2 → Saturday 02-14 (worked); + 3 → Tuesday 02-24.
        assert workdays.add_working_days(D(2026, 2, 12), 1) == D(2026, 2, 13)
        assert workdays.add_working_days(D(2026, 2, 12), 2) == D(2026, 2, 14)
        assert workdays.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
        assert workdays.add_working_days(D(2026, 2, 24), 3) == D(2026, 2, 27)
        assert workdays.add_working_days(D(2026, 2, 24), 4) == D(2026, 2, 28)  # the second working Saturday

    def test_add_zero_and_negative(self):
        assert workdays.add_working_days(D(2026, 2, 15), 0) == D(2026, 2, 15)
        with pytest.raises(ValueError):
            workdays.add_working_days(D(2026, 2, 15), -1)

    def test_working_days_between_is_the_inverse(self):
        start = D(2025, 9, 20)
        for n in range(0, 25):
            assert workdays.working_days_between(start, workdays.add_working_days(start, n)) == n
        assert workdays.working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0
        assert workdays.working_days_between(D(2025, 10, 9), D(2025, 9, 30)) == -1

    def test_year_without_data_falls_back_to_the_ordinary_week(self):
        calendar = workdays.Calendar.load()
        assert not calendar.has_data(2031)
        assert calendar.has_data(2025) and calendar.has_data(2026)
        assert workdays.is_working_day(D(2031, 10, 1))  # a Wednesday; no notice known yet
        assert not workdays.is_working_day(D(2031, 10, 4))


@pytest.mark.django_db
class TestEnteredDays:
    def test_district_admin_enters_a_new_year(self, users):
        calendar_day_set(actor=users.district_admin, date=D(2027, 10, 1), kind="holiday", name="国庆节",
                         source="国务院办公厅关于2027年部分节假日安排的通知")
        calendar_day_set(actor=users.district_admin, date=D(2027, 9, 26), kind="workday", name="国庆节",
                         source="国务院办公厅关于2027年部分节假日安排的通知")
        assert not workdays.is_working_day(D(2027, 10, 1))
        assert workdays.is_working_day(D(2027, 9, 26))
        assert workdays.Calendar.load().has_data(2027)
        assert AuditEvent.objects.filter(action="calendar.day_set").count() == 2

    def test_entry_overrides_shipped_data_and_can_be_removed(self, users):
        day = calendar_day_set(actor=users.district_admin, date=D(2026, 10, 7), kind="holiday", name="国庆节",
                               source="更正")
        day = calendar_day_set(actor=users.district_admin, date=D(2026, 10, 10), kind="holiday", name="国庆节",
                               source="假设的更正通知")
        assert not workdays.is_working_day(D(2026, 10, 10))
        calendar_day_delete(actor=users.district_admin, day=day, reason="录入错误")
        assert workdays.is_working_day(D(2026, 10, 10))
        assert not CalendarDay.objects.filter(date=D(2026, 10, 10)).exists()

    def test_bad_entries_are_refused_with_reasons(self, users):
        with pytest.raises(ValidationError) as error:
            calendar_day_set(actor=users.district_admin, date=D(2027, 3, 3), kind="workday", name="", source="")
        assert set(error.value.error_dict) == {"kind", "name", "source"}
        with pytest.raises(ValidationError):
            calendar_day_set(actor=users.district_admin, date=D(2027, 3, 3), kind="party", name="x", source="y")
        assert not CalendarDay.objects.exists()

    def test_only_the_district_may_change_the_calendar(self, users):
        with pytest.raises(PermissionDenied):
            calendar_day_set(actor=users.street_staff, date=D(2027, 1, 1), kind="holiday", name="元旦", source="x")
        day = calendar_day_set(actor=users.district_admin, date=D(2027, 1, 1), kind="holiday", name="元旦",
                               source="x")
        with pytest.raises(PermissionDenied):
            calendar_day_delete(actor=users.street_staff, day=day, reason="x")
        with pytest.raises(ValidationError):
            calendar_day_delete(actor=users.district_admin, day=day, reason=" ")


@pytest.mark.django_db
class TestCalendarPage:
    def test_year_with_data_lists_holidays_and_working_weekends(self, client, users):
        client.force_login(users.street_staff)
        body = client.get("/system/calendar/", {"year": 2026}).content.decode()
        assert "2026-02-15" in body and "2026-02-28" in body and "春节" in body
        assert "data-calendar-warning" not in body
        assert "登记一天" not in body  # only the district may add days

    def test_year_without_data_warns_and_the_district_adds_a_day(self, client, users):
        client.force_login(users.district_admin)
        body = client.get("/system/calendar/", {"year": 2031}).content.decode()
        assert "data-calendar-warning" in body
        response = client.post("/system/calendar/add/", {"date": "2031-10-01", "kind": "holiday", "name": "国庆节",
                                                         "source": "国务院办公厅关于2031年部分节假日安排的通知"})
        assert response.status_code == 302
        body = client.get("/system/calendar/", {"year": 2031}).content.decode()
        assert "data-calendar-warning" not in body and "2031-10-01" in body
        bad = client.post("/system/calendar/add/", {"date": "2031-10-08", "kind": "workday", "name": "国庆节",
                                                    "source": "x"}, follow=True)
        assert "本来就是工作日" in bad.content.decode()
        assert not CalendarDay.objects.filter(date=D(2031, 10, 8)).exists()

    def test_street_cannot_add(self, client, users):
        client.force_login(users.street_staff)
        response = client.post("/system/calendar/add/", {"date": "2031-10-01", "kind": "holiday", "name": "x",
                                                         "source": "y"})
        assert response.status_code == 403
