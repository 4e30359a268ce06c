import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, select, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare import cache
from eldercare.auth.models import facility_manager
from eldercare.models import Base, db_enum, utcnow
from eldercare.residents.models import Elder


class TownKind(enum.StrEnum):
    street = "street"  # 街道
    town = "town"  # 镇


class FacilityType(enum.StrEnum):
    public_home = "public_home"  # 敬老院 / 特困供养服务机构
    private_home = "private_home"  # 民办养老机构
    regional_center = "regional_center"  # 区域性养老服务中心
    street_center = "street_center"  # 街道综合养老服务中心
    embedded_home = "embedded_home"  # 社区嵌入式养老机构
    meal_point = "meal_point"  # 社区助餐点
    mutual_aid = "mutual_aid"  # 互助养老睦邻点


# 养老机构: their institution beds enter the nursing-type ratio (domain.md section 2).
INSTITUTION_TYPES = frozenset(
    {
        FacilityType.public_home,
        FacilityType.private_home,
        FacilityType.regional_center,
        FacilityType.street_center,
        FacilityType.embedded_home,
    }
)


class Ownership(enum.StrEnum):
    public = "public"  # 公办公营
    public_private = "public_private"  # 公建民营
    private = "private"  # 民办


class BedKind(enum.StrEnum):
    institution = "institution"  # a bed of an elderly-care institution
    day_care = "day_care"  # 日间照料床位 of a community facility
    family_care = "family_care"  # 家庭照料床位 in an elder's home, served by the facility


class CareType(enum.StrEnum):
    nursing = "nursing"  # 护理型
    ordinary = "ordinary"  # 普通型 / 自理型


class BedState(enum.StrEnum):
    """What a manager sees on a tile; derived, never stored (see queries.bed_state)."""

    vacant = "vacant"
    on_hold = "on_hold"
    occupied = "occupied"
    on_leave = "on_leave"
    in_hospital = "in_hospital"
    needs_cleaning = "needs_cleaning"
    out_of_service = "out_of_service"


# The first day of the bed register: beds that existed before it count from this day.
REGISTER_START = date(2000, 1, 1)

OCCUPIED_STATES = frozenset({BedState.occupied, BedState.on_leave, BedState.in_hospital})


class Away(enum.StrEnum):
    leave = "leave"  # 请假
    hospital = "hospital"  # 住院


class EndReason(enum.StrEnum):
    discharged = "discharged"  # 出院 / 退住
    transferred = "transferred"  # 转床
    deceased = "deceased"  # 去世
    other = "other"


class Town(Base):
    __tablename__ = "town"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[TownKind] = mapped_column(db_enum(TownKind))


class Facility(Base):
    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[FacilityType] = mapped_column(db_enum(FacilityType), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    operator: Mapped[str] = mapped_column(String(128), default="")
    ownership: Mapped[Ownership] = mapped_column(db_enum(Ownership))
    licensed_beds: Mapped[int] = mapped_column(default=0)
    medical_integrated: Mapped[bool] = mapped_column(default=False)
    # Beds kept for tekun elders (domain.md section 3). None: the default, computed from
    # current tekun residents and pending tekun applications.
    tekun_reserve: Mapped[int | None]
    # Keeps a tekun reserve (facilities/reserve.py): public homes and the centres they become.
    serves_tekun: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    opened_on: Mapped[date | None]  # the day it began to serve; nothing is recorded for days before
    # Closed from this day on (facilities/registry.py: its beds leave the register that day); a
    # closed facility keeps its history and is never deleted.
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moves with every change to the facility's beds, stays, holds or residents (eldercare/cache.py),
    # so the city-wide sums re-read only the homes that changed.
    figures_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    town = relationship("Town")
    rooms = relationship("Room", back_populates="facility", order_by="Room.code")
    managers = relationship("User", secondary=facility_manager, back_populates="facilities")

    @property
    def is_institution(self) -> bool:
        return self.type in INSTITUTION_TYPES


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    floor: Mapped[int | None]

    facility = relationship("Facility", back_populates="rooms")


class Bed(Base):
    __tablename__ = "bed"
    __table_args__ = (
        UniqueConstraint("facility_id", "code"),
        # "A-01" and "a-01" are the same bed on a sign and on the phone: unique regardless of case.
        Index("uq_bed_facility_code_lower", "facility_id", text("lower(code)"), unique=True),
        # Covering the register's counts by home and care type on a day (queries.institution_beds_on,
        # institution_bed_days and the day's residents), so they read no bed rows.
        Index("ix_bed_register", "kind", "facility_id", "care_type", "added_on", "retired_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[BedKind] = mapped_column(db_enum(BedKind), default=BedKind.institution)
    care_type: Mapped[CareType] = mapped_column(db_enum(CareType))
    open_to_public: Mapped[bool] = mapped_column(default=False)
    out_of_service: Mapped[bool] = mapped_column(default=False)
    needs_cleaning: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The bed register: a bed counts from added_on until retired_on (exclusive). Beds are
    # retired, never deleted, so the beds of any past day can be counted. Beds recorded before
    # the register existed have no known start and count from REGISTER_START.
    added_on: Mapped[date] = mapped_column(server_default=REGISTER_START.isoformat())
    retired_on: Mapped[date | None]

    facility = relationship("Facility")
    room = relationship("Room")


class BedCareTypeChange(Base):
    """A bed's care type changed: from `changed_on` on it is `care_type`, before it was `previous`."""

    __tablename__ = "bed_care_type_change"
    __table_args__ = (Index("ix_bed_care_type_change_bed_day", "bed_id", "changed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("bed.id"))
    changed_on: Mapped[date]
    previous: Mapped[CareType] = mapped_column(db_enum(CareType))
    care_type: Mapped[CareType] = mapped_column(db_enum(CareType))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bed = relationship("Bed")


class FacilityTypeChange(Base):
    """A facility's type changed (a 敬老院 became a regional centre): from `changed_on` on it is
    `type`, before it was `previous` (facilities/registry.py: type_on)."""

    __tablename__ = "facility_type_change"
    __table_args__ = (Index("ix_facility_type_change_facility_day", "facility_id", "changed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    changed_on: Mapped[date]
    previous: Mapped[FacilityType] = mapped_column(db_enum(FacilityType))
    type: Mapped[FacilityType] = mapped_column(db_enum(FacilityType))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")


class Stay(Base):
    """An elder's stay in a bed: [start_on, end_on), end_on None while the stay is open."""

    __tablename__ = "stay"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
        # The database itself forbids two open stays on a bed or for an elder.
        Index(
            "uq_stay_open_bed", "bed_id", unique=True,
            sqlite_where=text("end_on IS NULL"), postgresql_where=text("end_on IS NULL"),
        ),
        Index(
            "uq_stay_open_elder", "elder_id", unique=True,
            sqlite_where=text("end_on IS NULL"), postgresql_where=text("end_on IS NULL"),
        ),
        # Covering a day's stays with their elder, so the day's residents read no stay rows.
        Index("ix_stay_bed_dates", "bed_id", "start_on", "end_on", "elder_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("bed.id"))
    start_on: Mapped[date]
    end_on: Mapped[date | None]
    end_reason: Mapped[EndReason | None] = mapped_column(db_enum(EndReason))
    away: Mapped[Away | None] = mapped_column(db_enum(Away))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    elder = relationship("Elder")
    bed = relationship("Bed")


class BedHold(Base):
    """A bed kept for someone until expires_at (an offer, or a manager's reservation)."""

    __tablename__ = "bed_hold"
    __table_args__ = (
        Index(
            "uq_bed_hold_active_bed", "bed_id", unique=True,
            sqlite_where=text("released_at IS NULL"), postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("bed.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    note: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    released_at: Mapped[datetime | None]

    bed = relationship("Bed")


class MealLog(Base):
    """Meals a community meal point served on one day; one row per point and day."""

    __tablename__ = "meal_log"
    __table_args__ = (
        UniqueConstraint("facility_id", "day"),
        CheckConstraint("meals >= 0 AND subsidised >= 0 AND subsidised <= meals", name="meal_counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    day: Mapped[date] = mapped_column(index=True)
    meals: Mapped[int]
    subsidised: Mapped[int]  # of which subsidised; split by category below
    subsidised_by_category: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


def facilities_touched(session, objects) -> set[int]:
    """The facilities whose tallies these changed objects feed (for eldercare.cache)."""
    ids: set[int] = set()
    with session.no_autoflush:
        for obj in objects:
            if isinstance(obj, Facility) and obj.id is not None:
                ids.add(obj.id)
            elif isinstance(obj, Bed | Room):
                ids.add(obj.facility_id)
            elif isinstance(obj, Stay | BedHold | BedCareTypeChange):
                bed = obj.bed if obj.bed is not None else session.get(Bed, obj.bed_id)
                ids.add(bed.facility_id)
            elif isinstance(obj, Elder) and obj.id is not None:
                ids.update(session.scalars(
                    select(Bed.facility_id).join(Stay, Stay.bed_id == Bed.id)
                    .where(Stay.elder_id == obj.id, Stay.end_on.is_(None))
                ))
    ids.discard(None)
    return ids


cache.track(Facility, facilities_touched)
