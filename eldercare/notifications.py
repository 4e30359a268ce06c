"""Notifications in the application (the bell), each also written to an outbox that an e-mail or
SMS sender could read later; nothing is sent outside from here.

A notification keeps its message as data (the text's msgid and its values), not as a sentence,
so each reader reads it in their own language, whichever language the request or job that sent
it had. The SMS is a sentence: it is written in the recipient's language when it is queued."""

from datetime import date, datetime

from flask import current_app, g, has_app_context
from flask_babel import force_locale, format_date, gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import JSON, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from eldercare.extensions import db
from eldercare.models import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    message: Mapped[dict | str] = mapped_column(JSON)  # kept(): a msgid and its values, or a plain text
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def text(self) -> str:
        """The message in the language of whoever is reading now."""
        return rendered(self.message)


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


def kept(message) -> dict | str | int | float:
    """`message` as data to keep: a lazy translation becomes its msgid and its values (each kept
    the same way, so a translated label inside a message is translated for the reader too); a
    date stays a date, to be written in the reader's format; anything else is kept as it is."""
    if isinstance(message, LazyString):
        if message._func is not gettext or len(message._args) != 1:
            raise TypeError("a kept message is a lazy_gettext text with named values")
        return {"msgid": message._args[0], "values": {k: kept(v) for k, v in message._kwargs.items()}}
    if isinstance(message, datetime):
        raise TypeError("a kept message names a day, not a moment: pass a date or a formatted text")
    if isinstance(message, date):
        return {"date": message.isoformat()}
    if isinstance(message, (int, float)):
        return message
    return str(message)


def rendered(message) -> str:
    """A kept message written in the current language."""
    if isinstance(message, dict):
        if "date" in message:
            return format_date(date.fromisoformat(message["date"]))
        return gettext(message["msgid"], **{k: rendered(v) for k, v in message["values"].items()})
    return str(message)


def notify(user, message, application_id: int | None = None) -> Notification:
    """Tell `user` something, in the bell and in the outbox (by SMS when they gave a phone).

    `message` is a lazy translation (or a plain text): the bell renders it in the reader's
    language when it is read; the SMS is written now, in the recipient's language."""
    if has_app_context():
        g.pop(UNREAD, None)
    note = Notification(user_id=user.id, message=kept(message), application_id=application_id)
    db.session.add(note)
    db.session.flush()
    if user.phone:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            body = rendered(note.message)
        db.session.add(Outbox(notification_id=note.id, channel="sms", recipient=user.phone, body=body[:1000]))
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
