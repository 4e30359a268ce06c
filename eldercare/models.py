"""The declarative base shared by every domain's models, and row locking."""

from datetime import UTC, datetime

from sqlalchemy import Enum, MetaData, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

# The largest id a row can have: PostgreSQL's integer ends at 2^31 - 1 (SQLite's at 2^63 - 1). A
# larger number asked for (in a URL, a form, the command line) is no row, not a failed query.
MAX_ID = 2**31 - 1


def possible_id(value: int) -> bool:
    """Whether a row could have this id (an id asked for, before it is looked up)."""
    return 0 < value <= MAX_ID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def db_enum(cls) -> Enum:
    """Enums are stored as their value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def insert_ignoring_duplicates(session, model, rows: list[dict], returning=()) -> list:
    """INSERT rows, silently skipping any that would break a unique key (ON CONFLICT DO NOTHING):
    what makes a job idempotent when two processes run it for the same period. With `returning`
    columns, the rows actually inserted come back (a job acts on those only)."""
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model.__table__).on_conflict_do_nothing()
    if returning:
        return session.execute(statement.returning(*returning), rows).all()
    session.execute(statement, rows)
    return []


def claim(session, obj) -> None:
    """Take the write lock on `obj`'s row for the rest of the transaction and stamp its changed_at.

    An UPDATE locks the row on PostgreSQL and the whole database on SQLite, so two requests
    changing the same bed (or elder) queue up instead of both reading the old state. The
    object is then re-read so the caller decides on what is committed now.
    """
    model = type(obj)
    session.execute(update(model).where(model.id == obj.id).values(changed_at=utcnow()))
    session.refresh(obj)
