"""Placement applications: from the family's draft to the admission, through the one table
of transitions in placements.models.TRANSITIONS. Every command takes the acting user, records
an event (who, when, why) and notifies the family; the caller commits once.
"""

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eldercare import audit, labels
from eldercare.auth import policy
from eldercare.auth.models import Role
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import reserve
from eldercare.facilities import services as beds
from eldercare.facilities.models import Bed, BedHold, CareType
from eldercare.identity import mask_id_number, parse_id_number
from eldercare.models import claim, utcnow
from eldercare.notifications import notify
from eldercare.placements import next_steps, priority
from eldercare.placements.models import (
    ACTIVE_STATUSES,
    BUREAU,
    FAMILY,
    MANAGER,
    OPEN_STATUSES,
    SYSTEM,
    TRANSITIONS,
    Action,
    Application,
    ApplicationEvent,
    Status,
)
from eldercare.residents import services as residents
from eldercare.residents.models import AssessmentReason, CaseSource, Category, Sex
from eldercare.timekeeping import local_today


class InvalidTransition(DomainError):
    pass


class NotEligible(DomainError):
    pass


class AlreadyOnWaitlist(DomainError):
    pass


def actor_role(user) -> str:
    if user is None:
        return SYSTEM
    if user.role in (Role.family, Role.town_assistant):
        return FAMILY  # a town assistant applies and follows the application as a family does
    if user.role == Role.facility_manager:
        return MANAGER
    return BUREAU


def allowed_actions(application: Application, user) -> list[Action]:
    """The actions `user` may take on the application now (buttons to show)."""
    role = actor_role(user)
    return [action for (status, action), (_, who) in TRANSITIONS.items()
            if status == application.status and role in who]


def _transition(actor, application: Application, action: Action, reason: str = "") -> ApplicationEvent:
    """Check the table, move the application, record who/when/why and tell the family."""
    claim(db.session, application)
    rule = TRANSITIONS.get((application.status, action))
    role = actor_role(actor)
    if role == FAMILY and not policy.can_change_application(actor, application):
        raise InvalidTransition(_l("Only the family who made an application can act on it."))
    if rule is None or role not in rule[1]:
        raise InvalidTransition(
            _l("This cannot be done while the application is: %(status)s.",
               status=labels.APPLICATION_STATUS[application.status])
        )
    event = ApplicationEvent(application_id=application.id, action=action, from_status=application.status,
                             to_status=rule[0], actor_id=actor.id if actor else None, reason=reason)
    application.status = rule[0]
    db.session.add(event)
    db.session.flush()
    _tell_family(application, event)
    return event




def _tell_family(application: Application, event: ApplicationEvent) -> None:
    text = next_steps.message(application, event)  # what happened and what to do now
    if event.reason:
        text = _l("%(text)s Reason: %(reason)s", text=text, reason=event.reason)
    notify(application.family, text, application.id)


def save_draft(actor, application: Application | None, *, name: str, id_number: str, category: Category,
               severe_disability: bool, living_alone: bool, empty_nest: bool, relation: str, contact_name: str,
               contact_phone: str, preferred_town_ids: list[int], preferred_facility_ids: list[int],
               needs_nursing: bool, notes: str) -> Application:
    """Create or change a draft (or an application sent back for more information). What the family
    types stays on the application and claims no elder record, so a typo is corrected here freely.
    An empty `id_number` keeps the number on file."""
    if application is not None and application.status not in (Status.draft, Status.more_info):
        raise InvalidTransition(_l("Only a draft, or an application sent back for more information, can be changed."))
    name = residents.check_name(name)
    if not (id_number or "").strip() and application is not None:
        id_number = application.id_number
    parsed = parse_id_number(id_number)
    residents.check_age(parsed.birth_on, local_today())
    fields = dict(elder_name=name, id_number=parsed.value, birth_on=parsed.birth_on, sex=Sex(parsed.sex),
                  category=category, severe_disability=severe_disability,
                  living_alone=living_alone, empty_nest=empty_nest, relation=relation.strip(),
                  contact_name=contact_name.strip(), contact_phone=contact_phone.strip(),
                  preferred_town_ids=sorted(set(preferred_town_ids)),
                  preferred_facility_ids=sorted(set(preferred_facility_ids)), needs_nursing=needs_nursing,
                  notes=notes.strip())
    if application is None:
        _require_no_other_for(actor, parsed.value)
        application = Application(family_id=actor.id, status=Status.draft,
                                  assistant_town_id=_on_behalf_of_town(actor), **fields)
        db.session.add(application)
    else:
        claim(db.session, application)
        if application.id_number != parsed.value or application.elder_name != name:
            application.elder_id = None  # the bureau links the corrected identity when it takes it up again
        for key, value in fields.items():
            setattr(application, key, value)
    db.session.flush()
    audit.record(actor, "application.save", application,
                 after={"status": application.status.value, "id_number": mask_id_number(parsed.value),
                        "category": category.value})
    return application


def _require_no_other_for(actor, id_number: str) -> None:
    """One application at a time by one applicant for one person: a new one while a draft or an open
    application for that ID number is there (a second click, a second try) points to it instead."""
    other = db.session.scalar(select(Application.id).where(
        Application.family_id == actor.id, Application.id_number == id_number,
        Application.status.in_([Status.draft, *OPEN_STATUSES])).limit(1))
    if other is not None:
        raise InvalidInput(_l("You already have application no. %(id)s for this person: open it from your "
                              "applications to go on.", id=other))


def _on_behalf_of_town(actor) -> int | None:
    """A town assistant applies for an elder of their town: the application is that town's."""
    if actor.role != Role.town_assistant:
        return None
    if not policy.can_apply(actor):
        raise InvalidInput(_l("Your account has no town or street yet; ask the bureau administrator to set it."))
    return actor.town_id


def reveal_id_number(actor, application: Application) -> str:
    """The full ID number the family gave, for a role allowed to see it; every view is audited."""
    audit.record(actor, "application.view_id_number", application)
    return application.id_number


def submit(actor, application: Application, *, consent: bool) -> ApplicationEvent:
    if not consent:
        raise InvalidInput(_l("Please confirm that you agree to the processing of the elder's personal information."))
    application.consent_at = utcnow()
    application.submitted_at = application.submitted_at or utcnow()
    return _transition(actor, application, Action.submit)


def start_review(actor, application: Application) -> ApplicationEvent:
    """The bureau takes the application up: a bureau decision, so the application is linked to the
    elder's record, established from the declaration if the person has none. A name that disagrees
    with an established record opens an identity case (shown to the reviewer), never a dead end."""
    event = _transition(actor, application, Action.start_review)
    elder, _case = residents.establish_elder(
        actor, name=application.elder_name, id_number=application.id_number, source=CaseSource.application,
        source_id=application.id, category=application.category, severe_disability=application.severe_disability,
        living_alone=application.living_alone, empty_nest=application.empty_nest)
    application.elder_id = elder.id
    db.session.flush()
    return event


DECLARED = ("category", "severe_disability", "living_alone", "empty_nest")


def declared_differences(application: Application) -> dict[str, tuple]:
    """What the family declared that differs from the established record: field -> (record, declared)."""
    elder = application.elder
    if elder is None:
        return {}
    return {key: (getattr(elder, key), getattr(application, key)) for key in DECLARED
            if getattr(elder, key) != getattr(application, key)}


def approve(actor, application: Application, *, apply_declared: bool = False) -> ApplicationEvent:
    """Approve: the application joins the waitlist. The elder's record is never overwritten by it;
    the declared differences reach the record only when the reviewer chooses so (`apply_declared`).
    A person holds at most one place on the waitlist (a unique index guards it against races)."""
    other = db.session.scalar(select(Application.id).where(
        Application.id_number == application.id_number, Application.id != application.id,
        Application.status.in_(ACTIVE_STATUSES)))
    if other is not None:
        raise AlreadyOnWaitlist(_l("This person already has an application on the waitlist (no. %(id)s); "
                                   "reject or ask about this one instead.", id=other))
    application.approved_at = utcnow()
    try:
        with db.session.begin_nested():
            event = _transition(actor, application, Action.approve)
    except IntegrityError:
        raise AlreadyOnWaitlist(_l("Another application for this person was approved at the same moment; "
                                   "reject or ask about this one instead.")) from None
    if apply_declared and declared_differences(application):
        residents.update_declared(actor, application.elder, **{key: getattr(application, key) for key in DECLARED})
    return event


def reject(actor, application: Application, reason: str) -> ApplicationEvent:
    return _transition(actor, application, Action.reject, _require_reason(reason))


def request_info(actor, application: Application, reason: str) -> ApplicationEvent:
    return _transition(actor, application, Action.request_info, _require_reason(reason))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Please write the reason; the family will read it."))
    if len(reason) > 500:
        raise InvalidInput(_l("Please keep the reason under 500 characters."))
    return reason


def assess(actor, application: Application, *, reason=None, **scores):
    """The bureau assesses an applicant it has taken up: the assessment is the elder's (it sets the
    record's level) and this application's (it ranks it; its family sees it); its reason is the
    application, whatever the form said."""
    if application.elder is None or application.status not in ASSESSABLE:
        raise InvalidTransition(_l("An applicant is assessed once the bureau has taken the application up."))
    record = residents.record_assessment(actor, application.elder, application_id=application.id,
                                         reason=AssessmentReason.application, **scores)
    claim(db.session, application)
    application.ability_level = record.level
    db.session.flush()
    return record


ASSESSABLE = (Status.under_review, Status.more_info, Status.approved, Status.offered, Status.accepted)


def check_eligible(application: Application, bed: Bed) -> None:
    """A disabled elder (or one asking for it) is offered nursing-type beds only; tekun elders
    go to reserved beds of public homes, everyone else to open beds above the reserve."""
    if (priority.is_disabled(application) or application.needs_nursing) and bed.care_type != CareType.nursing:
        raise NotEligible(_l("This elder needs a nursing-type bed."))
    if bed.care_type == CareType.nursing and application.ability_level is None:
        raise NotEligible(_l("Assess the applicant's abilities (GB/T 42195) before offering a nursing-type bed."))
    if application.category == Category.tekun:
        if not bed.facility.serves_tekun or bed.open_to_public:
            raise NotEligible(_l("Tekun elders are placed in the beds kept for them by the homes that serve them."))
    else:
        if not bed.open_to_public:
            raise NotEligible(_l("This bed is not open to the public."))
        if reserve.open_beds_by_facility().get(bed.facility_id, 0) < 1:
            raise NotEligible(_l("This home has no open bed above its tekun reserve."))


def offer(actor, application: Application, bed: Bed, *, hours: int | None = None) -> ApplicationEvent:
    """Offer a vacant bed: the bed is held for this application until the offer expires."""
    hours = hours or current_app.config["OFFER_HOURS"]
    claim(db.session, application)  # lock order everywhere: application, elder, beds
    if application.status != Status.approved:
        raise InvalidTransition(_l("Only an approved application on the waitlist can be offered a bed."))
    check_eligible(application, bed)
    until = utcnow() + timedelta(hours=hours)
    beds.place_hold(actor, bed, until=until, application_id=application.id)  # the bed page names the offer
    application.offered_bed_id = bed.id
    application.offer_expires_at = until
    return _transition(actor, application, Action.offer)


def _release_offer(actor, application: Application) -> None:
    hold = db.session.scalar(select(BedHold).where(BedHold.application_id == application.id,
                                                   BedHold.released_at.is_(None)))
    if hold is not None:
        claim(db.session, hold.bed)
        beds.release(actor, hold)
    application.offered_bed_id = None
    application.offer_expires_at = None


def accept(actor, application: Application) -> ApplicationEvent:
    if application.offer_expires_at and application.offer_expires_at <= utcnow():
        raise InvalidTransition(_l("This offer has expired."))
    event = _transition(actor, application, Action.accept)
    bed = application.offered_bed
    for manager in bed.facility.managers:
        notify(manager, _l("%(name)s accepted the offer of bed %(code)s.", name=application.elder_name,
                           code=bed.code), application.id)
    return event


def decline(actor, application: Application) -> ApplicationEvent:
    event = _transition(actor, application, Action.decline)
    _release_offer(actor, application)
    return event


def withdraw(actor, application: Application) -> ApplicationEvent:
    event = _transition(actor, application, Action.withdraw)
    _release_offer(actor, application)
    return event


def withdraw_offer(actor, application: Application, reason: str) -> ApplicationEvent:
    """The bureau takes back an offered or accepted bed (the home needs it, or it is gone): the
    hold ends and the application goes back to its place on the waitlist; the family reads why."""
    event = _transition(actor, application, Action.withdraw_offer, _require_reason(reason))
    _release_offer(actor, application)
    return event


def admit(actor, application: Application, *, on: date):
    """Admit an accepted application into its offered bed: the hold ends and the stay begins in
    the same transaction."""
    claim(db.session, application)
    if application.status != Status.accepted:
        raise InvalidTransition(_l("Only an accepted offer can be admitted."))
    claim(db.session, application.elder)
    bed = application.offered_bed
    _release_offer(actor, application)
    db.session.flush()
    stay = beds.admit(actor, bed, application.elder, on=on)
    application.stay_id = stay.id
    application.admitted_at = utcnow()
    _transition(actor, application, Action.admit)
    return stay


def expire_offers(now: datetime | None = None) -> int:
    """The scheduled job: offers past their expiry go back to the waitlist and free the bed.
    Running it twice changes nothing the second time."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Application).where(Application.status == Status.offered, Application.offer_expires_at <= now)
        .order_by(Application.id)
    ).all()
    count = 0
    for application in expired:
        claim(db.session, application)
        if application.status != Status.offered or application.offer_expires_at > now:
            continue  # taken care of by someone else meanwhile
        _transition(None, application, Action.expire)
        _release_offer(None, application)
        count += 1
    return count

