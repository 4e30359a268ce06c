"""Shared by the API tests: a bearer token for a user, and requests that carry it."""

from eldercare.auth import tokens
from eldercare.extensions import db


def token_for(user) -> str:
    _record, secret = tokens.issue(user)
    db.session.commit()
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
