"""Elders: registration from a validated ID number, and full-ID views (audited)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare import audit
from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.identity import mask_id_number, parse_id_number
from eldercare.models import claim
from eldercare.residents.models import Assessment, Category, Elder, Sex
from eldercare.residents.rules import assess


class IdNumberNameMismatch(InvalidInput):
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


def find_or_register_elder(actor, *, name: str, id_number: str, town_id: int | None,
                           category: Category, severe_disability=False, living_alone=False,
                           empty_nest=False) -> Elder:
    """The elder with this ID number, registered now if new; birth date and sex come from the number."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Please enter the elder's name."))
    parsed = parse_id_number(id_number)
    elder = db.session.scalar(select(Elder).where(Elder.id_number == parsed.value))
    if elder is not None:
        if elder.name != name:
            raise IdNumberNameMismatch(
                _l("This ID number is registered under another name; please check the name and the number.")
            )
        return elder
    elder = Elder(
        name=name, id_number=parsed.value, birth_on=parsed.birth_on, sex=Sex(parsed.sex), town_id=town_id,
        category=category, severe_disability=severe_disability, living_alone=living_alone,
        empty_nest=empty_nest,
    )
    db.session.add(elder)
    db.session.flush()
    audit.record(actor, "elder.register", elder, after=_elder_fields(elder))
    return elder


def reveal_id_number(actor, elder: Elder) -> str:
    """The full ID number, for a role allowed to see it; every view is audited."""
    audit.record(actor, "elder.view_id_number", elder)
    return elder.id_number


def record_assessment(actor, elder: Elder, *, self_care: int, mobility: int, mental: int, perception: int,
                      coma: bool, dementia_or_psychiatric: bool, risk_events_30d: int,
                      application_id: int | None = None) -> Assessment:
    """Store an assessment; its computed level becomes the elder's (the latest one counts)."""
    result = assess(self_care=self_care, mobility=mobility, mental=mental, perception=perception, coma=coma,
                    dementia_or_psychiatric=dementia_or_psychiatric, risk_events_30d=risk_events_30d)
    claim(db.session, elder)
    record = Assessment(elder_id=elder.id, self_care=self_care, mobility=mobility, mental=mental,
                        perception=perception, coma=coma, dementia_or_psychiatric=dementia_or_psychiatric,
                        risk_events_30d=risk_events_30d, total=result.total, level=result.level,
                        assessed_by_id=actor.id, application_id=application_id)
    db.session.add(record)
    before = elder.ability_level.value if elder.ability_level else None
    elder.ability_level = result.level
    db.session.flush()
    audit.record(actor, "elder.assess", elder, before={"ability_level": before},
                 after={"ability_level": result.level.value, "total": result.total})
    return record
