from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eldercare.models import Base, utcnow

DEFAULT_TARGET = Decimal("0.74")  # the city's 2024 target (domain.md section 2)


class CareTarget(Base):
    """The nursing-type share of institution beds to reach in a year; set by the bureau."""

    __tablename__ = "care_target"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    @property
    def id(self) -> int:
        """The year names the target (in audit events, for one)."""
        return self.year


class DailySnapshot(Base):
    """One facility's beds and residents on one day: the history behind the trend charts.

    Occupancy and residents come from stays, so a past day can be rebuilt exactly; the
    vacant / on-hold / cleaning / out-of-service split is known only on the day itself and
    is None in rebuilt rows.
    """

    __tablename__ = "daily_snapshot"
    __table_args__ = (UniqueConstraint("facility_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    day: Mapped[date] = mapped_column(index=True)
    beds: Mapped[int]  # institution beds (the ratio's denominator)
    beds_nursing: Mapped[int]
    occupied: Mapped[int]  # residents in institution beds
    occupied_nursing: Mapped[int]
    vacant: Mapped[int | None]
    on_hold: Mapped[int | None]
    needs_cleaning: Mapped[int | None]
    out_of_service: Mapped[int | None]
    residents_by_category: Mapped[dict] = mapped_column(JSON)
    residents_by_ability: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
