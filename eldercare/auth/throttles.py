"""Throttles on guessing passwords, shared by every way in: the login form and the API's token
requests count together, per user name and per client address (Flask-Limiter; stored in Redis
when RATELIMIT_STORAGE_URI names it, so every worker and app server counts together)."""

from flask import current_app, request
from flask_login import current_user

from eldercare.extensions import limiter


def _username() -> str:
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username", "") if isinstance(body, dict) else ""
    return "user-name:" + str(name).strip().lower()[:64]


def client_address() -> str:
    return "address:" + (request.remote_addr or "")


def account() -> str:
    return f"account:{current_user.get_id()}"


def login_attempts(failed):
    """Count the POSTs for which `failed(response)` is true, per user name (one password after
    another against one account) and per address (one password against many accounts); once
    either limit is reached every attempt is refused for a while, the right password too."""

    def decorator(view):
        view = limiter.shared_limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], scope="login-user-name",
                                    key_func=_username, methods=["POST"], deduct_when=failed)(view)
        return limiter.shared_limit(lambda: current_app.config["LOGIN_ADDRESS_LIMIT"], scope="login-address",
                                    key_func=client_address, methods=["POST"], deduct_when=failed)(view)

    return decorator


def registrations(view):
    return limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], key_func=client_address, methods=["POST"],
                         scope="register")(view)


def password_changes(view):
    """Per account: a password change (its current password is a guess too) or an administrator's reset."""
    return limiter.shared_limit(lambda: current_app.config["PASSWORD_CHANGE_LIMIT"], scope="password-change",
                                key_func=account, methods=["POST"])(view)
