"""Form validators shared by every domain's forms."""

import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms.validators import Regexp, StopValidation, ValidationError

# A mainland mobile number, the whole value (\Z: "13900000017\n" is refused; $ would let it through).
MOBILE = Regexp(r"\A1\d{10}\Z", message=_l("Please enter an 11-digit mobile number."))

# Characters that are invisible or change how the text around them is shown: zero-width
# characters and the bidirectional controls that can make "A-01" display as something else.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def hidden_characters(text: str, allowed: str = "") -> list[str]:
    """The control, zero-width and direction-changing characters in `text` (but `allowed`)."""
    return [c for c in text if c not in allowed and (
        c in _INVISIBLE or c in _BIDI or unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs"))]


class PlainText:
    """A name, a relation, a code: printable characters only, one line. `multiline=True` (a
    reason, notes) lets line breaks and tabs through."""

    def __init__(self, message=None, multiline: bool = False):
        self.message = message
        self.allowed = "\r\n\t" if multiline else ""

    def __call__(self, form, field):
        if field.data and hidden_characters(field.data, self.allowed):
            raise ValidationError(self.message or _l("Please remove control or invisible characters."))


class Finite:
    """A number that is a number: NaN, sNaN and infinity are refused (before any range check,
    which could not even compare a signalling NaN)."""

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        finite = value.is_finite() if isinstance(value, Decimal) else value == value and abs(value) != float("inf")
        if not finite:
            field.errors[:] = []
            raise StopValidation(_l("Please enter a number."))
