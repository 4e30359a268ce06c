"""Ability level from an assessment (老年人能力评估, GB/T 42195-2022; domain.md section 4).

Four domain scores add up to 0-90; the level follows the total, then the adjustments:
coma makes it complete; a dementia or psychiatric diagnosis raises it one level; two or more
risk events (falls, choking, self-harm, wandering) in 30 days raise it one level; both raises
apply, capped at complete.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from eldercare.errors import InvalidInput
from eldercare.residents.models import AbilityLevel

DOMAINS = {"self_care": 32, "mobility": 15, "mental": 28, "perception": 15}
DOMAIN_LABELS = {
    "self_care": _l("self-care"),
    "mobility": _l("basic mobility"),
    "mental": _l("mental state"),
    "perception": _l("perception and social participation"),
}
ORDER = [AbilityLevel.intact, AbilityLevel.mild, AbilityLevel.moderate, AbilityLevel.severe, AbilityLevel.complete]
# "Disabled" (失能) in the placement rules: mild or worse.
DISABLED = frozenset(ORDER[1:])


@dataclass(frozen=True)
class Result:
    total: int
    base_level: AbilityLevel
    level: AbilityLevel


def level_for_total(total: int) -> AbilityLevel:
    if total >= 90:
        return AbilityLevel.intact
    if total >= 66:
        return AbilityLevel.mild
    if total >= 46:
        return AbilityLevel.moderate
    if total >= 30:
        return AbilityLevel.severe
    return AbilityLevel.complete


def assess(*, self_care: int, mobility: int, mental: int, perception: int, coma: bool = False,
           dementia_or_psychiatric: bool = False, risk_events_30d: int = 0) -> Result:
    scores = {"self_care": self_care, "mobility": mobility, "mental": mental, "perception": perception}
    for domain, top in DOMAINS.items():
        value = scores[domain]
        if value is None or not 0 <= value <= top:
            raise InvalidInput(_l("The %(domain)s score must be between 0 and %(top)s.",
                                    domain=DOMAIN_LABELS[domain], top=top))
    if risk_events_30d is None or risk_events_30d < 0:
        raise InvalidInput(_l("The number of risk events cannot be negative."))
    total = sum(scores.values())
    base = level_for_total(total)
    if coma:
        return Result(total, base, AbilityLevel.complete)
    steps = int(dementia_or_psychiatric) + int(risk_events_30d >= 2)
    level = ORDER[min(ORDER.index(base) + steps, len(ORDER) - 1)]
    return Result(total, base, level)
