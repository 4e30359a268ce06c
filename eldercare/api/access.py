"""Who is calling the API: a bearer token, never a session cookie.

Requests under /api/ read no session cookie and set none, so a browser's login cannot be
ridden by another site: that, and not an exemption for convenience, is why the API needs no
CSRF token. Every access decision is still the one of eldercare/auth/policy.py.
"""

from functools import wraps

from flask import abort, request
from flask.sessions import SessionInterface
from flask_login import current_user

from eldercare.auth import tokens

PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


class PagesOnlySessions(SessionInterface):
    """The app's own session interface for pages; an empty session, never saved, for the API."""

    def __init__(self, pages: SessionInterface):
        self.pages = pages

    def open_session(self, app, request):
        if request.path.startswith(PREFIX):
            return self.pages.session_class()
        return self.pages.open_session(app, request)

    def save_session(self, app, session, response):
        if not request.path.startswith(PREFIX):
            self.pages.save_session(app, session, response)

    def make_null_session(self, app):
        return self.pages.make_null_session(app)

    def is_null_session(self, obj) -> bool:
        return self.pages.is_null_session(obj)


def user_from_bearer(req):
    """Flask-Login's request loader: the owner of the bearer token, on API requests only."""
    if not req.path.startswith(PREFIX):
        return None
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return tokens.user_for(secret.strip())


def token_required(*roles):
    """401 without a valid token; 403 for a role that may never do this (any role if none given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
