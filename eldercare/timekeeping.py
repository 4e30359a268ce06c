"""The bureau's calendar: which day it is in the configured time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

# The earliest day a date in the records can name (a home opened, a caregiver hired, trained or
# certified long before this system): anything earlier is a slip of the keyboard, such as 0001-01-01.
EARLIEST_DAY = date(1900, 1, 1)


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def local_minute(moment: datetime) -> str:
    """A moment on the bureau's clock as pages print it, "yyyy-MM-dd HH:mm" (naive = UTC, as
    stored): what Flask-Babel's format_datetime gives for that all-digit pattern, without its
    locale and time-zone lookups through the request (35 µs a call; open beds prints one a home)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
