"""Sessions that end on the server side.

The session cookie is signed, not stored, so a copy of it would work until it expires. Each
account therefore has a session generation in the database: a session carries the generation it
was started with, and any request whose generation is no longer the account's is logged out.
Logging out, changing or resetting the password and deactivating the account move the
generation on, which ends that account's sessions on every device and every app server at once.
A session also ends after SESSION_IDLE_MINUTES without a request (its last activity is written
once a minute, so up to a minute sooner) and SESSION_MAX_HOURS after the login, whatever happens
in between.
"""

import functools
import time

from flask import current_app, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from eldercare import cache
from eldercare.auth.models import User
from eldercare.extensions import db
from eldercare.notifications import remember_unread, unread_subquery

LANGUAGE, CHOSEN = "lang", "lang_chosen"  # the session's language, and whether the visitor picked it


def start(user: User) -> None:
    """Log `user` in on a fresh session (a new cookie: nothing of the anonymous one is kept but
    the language). A language the visitor picked before logging in is stored on the account (the
    caller commits); otherwise the account's own language applies."""
    if session.get(CHOSEN):
        user.locale = session[LANGUAGE]
    session.clear()
    login_user(user)
    if user.locale:
        session[LANGUAGE] = user.locale  # kept for the login page when this person logs out
    session.permanent = True
    now = int(time.time())
    session.update(generation=user.session_generation, logged_in_at=now, seen_at=now)


def end_everywhere(user: User) -> None:
    """End every session of `user`, on every device; the caller commits."""
    user.session_generation = (user.session_generation or 0) + 1


def keep_this_one(user: User) -> None:
    """After `end_everywhere` on one's own account (a password change): this session goes on."""
    session["generation"] = user.session_generation


def finish() -> None:
    """Log out of this session and forget everything it held but the language its pages were in."""
    language = session.get(LANGUAGE)
    logout_user()
    session.clear()
    if language:
        session[LANGUAGE] = language


def choose_language(code: str) -> None:
    """The visitor or the logged-in person picks a language: kept in the session, and on the account
    when there is one (the caller commits)."""
    session[LANGUAGE] = code
    if current_user.is_authenticated:
        current_user.locale = code
    else:
        session[CHOSEN] = True


def _still_valid(user: User | None) -> bool:
    if user is None or not user.active or session.get("generation") != user.session_generation:
        return False
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    longest = current_app.config["SESSION_MAX_HOURS"] * 3600
    return now - session.get("seen_at", 0) <= idle and now - session.get("logged_in_at", 0) <= longest


SEEN_EVERY = 60  # seconds: how often a session's last activity is written again (a new cookie)


@functools.cache
def _user_query():
    """The account, its unread messages (the bell on every page), a manager's facilities (every access
    check; a page then finds its facility in the session, unread) and the change counter (the memos
    of eldercare.cache) in one statement, built once: building it costs more than running it."""
    return (select(User, unread_subquery(User.id), cache.counter_subquery())
            .where(User.id == bindparam("user_id")).options(joinedload(User.facilities)))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the account, if this session is still one of its live sessions."""
    user = None
    if user_id.isdigit():
        row = db.session.execute(_user_query(), {"user_id": int(user_id)}).unique().one_or_none()
        if row is not None:
            user = row[0]
            remember_unread(user.id, row[1])
            cache.remember_counter(db.session, row[2])
    if not _still_valid(user):
        session.clear()
        return None
    now = int(time.time())
    if now - session.get("seen_at", 0) >= SEEN_EVERY:  # not every request: an unchanged session sends no cookie
        session["seen_at"] = now
    return user
