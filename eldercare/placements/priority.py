"""The order of applications: the policy group first, then the score within the group. Both are
configuration (policy_group, priority_weight), and both are shown to the family and the reviewer,
so they see why an application ranks where it does.

The 2024 plan opens public homes' surplus beds first to disabled elders of dibao families, then
severely disabled elders, then poor elders living alone, then other economically difficult elders,
then general elders: those are the groups, in that order by default. Tekun elders are placed by the
bureau into reserved beds and are neither grouped nor scored against the others.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.placements.models import PolicyGroup, PriorityWeight
from eldercare.residents.models import HIGH_AGE, AbilityLevel, Category
from eldercare.residents.rules import DISABLED

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



# The 2024 plan's order of priority for surplus beds (domain.md section 3): applications are ranked
# by their group first, then by the score within the group. The definitions are here; the order
# is configuration (policy_group), set by the bureau administrator.
ECONOMIC_HARDSHIP = frozenset({Category.dibao, Category.dibao_edge, Category.expense_hardship})
SEVERE_LEVELS = frozenset({AbilityLevel.severe, AbilityLevel.complete})


def is_disabled(application) -> bool:
    """Disabled (失能) in the placement rules: a severe disability certificate, or mild or worse."""
    return application.severe_disability or (application.ability_level is not None
                                             and application.ability_level in DISABLED)


GROUPS = {
    "dibao_disabled": lambda a: a.category == Category.dibao and is_disabled(a),
    "severely_disabled": lambda a: a.severe_disability or a.ability_level in SEVERE_LEVELS,
    "poor_living_alone": lambda a: a.category in ECONOMIC_HARDSHIP and a.living_alone,
    "economic_hardship": lambda a: a.category in ECONOMIC_HARDSHIP,
    "general": lambda a: True,
}
DEFAULT_GROUP_ORDER = tuple(GROUPS)


def group_order() -> list[str]:
    """The groups from first to last: the administrator's order, the plan's by default."""
    stored = dict(db.session.execute(select(PolicyGroup.key, PolicyGroup.position)).all())
    default = {key: n for n, key in enumerate(DEFAULT_GROUP_ORDER, 1)}
    return sorted(GROUPS, key=lambda key: (stored.get(key, default[key]), default[key]))


def group_of(application, order: list[str] | None = None) -> tuple[int, str]:
    """(place, group) of an application: the first group in the order whose definition it meets.
    An application meeting several definitions counts in the highest-ranked of them."""
    order = order or group_order()
    for place, key in enumerate(order, 1):
        if GROUPS[key](application):
            return place, key
    raise AssertionError("the general group takes every application")  # pragma: no cover


def set_group_order(actor, positions: dict[str, int]) -> None:
    """Store the administrator's order of the groups: each group one place, 1 to n; audited."""
    from eldercare import audit
    from eldercare.errors import InvalidInput

    if set(positions) != set(GROUPS) or sorted(positions.values()) != list(range(1, len(GROUPS) + 1)):
        raise InvalidInput(_l("Give every group one place, from 1 to %(n)s, each place once.", n=len(GROUPS)))
    before = group_order()
    for key, position in positions.items():
        row = db.session.get(PolicyGroup, key)
        if row is None:
            db.session.add(PolicyGroup(key=key, position=position))
        else:
            row.position = position
    db.session.flush()
    audit.record(actor, "priority.groups", PolicyGroup.__tablename__, before={"order": before},
                 after={"order": group_order()})


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
