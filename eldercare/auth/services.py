"""Accounts: creating users, checking and changing passwords, deactivating."""

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eldercare import audit
from eldercare.auth import passwords, sessions, tokens
from eldercare.auth.models import Role, User
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.notifications import notify


class UsernameTaken(InvalidInput):
    pass


class WrongPassword(InvalidInput):
    pass


@cache
def _dummy_hash() -> str:
    """A hash made the same way as real ones, checked when the account does not exist or cannot
    log in, so the answer takes as long whether or not the user name is known."""
    return generate_password_hash("no account has this password")


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


def _find(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def create_user(actor, *, username: str, full_name: str, role: Role, password: str,
                phone: str | None = None, locale: str | None = None) -> User:
    if _find(username) is not None:
        raise UsernameTaken(_l("The user name %(name)s is taken.", name=username))
    passwords.check(password, username=username, phone=phone)
    user = User(username=username, full_name=full_name, role=role, phone=phone or None, locale=locale)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same name, created at the same moment: the caller rolls back
        raise UsernameTaken(_l("The user name %(name)s is taken.", name=username)) from error
    audit.record(actor, "user.create", user, after={"username": username, "role": role.value})
    return user


def register_family(*, full_name: str, phone: str, password: str, locale: str | None = None) -> User | None:
    """A family opens its own account, the phone number being the user name. When the number
    already has an account nothing is created (None) and its owner is told; the page answers the
    same either way, so nobody learns from it whose number has an account."""
    passwords.check(password, username=phone, phone=phone)
    existing = _find(phone)
    if existing is None:
        # Two registrations of one number at the same moment: the second raises UsernameTaken at
        # the unique index; its caller rolls back and answers as for any taken number.
        return create_user(None, username=phone, full_name=full_name, role=Role.family, password=password,
                           phone=phone, locale=locale)
    generate_password_hash(password)  # as long as creating the account would have taken
    notify(existing, _l("Someone tried to open a new account with your mobile number. If it was you, "
                        "log in with your existing account."))
    return None


def change_password(user: User, *, current: str, new: str) -> None:
    """The user changes their own password; their other sessions and their API tokens end, this
    session goes on."""
    if not user.check_password(current):
        raise WrongPassword(_l("The current password is wrong."))
    passwords.check(new, username=user.username, phone=user.phone)
    user.set_password(new)
    sessions.end_everywhere(user)
    tokens.revoke_all(user, user)
    db.session.flush()
    audit.record(user, "user.change_password", user)


def reset_password(actor, user: User, new: str) -> None:
    """The administrator sets a new password; every session and API token of the account ends."""
    passwords.check(new, username=user.username, phone=user.phone)
    user.set_password(new)
    sessions.end_everywhere(user)
    tokens.revoke_all(actor, user)
    db.session.flush()
    audit.record(actor, "user.reset_password", user)


def set_active(actor, user: User, active: bool) -> None:
    """Deactivate (every session ends, no login) or reactivate an account; accounts are never deleted."""
    if user.id == actor.id:
        raise DomainError(_l("You cannot deactivate your own account."))
    before = user.active
    user.active = active
    if not active:
        sessions.end_everywhere(user)
    db.session.flush()
    audit.record(actor, "user.activate" if active else "user.deactivate", user,
                 before={"active": before}, after={"active": active})


def log_out(user: User) -> None:
    """Logging out ends the account's sessions everywhere (a copied cookie stops working)."""
    sessions.end_everywhere(user)
    sessions.finish()
