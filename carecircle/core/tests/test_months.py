"""One reading of a typed month for every form, API parameter, command and service."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from carecircle.core.validators import MonthField, month_or_none, parse_month


@pytest.mark.parametrize("text, month", [
    ("2026-11", dt.date(2026, 11, 1)), (" 2026-01 ", dt.date(2026, 1, 1)), ("2000-01", dt.date(2000, 1, 1)),
    ("2100-12", dt.date(2100, 12, 1)), ("２０２６－１１", dt.date(2026, 11, 1)), (dt.date(2026, 11, 17), dt.date(2026, 11, 1)),
    (dt.datetime(2026, 2, 28, 23, 59), dt.date(2026, 2, 1)),
])
def test_a_month_is_its_first_day(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "november", "",
                                  None, "1999-12", "2101-01", "2026-11\n1", "٢٠٢٦-١١", 202611])
def test_anything_else_is_refused_on_the_field_it_names(text):
    with pytest.raises(ValidationError) as error:
        parse_month(text, field="start")
    assert list(error.value.message_dict) == ["start"]
    assert "YYYY-MM" in error.value.message_dict["start"][0]
    assert month_or_none(text) is None


def test_the_form_field_cleans_to_the_first_day_and_explains_a_bad_month():
    field = MonthField(required=False)
    assert field.clean("2026-12") == dt.date(2026, 12, 1)
    assert field.clean("") is None
    with pytest.raises(ValidationError) as error:
        field.clean("2026-13")
    assert error.value.code == "invalid" and "YYYY-MM" in error.value.messages[0]


def test_the_form_field_shows_a_month_as_a_month_input_expects_it():
    from django import forms

    class Form(forms.Form):
        month = MonthField(required=False, widget=forms.TextInput(attrs={"type": "month"}))

    assert 'value="2026-11"' in str(Form(initial={"month": dt.date(2026, 11, 1)})["month"])
    # What the reader typed is shown back as typed, even when it is not a month.
    assert 'value="2026-13"' in str(Form({"month": "2026-13"})["month"])
