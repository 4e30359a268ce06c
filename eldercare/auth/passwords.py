"""What a password must be: at least 10 characters, not the user name or the phone number, and
not one of the passwords that are tried first (the list below, ten characters or longer, from
the published lists of leaked passwords, with those common in China)."""

import re

from flask_babel import lazy_gettext as _l

from eldercare.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 128

COMMON = frozenset("""
1234567890 0123456789 12345678910 123456789a 123456789q 1234567890a a123456789 a1234567890
qwertyuiop qwertyuiop123 1qaz2wsx3edc 1q2w3e4r5t 1q2w3e4r5t6y 1qazxsw23edc zaq12wsxcde qazwsxedcrfv
qwerty1234 qwerty12345 qwerty123456 asdfghjkl1 asdfghjkl123 zxcvbnm123 zxcvbnm1234 password12
password123 password1234 password12345 password123456 passw0rd123 p@ssw0rd123 p@ssword123 iloveyou12
iloveyou123 woaini1314 woaini123456 woaini520 woaini5201314 5201314520 1314520520 5201314123
aa123456789 abc1234567 abc12345678 abc123456789 abcd123456 abcd1234567 abcdefghij abcdefg123
1111111111 0000000000 2222222222 3333333333 5555555555 6666666666 7777777777 8888888888 9999999999
1234512345 1234554321 1122334455 1212121212 1231231231 1234567899 9876543210 0987654321 147258369a
1472583690 1597534560 3141592653 1234qwer1234 qwer123456 qwer1234qwer
qq123456789 qq1234567890 abc123abc123 admin12345 admin123456 administrator root123456 welcome123
welcome1234 sunshine123 princess123 football123 baseball123 dragon1234 monkey12345 letmein123
trustno1234 superman123 starwars123 whatever123 computer123 internet123 changeme123 default123
eldercare1 eldercare123 eldercare2024 eldercare2025 eldercare2026 rugao123456 rugao12345
""".split())

_ONLY_ONE_CHARACTER = re.compile(r"^(.)\1*$")


def problem(password: str, *, username: str = "", phone: str | None = None) -> str | None:
    """Why `password` is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)s characters.", n=MAX_LENGTH)
    lowered = password.strip().lower()
    phone = (phone or "").strip()
    if lowered == (username or "").strip().lower() or (phone and phone in lowered) or \
            lowered in COMMON or _ONLY_ONE_CHARACTER.match(lowered):
        return _l("This password is too easy to guess (your user name, your phone number or a common "
                  "password); choose another.")
    return None


def check(password: str, *, username: str = "", phone: str | None = None) -> None:
    message = problem(password, username=username, phone=phone)
    if message is not None:
        raise InvalidInput(message)
