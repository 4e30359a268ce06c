"""Caregiver commands. Each takes the acting user first, checks the domain rules, changes the
models, writes an audit event and flushes; the caller (a request, an import, a job) commits
once, or rolls everything back when a DomainError is raised. Who may call which is decided
in eldercare/auth/policy.py by the routes.
"""

from datetime import date
from decimal import Decimal

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from eldercare import audit, labels
from eldercare.auth.forms import MOBILE
from eldercare.auth.models import User, facility_manager
from eldercare.caregivers import queries
from eldercare.caregivers.models import (
    LEVELS,
    NO_CERTIFICATE,
    Caregiver,
    Certificate,
    Employment,
    EmploymentStatus,
    PayBand,
    Post,
    PreJobTraining,
    Reminder,
    ReminderCause,
    TrainingSession,
)
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.identity import mask_id_number, parse_id_number
from eldercare.models import claim, insert_ignoring_duplicates, utcnow
from eldercare.notifications import notify
from eldercare.residents.models import Sex
from eldercare.timekeeping import EARLIEST_DAY, local_today

MAX_PAY = 1_000_000
MAX_SESSION_HOURS = Decimal(100)
MAX_PRE_JOB_HOURS = Decimal(500)
# Certificates expiring within this many days are reminded about.
EXPIRY_WINDOW_DAYS = 60

# Which status may follow which; leaving ends the spell (a return is a new hire).
STATUS_CHANGES = {
    EmploymentStatus.active: {EmploymentStatus.on_leave, EmploymentStatus.left},
    EmploymentStatus.on_leave: {EmploymentStatus.active, EmploymentStatus.left},
    EmploymentStatus.left: set(),
}


class EmployedElsewhere(DomainError):
    pass


class AlreadyOnRoster(DomainError):
    pass


class IdNumberNameMismatch(InvalidInput):
    pass


class NotOnRoster(InvalidInput):
    pass


class InvalidStatusChange(DomainError):
    pass


class DuplicateCertificate(InvalidInput):
    pass


def _caregiver_fields(caregiver: Caregiver) -> dict:
    return {"name": caregiver.name, "id_number": mask_id_number(caregiver.id_number), "mobile": caregiver.mobile}


def _employment_fields(employment: Employment) -> dict:
    return {"facility_id": employment.facility_id, "post": employment.post.value, "status": employment.status.value,
            "hired_on": employment.hired_on.isoformat(), "status_on": employment.status_on.isoformat(),
            "monthly_pay": employment.monthly_pay}


def _certificate_fields(certificate: Certificate) -> dict:
    return {"number": certificate.number, "level": certificate.level, "issued_on": certificate.issued_on.isoformat(),
            "issuer": certificate.issuer,
            "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None,
            "revoked": certificate.revoked}


def _require_text(value: str | None, message, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    if len(value) > limit:
        raise InvalidInput(_l("Please keep it under %(n)s characters.", n=limit))
    return value


def _require_day(day: date, what) -> None:
    """Today or before, and not before EARLIEST_DAY."""
    if day > local_today():
        raise InvalidInput(_l("The %(what)s cannot be in the future.", what=what))
    if day < EARLIEST_DAY:
        raise InvalidInput(_l("The %(what)s cannot be before %(day)s.", what=what, day=format_date(EARLIEST_DAY)))


def _mobile(value: str | None) -> str | None:
    value = (value or "").strip()
    if value and not MOBILE.regex.match(value):
        raise InvalidInput(MOBILE.message)
    return value or None


def _pay(value) -> int:
    if value is None or not 0 <= value <= MAX_PAY or int(value) != value:
        raise InvalidInput(_l("Monthly pay is a whole number of yuan between 0 and %(max)s.", max=MAX_PAY))
    return int(value)


def _hours(value, limit: Decimal) -> Decimal:
    if value is None or not 0 < Decimal(value) <= limit:
        raise InvalidInput(_l("Hours are more than 0 and at most %(max)s.", max=limit))
    return Decimal(value).quantize(Decimal("0.1"))


def current_employment(caregiver_id: int) -> Employment | None:
    """The caregiver's spell that has not ended (working or on leave), if any."""
    return db.session.scalar(select(Employment).where(Employment.caregiver_id == caregiver_id,
                                                      Employment.status != EmploymentStatus.left))


def hire(actor, facility, *, name: str, id_number: str, mobile: str | None, hired_on: date, post: Post,
         monthly_pay: int) -> Employment:
    """Put a caregiver on the facility's roster. Someone already known by this ID number (who
    worked elsewhere before) is the same person: a new spell is added to their history."""
    name = _require_text(name, _l("Please enter the caregiver's name."), 64)
    parsed = parse_id_number(id_number)
    mobile = _mobile(mobile)
    monthly_pay = _pay(monthly_pay)
    _require_day(hired_on, _l("hire date"))
    caregiver = db.session.scalar(select(Caregiver).where(Caregiver.id_number == parsed.value))
    if caregiver is None:
        caregiver = Caregiver(name=name, id_number=parsed.value, birth_on=parsed.birth_on, sex=Sex(parsed.sex),
                              mobile=mobile)
        db.session.add(caregiver)
        db.session.flush()
        audit.record(actor, "caregiver.register", caregiver, after=_caregiver_fields(caregiver))
    else:
        if caregiver.name != name:
            raise IdNumberNameMismatch(_l("This ID number belongs to a caregiver of another name; "
                                          "please check the name and the number."))
        claim(db.session, caregiver)  # one hire at a time for this person
        current = current_employment(caregiver.id)
        if current is not None:
            if current.facility_id == facility.id:
                raise AlreadyOnRoster(_l("%(name)s is already on this roster.", name=name))
            raise EmployedElsewhere(_l("%(name)s is on the roster of another facility; that facility records "
                                       "the leaving first.", name=name))
        left_on = db.session.scalar(select(func.max(Employment.status_on))
                                    .where(Employment.caregiver_id == caregiver.id))
        if left_on is not None and hired_on < left_on:
            raise InvalidInput(_l("%(name)s worked in another home until %(day)s; the hire date cannot be "
                                  "earlier.", name=name, day=left_on.isoformat()))
        if mobile and mobile != caregiver.mobile:
            caregiver.mobile = mobile
    employment = Employment(caregiver_id=caregiver.id, facility_id=facility.id, post=post,
                            status=EmploymentStatus.active, hired_on=hired_on, status_on=hired_on,
                            monthly_pay=monthly_pay)
    db.session.add(employment)
    db.session.flush()  # the partial unique index is the last guard against two current spells
    audit.record(actor, "employment.hire", employment, facility_id=facility.id, after=_employment_fields(employment))
    return employment


def update_employment(actor, employment: Employment, *, post: Post, monthly_pay: int, mobile: str | None) -> None:
    if employment.status == EmploymentStatus.left:
        raise InvalidStatusChange(_l("This spell of work has ended; it is kept as history."))
    before = {**_employment_fields(employment), "mobile": employment.caregiver.mobile}
    employment.post = post
    employment.monthly_pay = _pay(monthly_pay)
    employment.caregiver.mobile = _mobile(mobile)
    employment.caregiver.changed_at = utcnow()
    db.session.flush()
    audit.record(actor, "employment.update", employment, facility_id=employment.facility_id, before=before,
                 after={**_employment_fields(employment), "mobile": employment.caregiver.mobile})


def change_status(actor, employment: Employment, status: EmploymentStatus, *, on: date) -> None:
    """On leave, back at work, or left (which ends the spell for good)."""
    if status not in STATUS_CHANGES[employment.status]:
        raise InvalidStatusChange(_l("This change of status is not possible now."))
    _require_day(on, _l("date"))
    if on < employment.status_on:
        raise InvalidInput(_l("The date must not be before %(day)s, when the present status began.",
                              day=employment.status_on.isoformat()))
    before = _employment_fields(employment)
    employment.status, employment.status_on = status, on
    db.session.flush()
    audit.record(actor, "employment.status", employment, facility_id=employment.facility_id, before=before,
                 after=_employment_fields(employment))


def record_pre_job_training(actor, caregiver: Caregiver, *, trained_on: date, hours, provider: str,
                            passed: bool) -> PreJobTraining:
    _require_day(trained_on, _l("training date"))
    training = PreJobTraining(caregiver_id=caregiver.id, trained_on=trained_on,
                              hours=_hours(hours, MAX_PRE_JOB_HOURS),
                              provider=_require_text(provider, _l("Please name the training provider."), 128),
                              passed=passed, recorded_by_id=actor.id if actor else None)
    db.session.add(training)
    db.session.flush()
    audit.record(actor, "caregiver.pre_job_training", caregiver,
                 after={"trained_on": trained_on.isoformat(), "hours": str(training.hours),
                        "provider": training.provider, "passed": passed})
    return training


def _attendees(facility, caregiver_ids) -> list[Caregiver]:
    """The ticked caregivers, each of whom must be on this facility's roster now."""
    ids = sorted(set(caregiver_ids or ()))
    if not ids:
        raise InvalidInput(_l("Please tick at least one caregiver who attended."))
    on_roster = set(db.session.scalars(select(Employment.caregiver_id).where(
        Employment.facility_id == facility.id, Employment.status != EmploymentStatus.left,
        Employment.caregiver_id.in_(ids))))
    if on_roster != set(ids):
        raise NotOnRoster(_l("Only caregivers on this facility's roster can be recorded as attending."))
    return list(db.session.scalars(select(Caregiver).where(Caregiver.id.in_(ids)).order_by(Caregiver.id)))


def record_pre_job_course(actor, facility, *, trained_on: date, hours, provider: str,
                          caregiver_ids) -> list[PreJobTraining]:
    """A pre-job course that the ticked caregivers of this facility attended and passed."""
    return [record_pre_job_training(actor, caregiver, trained_on=trained_on, hours=hours, provider=provider,
                                    passed=True) for caregiver in _attendees(facility, caregiver_ids)]


def record_training_session(actor, facility, *, course: str, held_on: date, hours, provider: str,
                            caregiver_ids) -> TrainingSession:
    """One in-service session with everyone who attended; each must be on this facility's roster."""
    caregivers = _attendees(facility, caregiver_ids)
    ids = [c.id for c in caregivers]
    _require_day(held_on, _l("session date"))
    session = TrainingSession(
        facility_id=facility.id, course=_require_text(course, _l("Please name the course."), 128), held_on=held_on,
        hours=_hours(hours, MAX_SESSION_HOURS),
        provider=_require_text(provider, _l("Please name the training provider."), 128),
        recorded_by_id=actor.id if actor else None, attendees=caregivers)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "training_session.record", session, facility_id=facility.id,
                 after={"course": session.course, "held_on": held_on.isoformat(), "hours": str(session.hours),
                        "provider": session.provider, "caregiver_ids": ids})
    return session


def _certificate_values(*, number: str, level: int, issued_on: date, issuer: str, expires_on: date | None) -> dict:
    if level not in LEVELS:
        raise InvalidInput(_l("A skill level is 5, 4, 3, 2 or 1."))
    _require_day(issued_on, _l("issue date"))
    if expires_on is not None and expires_on < issued_on:
        raise InvalidInput(_l("A certificate cannot expire before it is issued."))
    return {"number": _require_text(number, _l("Please enter the certificate number."), 64), "level": level,
            "issued_on": issued_on, "issuer": _require_text(issuer, _l("Please name the issuing body."), 128),
            "expires_on": expires_on}


def _require_new_number(number: str, certificate_id: int | None = None) -> None:
    query = select(Certificate.id).where(Certificate.number == number)
    if certificate_id is not None:
        query = query.where(Certificate.id != certificate_id)
    if db.session.scalar(query) is not None:
        raise DuplicateCertificate(_l("Certificate number %(number)s is already recorded.", number=number))


def add_certificate(actor, caregiver: Caregiver, *, number: str, level: int, issued_on: date, issuer: str,
                    expires_on: date | None = None) -> Certificate:
    values = _certificate_values(number=number, level=level, issued_on=issued_on, issuer=issuer,
                                 expires_on=expires_on)
    _require_new_number(values["number"])
    certificate = Certificate(caregiver_id=caregiver.id, **values)
    db.session.add(certificate)
    db.session.flush()
    audit.record(actor, "certificate.add", certificate, after=_certificate_fields(certificate))
    return certificate


def correct_certificate(actor, certificate: Certificate, *, number: str, level: int, issued_on: date, issuer: str,
                        expires_on: date | None) -> None:
    """Fix a typing mistake; the record before and after goes to the audit trail."""
    values = _certificate_values(number=number, level=level, issued_on=issued_on, issuer=issuer,
                                 expires_on=expires_on)
    _require_new_number(values["number"], certificate.id)
    before = _certificate_fields(certificate)
    for key, value in values.items():
        setattr(certificate, key, value)
    db.session.flush()
    audit.record(actor, "certificate.correct", certificate, before=before, after=_certificate_fields(certificate))


def revoke_certificate(actor, certificate: Certificate) -> None:
    if certificate.revoked:
        raise InvalidStatusChange(_l("This certificate is already revoked."))
    before = _certificate_fields(certificate)
    certificate.revoked, certificate.revoked_at = True, utcnow()
    db.session.flush()
    audit.record(actor, "certificate.revoke", certificate, before=before, after=_certificate_fields(certificate))


def set_pay_bands(actor, year: int, minimums: dict[int, int | None]) -> int:
    """The lowest monthly pay per level (0: no certificate) from `year` on; None clears a
    level's band for that year. Each change is audited; returns how many changed."""
    if not 2000 <= year <= 2100:
        raise InvalidInput(_l("Please enter a year between 2000 and 2100."))
    existing = {band.level: band for band in db.session.scalars(select(PayBand).where(PayBand.year == year))}
    changed = 0
    for level in (*LEVELS, NO_CERTIFICATE):
        value = minimums.get(level)
        band = existing.get(level)
        if value is None:
            if band is not None:
                db.session.delete(band)
                audit.record(actor, "pay_band.clear", PayBand.__tablename__,
                             before={"year": year, "level": level, "minimum_pay": band.minimum_pay})
                changed += 1
            continue
        value = _pay(value)
        if band is not None and band.minimum_pay == value:
            continue
        before = {"year": year, "level": level, "minimum_pay": band.minimum_pay} if band else None
        if band is None:
            band = PayBand(year=year, level=level, minimum_pay=value)
            db.session.add(band)
        band.minimum_pay, band.changed_at, band.changed_by_id = value, utcnow(), actor.id
        audit.record(actor, "pay_band.set", PayBand.__tablename__, before=before,
                     after={"year": year, "level": level, "minimum_pay": value})
        changed += 1
    db.session.flush()
    return changed


def reveal_id_number(actor, caregiver: Caregiver) -> str:
    """The full ID number, for a role allowed to see it; every view is audited."""
    audit.record(actor, "caregiver.view_id_number", caregiver)
    return caregiver.id_number


def raise_reminders(day: date | None = None) -> int:
    """Raise each reminder due on `day` (default: today) once (the unique key makes a second run, or a second
    scheduler, add nothing), tell the facility's managers about the new ones (bell and outbox),
    and close open reminders whose cause no longer holds. Returns how many were new."""
    due = queries.reminder_candidates(day or local_today(), EXPIRY_WINDOW_DAYS)
    now = utcnow()
    new = insert_ignoring_duplicates(
        db.session, Reminder,
        [{**c, "cause": ReminderCause(c["cause"]), "created_at": now} for c in due],
        returning=(Reminder.caregiver_id, Reminder.facility_id, Reminder.cause, Reminder.detail))
    live = {(c["caregiver_id"], c["cause"], c["period"]) for c in due}
    gone = [r.id for r in db.session.execute(
        select(Reminder.id, Reminder.caregiver_id, Reminder.cause, Reminder.period)
        .where(Reminder.resolved_at.is_(None))) if (r.caregiver_id, r.cause.value, r.period) not in live]
    for chunk in range(0, len(gone), 1000):
        db.session.execute(update(Reminder).where(Reminder.id.in_(gone[chunk:chunk + 1000])).values(resolved_at=now))
    if new:
        names = dict(db.session.execute(select(Caregiver.id, Caregiver.name)
                                        .where(Caregiver.id.in_({r.caregiver_id for r in new}))).all())
        managers: dict[int, list[User]] = {}
        for facility_id, user in db.session.execute(
            select(facility_manager.c.facility_id, User).join(User, User.id == facility_manager.c.user_id)
            .where(facility_manager.c.facility_id.in_({r.facility_id for r in new}), User.active.is_(True))
        ):
            managers.setdefault(facility_id, []).append(user)
        for r in new:
            text = _l("Caregiver %(name)s: %(cause)s (%(detail)s).", name=names[r.caregiver_id],
                      cause=labels.REMINDER_CAUSE[ReminderCause(r.cause)], detail=r.detail)
            for user in managers.get(r.facility_id, []):
                notify(user, text)
    db.session.flush()
    return len(new)
