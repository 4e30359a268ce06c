"""Notifications in the application (the bell), each also written to an outbox that an e-mail or
SMS sender could read later; nothing is sent outside from here."""

from datetime import datetime

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from eldercare.extensions import db
from eldercare.models import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))  # a status line and the bureau's reason (500)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class Outbox(Base):
    """Messages waiting for a sender (SMS, e-mail) that does not exist yet."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(16))  # "sms"
    recipient: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


def notify(user, text, application_id: int | None = None) -> Notification:
    """Tell `user` something, in the bell and in the outbox (by SMS when they gave a phone).

    `text` may be a lazy translation: a message kept for later reading is written in the
    default language, whoever's request or job sends it."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = str(text)
    if has_app_context():
        g.pop(UNREAD, None)
    note = Notification(user_id=user.id, text=text, application_id=application_id)
    db.session.add(note)
    db.session.flush()
    if user.phone:
        db.session.add(Outbox(notification_id=note.id, channel="sms", recipient=user.phone, body=text))
    return note


UNREAD = "eldercare_unread"  # in flask.g: (user id, unread count), read with the user at the session check


def unread_subquery(user_id_column):
    """The unread count as a column of another query (auth.sessions.load_user reads it with the
    user, so the bell on every page costs no query of its own)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id_column, Notification.read_at.is_(None)).scalar_subquery())


def remember_unread(user_id: int, count: int) -> None:
    g.setdefault(UNREAD, (user_id, count))


def unread_count(user_id: int) -> int:
    known = g.get(UNREAD) if has_app_context() else None
    if known is not None and known[0] == user_id:
        return known[1]
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                             Notification.read_at.is_(None))
    )


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)
    ))


def mark_all_read(user_id: int) -> None:
    if has_app_context():
        g.pop(UNREAD, None)
    db.session.execute(update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
