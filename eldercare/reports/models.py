"""The archive of generated reports and the jobs that make them."""

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare.models import Base, db_enum, utcnow
from eldercare.notifications import rendered


class ReportKind(enum.StrEnum):
    occupancy = "occupancy"  # 床位与入住情况报告


class Source(enum.StrEnum):
    web = "web"
    command_line = "command_line"
    schedule = "schedule"


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Report(Base):
    """One generated PDF in the archive. Regenerating a report adds a version and marks the
    earlier one superseded; its file is kept."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("kind", "scope", "period", "language", "version", name="uq_report_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(db_enum(ReportKind))
    scope: Mapped[str] = mapped_column(String(32))  # "city", "town-3", "facility-12"
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    period: Mapped[str] = mapped_column(String(8), index=True)  # 2026-10, 2026-Q3, 2026
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(default=1)
    source: Mapped[Source] = mapped_column(db_enum(Source))
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    path: Mapped[str] = mapped_column(String(256))  # relative to REPORTS_DIR
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int]
    superseded_at: Mapped[datetime | None]

    made_by = relationship("User")
    town = relationship("Town")
    facility = relationship("Facility")


# A web order still being made (the partial unique key's condition, and the migration's, 0019).
BEING_MADE = "NOT scheduled AND status IN ('queued', 'running')"


class ReportJob(Base):
    """A report being made: its progress is in the database, so any app server can show it.
    A scheduled job is made once per kind, scope, period and language, and a web user has one job
    at a time being made for each report (partial unique keys: a second click, or another tab,
    finds the first job).
    `alive_at` is its last sign of life (ordered, started, each step of progress): a web job
    silent for longer than a report can take was interrupted (making.end_interrupted)."""

    __tablename__ = "report_job"
    __table_args__ = (
        Index("uq_report_job_scheduled", "kind", "scope", "period", "language", unique=True,
              sqlite_where=text("scheduled"), postgresql_where=text("scheduled")),
        Index("uq_report_job_ordered", "requested_by_id", "kind", "scope", "period", "language", unique=True,
              sqlite_where=text(BEING_MADE), postgresql_where=text(BEING_MADE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(db_enum(ReportKind))
    scope: Mapped[str] = mapped_column(String(32))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    scheduled: Mapped[bool] = mapped_column(default=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(db_enum(JobStatus), default=JobStatus.queued)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    # Why it failed, kept as a text's key and values (notifications.kept) for its reader's language.
    message: Mapped[dict | str] = mapped_column(JSON, default="")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    alive_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    report = relationship("Report")
    requested_by = relationship("User")

    @property
    def message_text(self) -> str:
        """Why it failed, in the language of whoever reads it."""
        return rendered(self.message)
