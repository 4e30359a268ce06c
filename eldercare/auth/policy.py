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
from eldercare.extensions import db


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


def can_apply(user) -> bool:
    """Families apply for their elders; a town assistant for elders of their town who have no family to do it."""
    return user.role == Role.family or (user.role == Role.town_assistant and user.town_id is not None)


def _applied_for(user, application) -> bool:
    """The family who made it, or the assistants of the town that made it on the elder's behalf."""
    if user.role == Role.family:
        return application.family_id == user.id
    return (user.role == Role.town_assistant and application.assistant_town_id is not None
            and application.assistant_town_id == user.town_id)


def can_view_application(user, application) -> bool:
    """The family who made it (or its town's assistants); the bureau; the managers of the home
    whose bed it was offered or given. Its supporting documents are seen by the same people."""
    if user.role in (Role.family, Role.town_assistant):
        return _applied_for(user, application)
    if user.is_bureau:
        return True
    bed = application.offered_bed or (application.stay.bed if application.stay_id else None)
    return bed is not None and can_manage_facility(user, bed.facility_id)


def can_change_application(user, application) -> bool:
    """Only the family who made an application (or, for one made on an elder's behalf, the
    assistants of that town) edits, submits, withdraws, attaches documents or answers offers."""
    return _applied_for(user, application)


def can_manage_registry(user) -> bool:
    """The facility registry (register, edit, close, change a facility's type): the bureau administrator."""
    return user.role == Role.bureau_admin


def can_admit_application(user, application) -> bool:
    """An accepted offer is admitted by the bureau or the managers of the offered bed's home."""
    bed = application.offered_bed
    return bed is not None and (user.is_bureau or can_manage_facility(user, bed.facility_id))


def can_review_applications(user) -> bool:
    return user.is_bureau


def can_see_elder(user, facility_id: int | None) -> bool:
    """An elder's record: the bureau; a home's managers while the elder stays there
    (`facility_id`: where the elder stays now, if anywhere)."""
    return user.is_bureau or (facility_id is not None and can_see_residents(user, facility_id))


def can_name_elder_for_admission(user, facility_id: int | None) -> bool:
    """An elder is named by record for an admission by the bureau, or by a manager when the elder
    stays nowhere or in their own home (`facility_id`: where the elder stays now), so a record
    of someone staying elsewhere is not found by trying numbers."""
    return facility_id is None or can_see_elder(user, facility_id)


def can_assess(user, facility_id: int | None) -> bool:
    """Bureau staff assess applicants; a home's managers assess their own residents
    (`facility_id`: where the elder stays now, if anywhere)."""
    return user.is_bureau or (facility_id is not None and can_manage_facility(user, facility_id))


def can_view_caregiver(user, facility_ids: set[int]) -> bool:
    """A caregiver's record: the bureau; the managers of any facility they work or worked for
    (`facility_ids`), since a home keeps the history of those who left it."""
    return user.is_bureau or bool(set(facility_ids) & managed_facility_ids(user))


def can_manage_caregiver(user, current_facility_id: int | None) -> bool:
    """Status, pay, training and certificates: the managers of the facility they work for now."""
    return current_facility_id is not None and can_manage_facility(user, current_facility_id)


def can_see_pay(user, facility_id: int) -> bool:
    """A caregiver's pay: the bureau and the managers of the facility that pays it."""
    return user.is_bureau or can_manage_facility(user, facility_id)


def can_set_pay_bands(user) -> bool:
    return user.role == Role.bureau_admin


def can_order_report(user, scope) -> bool:
    """Bureau roles order reports on any scope; a manager, on the facilities they manage."""
    return user.is_bureau or (scope.level == "facility" and scope.id in managed_facility_ids(user))


def sees_report(user, report) -> bool:
    """An archived report or a report job: the bureau's are all of them, a manager's are their
    facilities' reports; families see none."""
    return user.is_bureau or (report.facility_id is not None and report.facility_id in managed_facility_ids(user))


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


# Checks on a fetched record, for `fetch`: each takes the user and the record.
def sees_facility(user, facility) -> bool:
    return can_view_facility(user, facility.id)


def manages_facility(user, facility) -> bool:
    return can_manage_facility(user, facility.id)


def sees_facility_record(user, record) -> bool:
    """A bed or room is seen by whoever sees its facility."""
    return can_view_facility(user, record.facility_id)


def manages_facility_record(user, record) -> bool:
    return can_manage_facility(user, record.facility_id)


def sees_stay(user, stay) -> bool:
    return can_view_facility(user, stay.bed.facility_id)


def manages_stay(user, stay) -> bool:
    return can_manage_facility(user, stay.bed.facility_id)


def _current_facility_id(caregiver) -> int | None:
    return next((e.facility_id for e in caregiver.employments if e.status != "left"), None)


def sees_caregiver(user, caregiver) -> bool:
    return can_view_caregiver(user, {e.facility_id for e in caregiver.employments})


def manages_caregiver(user, caregiver) -> bool:
    return can_manage_caregiver(user, _current_facility_id(caregiver))


def sees_certificate(user, certificate) -> bool:
    return sees_caregiver(user, certificate.caregiver)


def manages_certificate(user, certificate) -> bool:
    return manages_caregiver(user, certificate.caregiver)


def owns_token(user, token) -> bool:
    return token.user_id == user.id


def fetch(model, record_id, visible, *, allowed=None, user=None):
    """The record of `model` with this id, for pages and API alike: 404 when it is missing or
    `visible(user, record)` refuses (so an id reveals nothing), then 403 when the optional
    `allowed(user, record)` refuses. `user` defaults to the logged-in one."""
    user = user or current_user
    record = db.session.get(model, record_id)
    if record is None or not visible(user, record):
        abort(404)
    if allowed is not None:
        require(allowed(user, record))
    return record
