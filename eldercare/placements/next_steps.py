"""Where an application stands, in the family's words: what happened, what to do next and by when.

The application page, the family's list and every message to the family (workflow._tell_family)
read these, so a family reads the same next step wherever it looks.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from eldercare.extensions import db
from eldercare.facilities.models import Bed, Stay
from eldercare.labels import APPLICATION_STATUS
from eldercare.placements.models import Action, Application, ApplicationEvent, Status

# After a family accepts a bed, the home calls it within this many days to agree on the day of
# admission (the bureau's promise to families; the home's managers are told at once).
CALL_WITHIN_DAYS = 3

NEXT_STEP = {
    Status.draft: _l("Check the application, then send it to the civil-affairs bureau."),
    Status.submitted: _l("Nothing to do now: the civil-affairs bureau will take the application up."),
    Status.under_review: _l("Nothing to do now: bureau staff may call you to assess the elder."),
    Status.more_info: _l("Change the application as the bureau asks, then send it again."),
    Status.approved: _l("Nothing to do now: you will be told as soon as a bed is offered."),
    Status.offered: _l("Accept or decline the offered bed before the offer expires."),
    Status.accepted: _l("The home will call you to agree on the day of admission."),
    Status.admitted: _l("Nothing more to do: the elder is staying in the home."),
    Status.rejected: _l("Nothing more will happen with this application; read the bureau's reason."),
    Status.withdrawn: _l("Nothing more will happen with this application."),
}


def _local_day(moment) -> date:
    """The bureau's calendar day of a stored (UTC) moment."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(zone).date()


def accepted_at(application: Application):
    """When the family accepted the bed it holds now (the latest acceptance)."""
    return db.session.scalar(
        db.select(ApplicationEvent.at).where(ApplicationEvent.application_id == application.id,
                                             ApplicationEvent.action == Action.accept)
        .order_by(ApplicationEvent.id.desc()).limit(1))


def call_by(application: Application) -> date | None:
    """The day by which the home calls a family that accepted a bed."""
    moment = accepted_at(application) if application.status == Status.accepted else None
    return _local_day(moment) + timedelta(days=CALL_WITHIN_DAYS) if moment else None


def placed_bed(application: Application) -> tuple[Bed | None, Stay | None]:
    """The bed the application holds (offered or accepted) or was admitted into, with the stay."""
    if application.status == Status.admitted and application.stay_id:
        stay = db.session.get(Stay, application.stay_id)
        return stay.bed, stay
    if application.status in (Status.offered, Status.accepted) and application.offered_bed_id:
        return db.session.get(Bed, application.offered_bed_id), None
    return None, None


def message(application: Application, event: ApplicationEvent):
    """The message to the family about one step: what happened and what to do now."""
    name = application.elder_name
    bed, stay = placed_bed(application)
    if event.action == Action.offer and bed is not None:
        return _l("A bed is offered to %(name)s: bed %(code)s at %(home)s, %(address)s. Please accept or decline "
                  "it on the application page before %(until)s; after that the bed goes to the next family.",
                  name=name, code=bed.code, home=bed.facility.name, address=bed.facility.address or "—",
                  until=format_datetime(application.offer_expires_at, "yyyy-MM-dd HH:mm"))
    if event.action == Action.accept and bed is not None:
        return _l("You accepted bed %(code)s at %(home)s for %(name)s. The home will call you by %(day)s to "
                  "agree on the day of admission; if nobody has called by then, call the civil-affairs bureau.",
                  name=name, code=bed.code, home=bed.facility.name, day=call_by(application).isoformat())
    if event.action == Action.admit and stay is not None:
        return _l("%(name)s was admitted to %(home)s, bed %(code)s, on %(day)s. Nothing more to do.",
                  name=name, home=stay.bed.facility.name, code=stay.bed.code, day=stay.start_on.isoformat())
    if event.action in (Action.decline, Action.expire, Action.withdraw_offer):
        what = {Action.decline: _l("You declined the bed offered to %(name)s.", name=name),
                Action.expire: _l("The offer of a bed to %(name)s expired without an answer.", name=name),
                Action.withdraw_offer: _l("The civil-affairs bureau took back the bed offered to %(name)s.",
                                          name=name)}[event.action]
        return _l("%(what)s The application keeps its place on the waitlist; you will be told when another "
                  "bed is offered.", what=what)
    what = {Action.submit: _l("The application for %(name)s was sent to the civil-affairs bureau.", name=name),
            Action.start_review: _l("The civil-affairs bureau has taken up the application for %(name)s.",
                                    name=name),
            Action.approve: _l("The application for %(name)s is approved and on the waitlist.", name=name),
            Action.reject: _l("The application for %(name)s was rejected.", name=name),
            Action.request_info: _l("The civil-affairs bureau needs more information for the application "
                                    "for %(name)s.", name=name),
            Action.withdraw: _l("The application for %(name)s is withdrawn.", name=name)}.get(
                event.action, _l("The application for %(name)s is now: %(status)s.", name=name,
                                 status=APPLICATION_STATUS[event.to_status]))
    return _l("%(what)s %(next)s", what=what, next=NEXT_STEP[event.to_status])
