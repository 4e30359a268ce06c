from datetime import date

import pytest

from eldercare.identity import InvalidIdNumber, mask_id_number, parse_id_number


@pytest.mark.parametrize("number", ["11010519491231002X", "34052419800101001X", "11010519491231002x"])
def test_valid_numbers_from_the_standard(app, number):
    assert parse_id_number(number).value == number.upper()


def test_birth_date_and_sex_are_derived(app):
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_on == date(1949, 12, 31)
    assert parsed.sex == "female"  # sequence 002: even
    assert parsed.area_code == "110105"


@pytest.mark.parametrize(
    "number",
    ["340524198001010013", "3405241980010100", "34052419800101001XX", "3405241980A101001X", "340524198002300010",
     "", "X40524198001010013"],
)
def test_invalid_numbers_are_refused(app, number):
    with pytest.raises(InvalidIdNumber):
        parse_id_number(number)


def test_unknown_area_code_is_accepted(app):
    # 999999 is no area code; codes change yearly, so the check is the checksum only.
    from eldercare.identity import check_character

    first17 = "99999919500101001"
    assert parse_id_number(first17 + check_character(first17)).area_code == "999999"


def test_mask_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize("spelling", [
    "32068219３311194005",  # one full-width digit, as found on the admission form
    "320682193311194005".translate(FULL_WIDTH),
    "320682193311194005".translate(ARABIC_INDIC),
    "3206821933111940０5",
    "  320682 1933 1119 4005 ",  # outer and inner spaces
    "320682\u30001933111940\u00a005",  # ideographic and no-break spaces
    "3206821933111940\t05",
])
def test_every_spelling_of_a_number_normalises_to_one(app, spelling):
    assert parse_id_number(spelling).value == "320682193311194005"


def test_superscript_and_lowercase_x_normalise(app):
    assert parse_id_number("11010519491231002x").value == "11010519491231002X"
    assert parse_id_number("1101051949123100²X").value == "11010519491231002X"
    assert parse_id_number("11010519491231002Ｘ").value == "11010519491231002X"


@pytest.mark.parametrize("text", ["1101051949123100\u2460X", "11010519491231002\u00d7", "11010519491231002X\u200b",
                                  "11010519491231002Ⅹ1"])
def test_what_is_not_ascii_after_normalising_is_refused_with_a_reason(app, text):
    with pytest.raises(InvalidIdNumber) as refused:
        parse_id_number(text)
    assert str(refused.value)
