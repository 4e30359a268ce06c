"""The priority score of an application: a sum of terms whose points are configuration
(the priority_weight table), so the family and the reviewer see why it ranks where it does.

The 2024 plan opens public homes' surplus beds first to disabled elders of dibao families,
then severely disabled elders, then poor elders living alone, then other economically
difficult elders, then general elders; the default weights follow that order. Tekun elders
are placed by the bureau into reserved beds and are not scored against the others.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.placements.models import PriorityWeight
from eldercare.residents.models import HIGH_AGE

DEFAULT_WEIGHTS = {
    "category.dibao": 40.0,
    "category.dibao_edge": 30.0,
    "category.expense_hardship": 25.0,
    "category.general": 0.0,
    "ability.intact": 0.0,
    "ability.mild": 10.0,
    "ability.moderate": 20.0,
    "ability.severe": 30.0,
    "ability.complete": 40.0,
    "severe_disability": 25.0,
    "living_alone": 15.0,
    "empty_nest": 5.0,
    "age.per_year_over_80": 1.0,
    "age.max": 20.0,
    "waiting.per_day": 0.1,
    "waiting.max": 30.0,
}



def weights() -> dict[str, float]:
    stored = dict(db.session.execute(select(PriorityWeight.key, PriorityWeight.points)).all())
    return {**DEFAULT_WEIGHTS, **stored}


def score_terms(application, today: date, w: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """[(term, points)] for one application; the score is their sum. Terms worth 0 are left out."""
    w = w or weights()
    terms = [
        ("category", w.get(f"category.{application.category.value}", 0.0)),
        ("ability", w.get(f"ability.{application.ability_level.value}", 0.0) if application.ability_level else 0.0),
        ("severe_disability", w["severe_disability"] if application.severe_disability else 0.0),
        ("living_alone", w["living_alone"] if application.living_alone else 0.0),
        ("empty_nest", w["empty_nest"] if application.empty_nest else 0.0),
        ("age", min(w["age.max"], max(0, application.age_on(today) - HIGH_AGE) * w["age.per_year_over_80"])),
    ]
    if application.submitted_at:
        waited = (today - application.submitted_at.date()).days
        terms.append(("waiting", min(w["waiting.max"], max(0, waited) * w["waiting.per_day"])))
    return [(term, round(points, 1)) for term, points in terms if points]


def score(application, today: date, w: dict[str, float] | None = None) -> float:
    return round(sum(points for _, points in score_terms(application, today, w)), 1)


def set_weights(actor, values: dict[str, float]) -> None:
    """Store the bureau's weights (unknown keys refused); audited with before and after."""
    from eldercare import audit
    from eldercare.errors import InvalidInput

    if set(values) - set(DEFAULT_WEIGHTS) or any(v is None or v < 0 for v in values.values()):
        raise InvalidInput(_l("Weights are numbers of 0 or more, one for each term."))
    before = weights()
    for key, points in values.items():
        row = db.session.get(PriorityWeight, key)
        if row is None:
            db.session.add(PriorityWeight(key=key, points=points))
        else:
            row.points = points
    db.session.flush()
    audit.record(actor, "priority.weights", PriorityWeight.__tablename__, before=before, after=weights())
