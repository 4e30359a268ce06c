"""Accounts: creating users and checking passwords."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from eldercare import audit
from eldercare.auth.models import Role, User
from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.facilities.models import Facility


class UsernameTaken(InvalidInput):
    pass


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def create_user(actor, *, username: str, full_name: str, role: Role, password: str,
                phone: str | None = None, facility_ids=()) -> User:
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise UsernameTaken(_l("The user name %(name)s is taken.", name=username))
    if facility_ids and role != Role.facility_manager:
        raise InvalidInput(_l("Only facility managers are assigned to facilities."))
    user = User(username=username, full_name=full_name, role=role, phone=phone or None)
    user.set_password(password)
    user.facilities = list(db.session.scalars(select(Facility).where(Facility.id.in_(facility_ids))))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user,
                 after={"username": username, "role": role.value, "facility_ids": sorted(facility_ids)})
    return user
