import datetime as dt

import pytest

from carecircle.elders.identity import IdNumberError, check_digit, make_id_number, parse_id_number

TODAY = dt.date(2026, 11, 23)
VALID = make_id_number("310104", dt.date(1940, 5, 6), 11, "M")


def test_valid_number_gives_birth_date_and_sex():
    facts = parse_id_number(VALID, today=TODAY)
    assert facts.birth_date == dt.date(1940, 5, 6)
    assert facts.gender == "M"
    assert facts.area_code == "310104"


def test_female_from_even_seventeenth_digit():
    number = make_id_number("310104", dt.date(1935, 2, 1), 12, "F")
    assert parse_id_number(number, today=TODAY).gender == "F"


def test_wrong_check_digit_is_refused_and_says_so():
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(wrong, today=TODAY)
    assert exc.value.code == "checksum"
    assert "校验位" in exc.value.message and VALID[17] in exc.value.message


def test_lower_case_x_is_accepted_as_upper_case():
    first17 = "11010519491231002"
    assert check_digit(first17) == "X"
    facts = parse_id_number(first17 + "x", today=TODAY)
    assert facts.number.endswith("X")


@pytest.mark.parametrize("length", [17, 19])
def test_wrong_length_is_refused_with_the_length(length):
    value = (VALID + "1")[:length]
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(value, today=TODAY)
    assert exc.value.code == "length" and str(length) in exc.value.message


@pytest.mark.parametrize("birth", ["19400230", "19401301", "19400000"])
def test_impossible_birth_dates_are_refused(birth):
    first17 = f"310104{birth}001"
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(first17 + check_digit(first17), today=TODAY)
    assert exc.value.code == "birth_date"


def test_birth_in_the_future_is_refused():
    first17 = "310104202701010012"[:17]
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(first17 + check_digit(first17), today=TODAY)
    assert exc.value.code == "birth_date"


def test_letters_inside_are_refused():
    with pytest.raises(IdNumberError) as exc:
        parse_id_number("3101041940A5060012", today=TODAY)
    assert exc.value.code == "characters"
