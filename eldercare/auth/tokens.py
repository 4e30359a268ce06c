"""API bearer tokens: issued for a user name and password, stored only as a SHA-256 digest,
expiring (API_TOKEN_DAYS, default 30), listed and revoked by their owner, and all of a user's
revoked at once by a bureau administrator. A token acts as its owner, so it carries the
owner's role and facilities as they are at each request."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare import audit
from eldercare.auth.models import User
from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.models import Base, utcnow

PREFIX = "ec_"  # lets secret scanners and people recognise an eldercare token


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    hint: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship(User)

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def _digest(token: str) -> str:
    # Tokens are 256 random bits, so a plain digest is enough: nothing to guess or look up.
    return hashlib.sha256(token.encode()).hexdigest()


def _fields(token: ApiToken) -> dict:
    return {"user_id": token.user_id, "hint": token.hint, "name": token.name,
            "expires_at": token.expires_at.isoformat(), "revoked_at": token.revoked_at and token.revoked_at.isoformat()}


def issue(user: User, *, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`: the record and the token itself, shown this once only."""
    days = days or current_app.config["API_TOKEN_DAYS"]
    if not 1 <= days <= current_app.config["API_TOKEN_DAYS"]:
        raise InvalidInput(_l("A token lasts between 1 and %(days)s days.", days=current_app.config["API_TOKEN_DAYS"]))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, digest=_digest(secret), hint=secret[:10], name=name.strip(),
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.issue", token, after=_fields(token))
    return token, secret


def user_for(secret: str) -> User | None:
    """The active user whose unrevoked, unexpired token this is; None otherwise."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == _digest(secret)))
    if token is None or not token.active or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Written at most every few minutes, so reads do not become writes.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return token.user


def tokens_of(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke(actor: User, token: ApiToken) -> ApiToken:
    before = _fields(token)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(actor, "api_token.revoke", token, before=before, after=_fields(token))
    return token


def revoke_all(actor: User, user: User) -> int:
    """Revoke every active token of `user` (their own, or a bureau administrator's decision)."""
    tokens = [t for t in tokens_of(user.id) if t.revoked_at is None]
    for token in tokens:
        revoke(actor, token)
    return len(tokens)
