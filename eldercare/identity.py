"""Resident ID numbers (居民身份证号, GB 11643-1999): validation, derived facts, masking.

The one place that knows the format; elders, applicants and caregivers all use it.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from eldercare.errors import InvalidInput

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


class InvalidIdNumber(InvalidInput):
    """The text is not a valid 18-character resident ID number; the message says why."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    area_code: str
    birth_on: date
    sex: str  # "male" or "female"

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise_id_number(text: str) -> str:
    """The one spelling of an ID number: NFKC (full-width ３ and superscript ² become 3 and 2),
    any other Unicode decimal digit (Arabic-Indic, Devanagari...) as its ASCII digit, every
    space (inner, outer, ideographic) removed, x upper-cased. What is left may still be invalid."""
    value = unicodedata.normalize("NFKC", text or "")
    value = "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch
                    for ch in value if not ch.isspace())
    return value.upper()


def parse_id_number(text: str) -> IdNumber:
    """Validate an ID number (after `normalise_id_number`) and derive birth date and sex from it.

    Unknown area codes are accepted: the code list changes every year.
    """
    value = normalise_id_number(text)
    if not value.isascii():
        raise InvalidIdNumber(_l("An ID number has only digits and the letter X."))
    if len(value) != 18:
        raise InvalidIdNumber(_l("An ID number has 18 characters."))
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber(_l("An ID number is 17 digits followed by a digit or X."))
    try:
        birth_on = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(_l("The birth date inside the ID number does not exist.")) from None
    if birth_on.year < 1880 or birth_on > date.today():
        raise InvalidIdNumber(_l("The birth date inside the ID number does not exist."))
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber(_l("The check character of the ID number is wrong; please check each digit."))
    sex = "male" if int(value[16]) % 2 else "female"
    return IdNumber(value=value, area_code=value[:6], birth_on=birth_on, sex=sex)


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters visible (domain rule 7)."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
