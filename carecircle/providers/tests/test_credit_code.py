import pytest

from carecircle.providers.credit_code import CreditCodeError, validate_credit_code, with_check_character

VALID = "91350100M000100Y43"


def test_a_published_code_is_valid_and_normalised():
    assert validate_credit_code(" 91350100m000100y43 ") == VALID


def test_generated_codes_carry_their_check_character():
    full = with_check_character("91310104MA1FL0001")
    assert validate_credit_code(full) == full


@pytest.mark.parametrize("value, code, words", [
    ("91350100M000100Y4", "length", "18 位"),
    ("91350100M000100Y433", "length", "18 位"),
    ("91350100M0001O0Y43", "characters", "O"),
    ("91350100M00010IY43", "characters", "I"),
    ("913501A0M000100Y43", "area", "行政区划码"),
    ("91350100M000100Y44", "checksum", "应为 3"),
])
def test_bad_codes_say_what_is_wrong(value, code, words):
    with pytest.raises(CreditCodeError) as error:
        validate_credit_code(value)
    assert error.value.code == code
    assert words in error.value.message


def test_check_character_zero_when_sum_is_a_multiple_of_31():
    # Brute force one prefix whose weighted sum is divisible by 31: the check character is "0", not "31".
    from carecircle.providers.credit_code import CHARSET, WEIGHTS, check_character

    for last in CHARSET:
        prefix = "9131010400000000" + last
        if sum(CHARSET.index(c) * w for c, w in zip(prefix, WEIGHTS)) % 31 == 0:
            assert check_character(prefix) == "0"
            assert validate_credit_code(prefix + "0") == prefix + "0"
            break
    else:
        pytest.fail("no prefix with a sum divisible by 31 in this family; pick another")
