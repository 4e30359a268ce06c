"""The caregiver, their employment history, training, certificates, pay bands and reminders.

A caregiver is one person with one ID number wherever they work; each facility they work for is
an Employment row, so a home keeps its history when someone leaves and the next home sees the
same certificates and training. The current skill level is derived from the certificates,
never typed (see `queries.current_level`).
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare import cache
from eldercare.facilities.models import Facility
from eldercare.models import Base, db_enum, utcnow
from eldercare.residents.models import Sex

# National occupational skill standard for caregivers (2019): level 5 (初级工) up to level 1
# (高级技师). NO_CERTIFICATE is the "level" of a caregiver without a valid certificate, which
# has a pay band of its own.
LEVELS = (5, 4, 3, 2, 1)
NO_CERTIFICATE = 0


class Post(enum.StrEnum):
    caregiver = "caregiver"  # 护理员
    head_caregiver = "head_caregiver"  # 护理组长
    nurse = "nurse"  # 护士
    other = "other"


# The posts that count as caregivers in every figure and in the staffing check.
CARE_POSTS = frozenset({Post.caregiver, Post.head_caregiver})


class EmploymentStatus(enum.StrEnum):
    active = "active"  # 在岗
    on_leave = "on_leave"  # 休假
    left = "left"  # 离职


class ReminderCause(enum.StrEnum):
    no_pre_job_training = "no_pre_job_training"
    behind_in_service_hours = "behind_in_service_hours"
    certificate_expiring = "certificate_expiring"


class Caregiver(Base):
    __tablename__ = "caregiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Sensitive: shown masked, in full only to bureau roles on request (audited).
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_on: Mapped[date]
    sex: Mapped[Sex] = mapped_column(db_enum(Sex))
    mobile: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    employments = relationship("Employment", back_populates="caregiver",
                               order_by="(Employment.hired_on.desc(), Employment.id.desc())")


class Employment(Base):
    """One spell of work at one facility. At most one spell per caregiver is not `left`."""

    __tablename__ = "employment"
    __table_args__ = (
        Index("uq_employment_current_caregiver", "caregiver_id", unique=True,
              sqlite_where=text("status <> 'left'"), postgresql_where=text("status <> 'left'")),
        Index("ix_employment_facility_status", "facility_id", "status"),
        CheckConstraint("monthly_pay >= 0", name="pay_not_negative"),
        CheckConstraint("status_on >= hired_on", name="status_after_hire"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregiver.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    post: Mapped[Post] = mapped_column(db_enum(Post))
    status: Mapped[EmploymentStatus] = mapped_column(db_enum(EmploymentStatus))
    hired_on: Mapped[date]
    # The day the current status began: the hire date while active since then, the day they
    # went on leave, came back, or left.
    status_on: Mapped[date]
    monthly_pay: Mapped[int]  # yuan; visible to the facility's managers and the bureau only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    caregiver = relationship("Caregiver", back_populates="employments")
    facility = relationship("Facility")


class PreJobTraining(Base):
    """岗前培训 (GB 38600-2019): passed before starting work, or the caregiver is flagged."""

    __tablename__ = "pre_job_training"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregiver.id"), index=True)
    trained_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    provider: Mapped[str] = mapped_column(String(128))
    passed: Mapped[bool]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


training_attendance = Table(
    "training_attendance",
    Base.metadata,
    Column("session_id", ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    Column("caregiver_id", ForeignKey("caregiver.id"), primary_key=True, index=True),
)


class TrainingSession(Base):
    """An in-service training session, entered once with all who attended."""

    __tablename__ = "training_session"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    course: Mapped[str] = mapped_column(String(128))
    held_on: Mapped[date] = mapped_column(index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    provider: Mapped[str] = mapped_column(String(128))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendees = relationship("Caregiver", secondary=training_attendance, order_by="Caregiver.name")


class Certificate(Base):
    """A skill-level certificate. Valid on a day when not revoked, issued by then and not expired
    (`queries._valid_on`)."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_1_to_5"),
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregiver.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[int]
    issued_on: Mapped[date]
    issuer: Mapped[str] = mapped_column(String(128))
    expires_on: Mapped[date | None]
    revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    caregiver = relationship("Caregiver")


class PayBand(Base):
    """The lowest monthly pay (yuan) for a skill level from a year on, set by the bureau
    administrator; a level's band holds until a later year sets another."""

    __tablename__ = "pay_band"
    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 5", name="level_0_to_5"),
                      CheckConstraint("minimum_pay >= 0", name="pay_not_negative"))

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    minimum_pay: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Reminder(Base):
    """A reminder the job raised; the unique key (caregiver, cause, period) makes it once only.

    `period` says which occurrence: the hire date of the spell worked without pre-job
    training, the year of the missing hours, the certificate that expires. `resolved_at` is set
    by the job when the cause no longer holds."""

    __tablename__ = "caregiver_reminder"
    __table_args__ = (UniqueConstraint("caregiver_id", "cause", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregiver.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    cause: Mapped[ReminderCause] = mapped_column(db_enum(ReminderCause))
    period: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(64), default="")  # e.g. hours done, expiry date
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    caregiver = relationship("Caregiver")


def facilities_touched(session, objects) -> set[int]:
    """The facilities whose caregiver figures these changed objects feed (for eldercare.cache):
    a spell of work or a session names its home; training and certificates the home the
    caregiver works for now; a pay band every home."""
    ids: set[int] = set()
    caregiver_ids: set[int] = set()
    with session.no_autoflush:
        for obj in objects:
            if isinstance(obj, Employment | TrainingSession):
                ids.add(obj.facility_id)
            elif isinstance(obj, PreJobTraining | Certificate):
                caregiver_ids.add(obj.caregiver_id)
            elif isinstance(obj, PayBand):
                return set(session.scalars(select(Facility.id)))
        if caregiver_ids:
            ids.update(session.scalars(select(Employment.facility_id).where(
                Employment.caregiver_id.in_(caregiver_ids), Employment.status != EmploymentStatus.left)))
    ids.discard(None)
    return ids


cache.track(Facility, facilities_touched)
