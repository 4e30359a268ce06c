import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eldercare.models import Base, db_enum, utcnow


class Role(enum.StrEnum):
    bureau_admin = "bureau_admin"
    bureau_staff = "bureau_staff"
    facility_manager = "facility_manager"
    family = "family"
    town_assistant = "town_assistant"  # 镇/街道民政助理员: applies on behalf of elders of their town


BUREAU_ROLES = frozenset({Role.bureau_admin, Role.bureau_staff})

facility_manager = Table(
    "facility_manager",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(db_enum(Role))
    full_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    # A town assistant's town or street: the elders they may apply for (auth/policy.py).
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # The language the person chose (a code of LANGUAGES); None: the default. Pages, messages and SMS use it.
    locale: Mapped[str | None] = mapped_column(String(8))
    # Moved on to end every session of the account (eldercare/auth/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facilities = relationship("Facility", secondary=facility_manager, back_populates="managers")
    town = relationship("Town")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU_ROLES

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
