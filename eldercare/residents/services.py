"""Elders: one record per person (established by an admission or a bureau decision), identity
cases the bureau resolves, full-ID views (audited), assessments."""

from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare import audit
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.identity import mask_id_number, parse_id_number
from eldercare.models import claim, utcnow
from eldercare.residents.models import (
    Assessment,
    AssessmentReason,
    CaseSource,
    Category,
    Elder,
    IdentityCase,
    Sex,
    age_on,
)
from eldercare.residents.rules import assess
from eldercare.timekeeping import local_today


class TooYoung(InvalidInput):
    pass


class CaseAlreadyResolved(DomainError):
    pass



def _elder_fields(elder: Elder) -> dict:
    return {
        "name": elder.name,
        "id_number": mask_id_number(elder.id_number),  # never the full number in the audit trail
        "town_id": elder.town_id,
        "category": elder.category.value,
        "severe_disability": elder.severe_disability,
        "living_alone": elder.living_alone,
        "empty_nest": elder.empty_nest,
    }


def check_age(birth_on: date, on: date) -> None:
    """Applicants and residents are at least MIN_AGE years old (default 60)."""
    minimum = current_app.config["MIN_AGE"]
    if age_on(birth_on, on) < minimum:
        raise TooYoung(_l("The elder must be at least %(min)s years old; this ID number gives a birth date of "
                          "%(birth)s.", min=minimum, birth=format_date(birth_on)))


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Please enter the elder's name."))
    return name


def establish_elder(actor, *, name: str, id_number: str, source: CaseSource, source_id: int | None,
                    town_id: int | None = None, category: Category = Category.general, severe_disability=False,
                    living_alone=False, empty_nest=False) -> tuple[Elder, IdentityCase | None]:
    """The record of the person with this ID number, established now if there is none (by an
    admission or a bureau decision only). A name that disagrees with an established record does
    not stop the caller: the record is returned with an identity case for the bureau to resolve."""
    name = check_name(name)
    parsed = parse_id_number(id_number)
    check_age(parsed.birth_on, local_today())
    elder = db.session.scalar(select(Elder).where(Elder.id_number == parsed.value))
    if elder is not None:
        case = None
        if elder.name != name:
            case = IdentityCase(elder_id=elder.id, claimed_name=name, source=source, source_id=source_id,
                                raised_by_id=actor.id if actor else None)
            db.session.add(case)
            db.session.flush()
            audit.record(actor, "elder.identity_case", case, after={"elder_id": elder.id, "source": source.value})
        return elder, case
    elder = Elder(
        name=name, id_number=parsed.value, birth_on=parsed.birth_on, sex=Sex(parsed.sex), town_id=town_id,
        category=category, severe_disability=severe_disability, living_alone=living_alone,
        empty_nest=empty_nest,
    )
    db.session.add(elder)
    # Two requests establishing one person at the same moment: the second's insert fails on the ID
    # number's unique key, and the app answers 409 with nothing saved. No savepoint to retry in: on
    # SQLite a savepoint opened before any write is committed by its release, which would keep the
    # elder of an admission refused after it.
    db.session.flush()
    audit.record(actor, "elder.register", elder, after=_elder_fields(elder))
    return elder, None


def resolve_identity_case(actor, case: IdentityCase, *, rename: bool) -> IdentityCase:
    """The bureau compares the claimed name with the record's and keeps one; audited."""
    claim(db.session, case.elder)
    db.session.refresh(case)
    if case.resolved_at is not None:
        raise CaseAlreadyResolved(_l("This case was already resolved."))
    before = _elder_fields(case.elder)
    if rename:
        case.elder.name = case.claimed_name
    case.renamed = rename
    case.resolved_at = utcnow()
    case.resolved_by_id = actor.id
    db.session.flush()
    audit.record(actor, "elder.identity_resolved", case.elder, before=before, after=_elder_fields(case.elder))
    return case


def update_declared(actor, elder: Elder, *, category: Category, severe_disability: bool, living_alone: bool,
                    empty_nest: bool) -> None:
    """Apply what an application declared to the established record: only by the reviewer's explicit
    choice, audited."""
    claim(db.session, elder)
    before = _elder_fields(elder)
    elder.category = category
    elder.severe_disability = severe_disability
    elder.living_alone = living_alone
    elder.empty_nest = empty_nest
    db.session.flush()
    audit.record(actor, "elder.verify", elder, before=before, after=_elder_fields(elder))


def record_assessment(actor, elder: Elder, *, self_care: int, mobility: int, mental: int, perception: int,
                      coma: bool, dementia_or_psychiatric: bool, risk_events_30d: int,
                      reason: AssessmentReason = AssessmentReason.admission,
                      application_id: int | None = None) -> Assessment:
    """Store an assessment with its reason; its computed level becomes the elder's (the latest one
    counts)."""
    result = assess(self_care=self_care, mobility=mobility, mental=mental, perception=perception, coma=coma,
                    dementia_or_psychiatric=dementia_or_psychiatric, risk_events_30d=risk_events_30d)
    claim(db.session, elder)
    record = Assessment(elder_id=elder.id, self_care=self_care, mobility=mobility, mental=mental,
                        perception=perception, coma=coma, dementia_or_psychiatric=dementia_or_psychiatric,
                        risk_events_30d=risk_events_30d, total=result.total, level=result.level,
                        reason=reason, assessed_by_id=actor.id, application_id=application_id)
    db.session.add(record)
    before = elder.ability_level.value if elder.ability_level else None
    elder.ability_level = result.level
    db.session.flush()
    audit.record(actor, "elder.assess", elder, before={"ability_level": before},
                 after={"ability_level": result.level.value, "total": result.total, "reason": reason.value})
    return record
