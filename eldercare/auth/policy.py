"""Who may do what: the one place access is decided.

Routes (and the API to come) ask here; nothing else compares roles. Any record owned by a
facility (beds, stays, and later caregivers) is scoped through `can_view_facility` and
`can_manage_facility`.
"""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select, true

from eldercare.auth.models import Role, facility_manager


def managed_facility_ids(user) -> set[int]:
    return {f.id for f in user.facilities} if user.role == Role.facility_manager else set()


def can_view_facility(user, facility_id: int) -> bool:
    """Bureau roles see every facility; a manager sees the facilities assigned to them."""
    return user.is_bureau or facility_id in managed_facility_ids(user)


def can_manage_facility(user, facility_id: int) -> bool:
    """Beds, rooms and stays are changed only by the facility's own managers."""
    return facility_id in managed_facility_ids(user)


def can_see_residents(user, facility_id: int) -> bool:
    """Residents' names on a board: the facility's managers only; others see states alone."""
    return can_manage_facility(user, facility_id)


def can_manage_users(user) -> bool:
    return user.role == Role.bureau_admin


def can_see_full_id_numbers(user) -> bool:
    """Full ID numbers go to the bureau roles that check eligibility; everyone else sees them masked."""
    return user.is_bureau


def can_view_application(user, application) -> bool:
    """The family who made it; the bureau; the managers of the home whose bed it was offered or given."""
    if user.role == Role.family:
        return application.family_id == user.id
    if user.is_bureau:
        return True
    bed = application.offered_bed or (application.stay.bed if application.stay_id else None)
    return bed is not None and can_manage_facility(user, bed.facility_id)


def can_change_application(user, application) -> bool:
    """Only the family who made an application edits, submits, withdraws or answers offers."""
    return user.role == Role.family and application.family_id == user.id


def can_review_applications(user) -> bool:
    return user.is_bureau


def can_assess(user, facility_id: int | None) -> bool:
    """Bureau staff assess applicants; a home's managers assess their own residents
    (`facility_id`: where the elder stays now, if anywhere)."""
    return user.is_bureau or (facility_id is not None and can_manage_facility(user, facility_id))


def visible_facilities_clause(user, facility_id_column):
    """A WHERE clause limiting a query to the facilities `user` may see."""
    if user.is_bureau:
        return true()

    return facility_id_column.in_(
        select(facility_manager.c.facility_id).where(facility_manager.c.user_id == user.id)
    )


def roles_required(*roles: Role):
    """Log in first; then only these roles (403 for the others)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)
