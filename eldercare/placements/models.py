import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare.models import Base, db_enum, utcnow
from eldercare.residents.models import AbilityLevel, Category, Sex, age_on


class Status(enum.StrEnum):
    """An application's life (issue: placement applications)."""

    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    more_info = "more_info"  # back to the family for more information
    approved = "approved"  # on the waitlist
    rejected = "rejected"
    offered = "offered"  # a bed is held for it until the offer expires
    accepted = "accepted"
    admitted = "admitted"
    withdrawn = "withdrawn"


class Action(enum.StrEnum):
    submit = "submit"
    start_review = "start_review"
    approve = "approve"
    reject = "reject"
    request_info = "request_info"
    offer = "offer"
    accept = "accept"
    decline = "decline"
    expire = "expire"
    admit = "admit"
    withdraw = "withdraw"
    withdraw_offer = "withdraw_offer"  # the bureau takes an offered bed back


FAMILY, BUREAU, MANAGER, SYSTEM = "family", "bureau", "manager", "system"
BEFORE_ADMISSION = (Status.draft, Status.submitted, Status.under_review, Status.more_info, Status.approved,
                    Status.offered, Status.accepted)

# The one table of allowed transitions: (from, action) -> (to, who may do it).
# Declined and expired offers go back to the waitlist at their place (approved, same date).
TRANSITIONS: dict[tuple[Status, Action], tuple[Status, frozenset[str]]] = {
    (Status.draft, Action.submit): (Status.submitted, frozenset({FAMILY})),
    (Status.more_info, Action.submit): (Status.submitted, frozenset({FAMILY})),
    (Status.submitted, Action.start_review): (Status.under_review, frozenset({BUREAU})),
    (Status.under_review, Action.approve): (Status.approved, frozenset({BUREAU})),
    (Status.under_review, Action.reject): (Status.rejected, frozenset({BUREAU})),
    (Status.under_review, Action.request_info): (Status.more_info, frozenset({BUREAU})),
    (Status.approved, Action.offer): (Status.offered, frozenset({BUREAU})),
    (Status.offered, Action.accept): (Status.accepted, frozenset({FAMILY})),
    (Status.offered, Action.decline): (Status.approved, frozenset({FAMILY})),
    (Status.offered, Action.expire): (Status.approved, frozenset({SYSTEM})),
    (Status.accepted, Action.admit): (Status.admitted, frozenset({MANAGER, BUREAU})),
    (Status.offered, Action.withdraw_offer): (Status.approved, frozenset({BUREAU})),
    (Status.accepted, Action.withdraw_offer): (Status.approved, frozenset({BUREAU})),
    **{(status, Action.withdraw): (Status.withdrawn, frozenset({FAMILY})) for status in BEFORE_ADMISSION},
}
OPEN_STATUSES = frozenset({Status.submitted, Status.under_review, Status.more_info, Status.approved,
                           Status.offered, Status.accepted})


# Statuses in which an application holds a person's place: at most one per ID number (a unique index).
ACTIVE_STATUSES = (Status.approved, Status.offered, Status.accepted)


class Application(Base):
    """A family's application for a placement of one elder. Everything the family declares (the
    elder's name and ID number, category, flags) is kept here and claims no elder record: the
    bureau links the application to the elder's record (establishing it if new) when it takes the
    application up, and a declared difference reaches the record only by the reviewer's choice."""

    __tablename__ = "application"
    __table_args__ = (
        Index("uq_application_active_id_number", "id_number", unique=True,
              sqlite_where=text("status IN ('approved', 'offered', 'accepted')"),
              postgresql_where=text("status IN ('approved', 'offered', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # who applied: family or town assistant
    # Set when a town's civil-affairs assistant applied on the elder's behalf: that town's
    # assistants follow it (auth/policy.py), and the bureau sees who applied for whom.
    assistant_town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    elder_name: Mapped[str] = mapped_column(String(64))
    # Normalised (identity.parse_id_number); sensitive like the elder's: masked, never sent back to a form.
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    birth_on: Mapped[date]  # derived from the ID number
    sex: Mapped[Sex] = mapped_column(db_enum(Sex))  # derived from the ID number
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id"), index=True)
    status: Mapped[Status] = mapped_column(db_enum(Status), index=True, default=Status.draft)
    category: Mapped[Category] = mapped_column(db_enum(Category))
    severe_disability: Mapped[bool] = mapped_column(default=False)
    living_alone: Mapped[bool] = mapped_column(default=False)
    empty_nest: Mapped[bool] = mapped_column(default=False)
    relation: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str] = mapped_column(String(64))
    contact_phone: Mapped[str] = mapped_column(String(32))
    preferred_town_ids: Mapped[list] = mapped_column(JSON, default=list)
    preferred_facility_ids: Mapped[list] = mapped_column(JSON, default=list)
    needs_nursing: Mapped[bool] = mapped_column(default=False)
    # The level of the latest assessment the bureau made for this application: what ranks it and
    # what its family may see (never the record's level from elsewhere).
    ability_level: Mapped[AbilityLevel | None] = mapped_column(db_enum(AbilityLevel))
    notes: Mapped[str] = mapped_column(String(1000), default="")
    consent_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]  # the waitlist place; kept when an offer is declined or expires
    admitted_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(500), default="")  # the last rejection / information request
    offered_bed_id: Mapped[int | None] = mapped_column(ForeignKey("bed.id"))
    offer_expires_at: Mapped[datetime | None]
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stay.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    elder = relationship("Elder")
    family = relationship("User")
    assistant_town = relationship("Town")
    offered_bed = relationship("Bed")
    stay = relationship("Stay")
    events = relationship("ApplicationEvent", order_by="ApplicationEvent.id", back_populates="application")

    def age_on(self, day: date) -> int:
        return age_on(self.birth_on, day)


class ApplicationEvent(Base):
    """One transition: who, when, from what to what, and why."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    action: Mapped[Action] = mapped_column(db_enum(Action))
    from_status: Mapped[Status] = mapped_column(db_enum(Status))
    to_status: Mapped[Status] = mapped_column(db_enum(Status))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    application = relationship("Application", back_populates="events")
    actor = relationship("User")


class PriorityWeight(Base):
    """Points per term of the priority score; the bureau sets them, code never does."""

    __tablename__ = "priority_weight"

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    points: Mapped[float]


class PolicyGroup(Base):
    """The place of a policy group in the order of priority for surplus beds (1 = first); the
    bureau administrator sets the order, the groups' definitions are in placements.priority."""

    __tablename__ = "policy_group"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int]
