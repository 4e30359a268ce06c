"""The elder and their ability assessments (domain.md sections 3, 4 and 6)."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare.models import Base, db_enum, utcnow


class Category(enum.StrEnum):
    """An elder's primary category (domain.md section 3)."""

    tekun = "tekun"  # 特困供养
    dibao = "dibao"  # 低保
    dibao_edge = "dibao_edge"  # 低保边缘
    expense_hardship = "expense_hardship"  # 支出型困难
    general = "general"  # 一般社会老人


class AbilityLevel(enum.StrEnum):
    """GB/T 42195-2022 levels, from best to worst."""

    intact = "intact"
    mild = "mild"
    moderate = "moderate"
    severe = "severe"
    complete = "complete"


class Sex(enum.StrEnum):
    male = "male"
    female = "female"


HIGH_AGE = 80


def age_on(birth_on: date, day: date) -> int:
    return day.year - birth_on.year - ((day.month, day.day) < (birth_on.month, birth_on.day))


class Elder(Base):
    """One person, one record: established by a facility admission or a bureau decision (never by
    a family's draft), keyed by the normalised ID number."""

    __tablename__ = "elder"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Sensitive: shown masked, audited when shown in full, never logged or put in a URL.
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_on: Mapped[date]
    sex: Mapped[Sex] = mapped_column(db_enum(Sex))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    category: Mapped[Category] = mapped_column(db_enum(Category), index=True)
    ability_level: Mapped[AbilityLevel | None] = mapped_column(db_enum(AbilityLevel))
    severe_disability: Mapped[bool] = mapped_column(default=False)
    living_alone: Mapped[bool] = mapped_column(default=False)
    empty_nest: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    town = relationship("Town")

    def age_on(self, day: date) -> int:
        return age_on(self.birth_on, day)

    def is_high_age(self, day: date) -> bool:
        return self.age_on(day) >= HIGH_AGE


class AssessmentReason(enum.StrEnum):
    """Why an assessment was made (Administrative Measures for Elderly Care Institutions, art. 15)."""

    admission = "admission"  # on admission
    condition_changed = "condition_changed"  # the condition changed
    annual_review = "annual_review"  # the yearly review
    application = "application"  # the bureau assessed an applicant


class Assessment(Base):
    """An ability assessment (GB/T 42195-2022): four domain scores and the adjustments; the
    level is computed (residents.rules), never typed."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    # Made for this application (by the bureau): its family may see the result, and only that.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    self_care: Mapped[int]
    mobility: Mapped[int]
    mental: Mapped[int]
    perception: Mapped[int]
    coma: Mapped[bool] = mapped_column(default=False)
    dementia_or_psychiatric: Mapped[bool] = mapped_column(default=False)
    risk_events_30d: Mapped[int] = mapped_column(default=0)
    total: Mapped[int]
    level: Mapped[AbilityLevel] = mapped_column(db_enum(AbilityLevel))
    reason: Mapped[AssessmentReason] = mapped_column(db_enum(AssessmentReason), default=AssessmentReason.admission,
                                                     server_default=AssessmentReason.admission.value)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessed_by = relationship("User")


class AssessmentReminder(Base):
    """A reminder sent to a home's managers that a resident's latest assessment is over a year old:
    one per resident and due day, so the daily job tells them once."""

    __tablename__ = "assessment_reminder"
    __table_args__ = (UniqueConstraint("elder_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"))
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseSource(enum.StrEnum):
    admission = "admission"  # a home's manager admitted someone under this ID number
    application = "application"  # the bureau took up an application with this ID number


class IdentityCase(Base):
    """A name that disagrees with an established record, for the bureau to compare and resolve.
    The action that raised it went on under the established record; nothing was refused."""

    __tablename__ = "identity_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    claimed_name: Mapped[str] = mapped_column(String(64))
    source: Mapped[CaseSource] = mapped_column(db_enum(CaseSource))
    source_id: Mapped[int | None]  # the application or the facility
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None]
    renamed: Mapped[bool | None]  # True: the record took the claimed name; False: the record's name stands

    elder = relationship("Elder")
    raised_by = relationship("User", foreign_keys=[raised_by_id])
