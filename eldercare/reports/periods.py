"""What a report covers: a period (a month, a quarter or a year) and a scope (the city, a town
or a facility), parsed from what a person typed and checked against the data there is."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.facilities.models import INSTITUTION_TYPES, Facility, MealLog, Stay, Town
from eldercare.models import possible_id

PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    label: str  # 2026-10, 2026-Q3, 2026
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_of(self, today: date) -> date:
        """The day the report's point-in-time figures are taken: the period's last day, or today
        for a period still running."""
        return min(self.end, today)


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse_period(text: str) -> Period:
    match = PERIOD.match((text or "").strip())
    year = int(match.group(1)) if match else 0
    if not match or not 2000 <= year <= 2100 or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
        raise InvalidInput(_l("A period is a month (2026-10), a quarter (2026-Q3) or a year (2026)."))
    if match.group(2):
        month = int(match.group(2))
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if match.group(3):
        quarter = int(match.group(3))
        return Period(f"{year}-Q{quarter}", date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def first_recorded_day() -> date | None:
    """The first day anything was recorded: a stay or a meal."""
    days = [d for d in (db.session.scalar(select(func.min(Stay.start_on))),
                        db.session.scalar(select(func.min(MealLog.day)))) if d is not None]
    return min(days) if days else None


def recorded_by(day: date) -> bool:
    """Whether anything was recorded on or before `day`: the first stay or meal found is enough (the
    first recorded day itself is the least of every stay's start, a walk over all of them)."""
    return any(db.session.scalar(query.limit(1)) is not None
               for query in (select(Stay.id).where(Stay.start_on <= day), select(MealLog.id).where(MealLog.day <= day)))


def check_period(period: Period, today: date) -> None:
    """Refuse a period that has not begun or that ends before the first recorded day."""
    if period.start > today:
        raise InvalidInput(_l("The period %(period)s has not begun yet.", period=period.label))
    if not recorded_by(period.end):
        first = first_recorded_day()
        raise InvalidInput(_l("Nothing was recorded before %(day)s; choose a later period.",
                              day=format_date(first) if first else format_date(today)))


@dataclass(frozen=True)
class Scope:
    level: str  # city, town, facility
    id: int | None
    name: str
    town_id: int | None = None
    town: str | None = None

    @property
    def key(self) -> str:
        return "city" if self.level == "city" else f"{self.level}-{self.id}"

    @property
    def facility_id(self) -> int | None:
        return self.id if self.level == "facility" else None


CITY = "city"


def resolve_scope(*, town_id: int | None = None, town_name: str | None = None,
                  facility_id: int | None = None) -> Scope:
    """The city (no argument), a town (by id or name) or an institution (by id)."""
    if facility_id is not None:
        row = None
        if possible_id(facility_id):  # a larger id is no facility, not a failed query
            row = db.session.execute(select(Facility.id, Facility.name, Facility.type, Town.id.label("town_id"),
                                            Town.name.label("town")).join(Town, Town.id == Facility.town_id)
                                     .where(Facility.id == facility_id)).one_or_none()
        if row is None:
            raise InvalidInput(_l("There is no facility %(id)s.", id=facility_id))
        if row.type not in INSTITUTION_TYPES:
            raise InvalidInput(_l("Facility reports are made for elderly-care institutions."))
        return Scope("facility", row.id, row.name, row.town_id, row.town)
    if town_id is not None or town_name:
        row = None
        if town_id is None or possible_id(town_id):
            clause = Town.id == town_id if town_id is not None else Town.name == town_name.strip()
            row = db.session.execute(select(Town.id, Town.name).where(clause)).one_or_none()
        if row is None:
            raise InvalidInput(_l("There is no town or street %(name)s.", name=town_name or town_id))
        return Scope("town", row.id, row.name, row.id, row.name)
    return Scope(CITY, None, "")


def scope_from_key(key: str) -> Scope:
    level, _, number = key.partition("-")
    if level == "town":
        return resolve_scope(town_id=int(number))
    if level == "facility":
        return resolve_scope(facility_id=int(number))
    return resolve_scope()
