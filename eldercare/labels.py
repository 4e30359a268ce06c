"""The words users see for each coded value, in one place for pages, forms and reports."""

import functools
import math

from babel.lists import format_list
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from eldercare.auth.models import Role
from eldercare.caregivers.models import EmploymentStatus, Post, ReminderCause
from eldercare.facilities.models import Away, BedKind, BedState, CareType, EndReason, FacilityType, Ownership
from eldercare.placements.documents import DocumentKind
from eldercare.placements.models import Action, Status
from eldercare.residents.models import AbilityLevel, AssessmentReason, Category, Sex

BED_STATE = {
    BedState.vacant: _l("vacant"),
    BedState.on_hold: _l("on hold"),
    BedState.occupied: _l("occupied"),
    BedState.on_leave: _l("on leave"),
    BedState.in_hospital: _l("in hospital"),
    BedState.needs_cleaning: _l("needs cleaning"),
    BedState.out_of_service: _l("out of service"),
}
CARE_TYPE = {CareType.nursing: _l("nursing-type"), CareType.ordinary: _l("ordinary")}
BED_KIND = {
    BedKind.institution: _l("institution bed"),
    BedKind.day_care: _l("day-care bed"),
    BedKind.family_care: _l("family care bed"),
}
FACILITY_TYPE = {
    FacilityType.public_home: _l("public nursing home"),
    FacilityType.private_home: _l("private nursing home"),
    FacilityType.regional_center: _l("regional elderly-care centre"),
    FacilityType.street_center: _l("street comprehensive care centre"),
    FacilityType.embedded_home: _l("community-embedded home"),
    FacilityType.meal_point: _l("community meal point"),
    FacilityType.mutual_aid: _l("mutual-aid point"),
}
OWNERSHIP = {
    Ownership.public: _l("public, publicly run"),
    Ownership.public_private: _l("public, privately run"),
    Ownership.private: _l("private"),
}
AWAY = {Away.leave: _l("on leave"), Away.hospital: _l("in hospital")}
END_REASON = {
    EndReason.discharged: _l("discharged"),
    EndReason.transferred: _l("transferred"),
    EndReason.deceased: _l("deceased"),
    EndReason.other: _l("other"),
}
CATEGORY = {
    Category.tekun: _l("extremely poor, state-supported (tekun)"),
    Category.dibao: _l("minimum living allowance (dibao)"),
    Category.dibao_edge: _l("near dibao"),
    Category.expense_hardship: _l("expense hardship"),
    Category.general: _l("general"),
}
ABILITY_LEVEL = {
    AbilityLevel.intact: _l("intact"),
    AbilityLevel.mild: _l("mildly disabled"),
    AbilityLevel.moderate: _l("moderately disabled"),
    AbilityLevel.severe: _l("severely disabled"),
    AbilityLevel.complete: _l("completely disabled"),
}
ASSESSMENT_REASON = {
    AssessmentReason.admission: _l("on admission"),
    AssessmentReason.condition_changed: _l("the condition changed"),
    AssessmentReason.annual_review: _l("yearly review"),
    AssessmentReason.application: _l("for a placement application"),
}
SEX = {Sex.male: _l("male"), Sex.female: _l("female")}
POST = {
    Post.caregiver: _l("caregiver"),
    Post.head_caregiver: _l("head caregiver"),
    Post.nurse: _l("nurse"),
    Post.other: _l("other post"),
}
EMPLOYMENT_STATUS = {
    EmploymentStatus.active: _l("working"),
    EmploymentStatus.on_leave: _l("on leave"),
    EmploymentStatus.left: _l("left"),
}
# Skill levels of the national occupational standard for caregivers (2019); 0: no valid certificate.
SKILL_LEVEL = {
    5: _l("level 5 (basic)"),
    4: _l("level 4 (intermediate)"),
    3: _l("level 3 (advanced)"),
    2: _l("level 2 (technician)"),
    1: _l("level 1 (senior technician)"),
    0: _l("no certificate"),
}
SKILL_LEVEL_SHORT = {5: _l("L5"), 4: _l("L4"), 3: _l("L3"), 2: _l("L2"), 1: _l("L1"), 0: _l("none")}
REMINDER_CAUSE = {
    ReminderCause.no_pre_job_training: _l("working without passed pre-job training"),
    ReminderCause.behind_in_service_hours: _l("behind in in-service training hours"),
    ReminderCause.certificate_expiring: _l("skill certificate expires soon"),
}
ROLE = {
    Role.bureau_admin: _l("bureau administrator"),
    Role.bureau_staff: _l("bureau staff"),
    Role.facility_manager: _l("facility manager"),
    Role.family: _l("family"),
    Role.town_assistant: _l("town civil-affairs assistant"),
}
DOCUMENT_KIND = {
    DocumentKind.disability_certificate: _l("disability certificate"),
    DocumentKind.dibao_certificate: _l("dibao certificate"),
    DocumentKind.other: _l("other supporting document"),
}


APPLICATION_STATUS = {
    Status.draft: _l("draft"),
    Status.submitted: _l("submitted"),
    Status.under_review: _l("under review"),
    Status.more_info: _l("more information needed"),
    Status.approved: _l("approved, on the waitlist"),
    Status.rejected: _l("rejected"),
    Status.offered: _l("a bed is offered"),
    Status.accepted: _l("offer accepted"),
    Status.admitted: _l("admitted"),
    Status.withdrawn: _l("withdrawn"),
}
APPLICATION_ACTION = {
    Action.submit: _l("submitted"),
    Action.start_review: _l("taken up for review"),
    Action.approve: _l("approved"),
    Action.reject: _l("rejected"),
    Action.request_info: _l("sent back for more information"),
    Action.offer: _l("offered a bed"),
    Action.accept: _l("accepted"),
    Action.decline: _l("declined"),
    Action.expire: _l("left to expire"),
    Action.admit: _l("admitted"),
    Action.withdraw: _l("withdrawn"),
    Action.withdraw_offer: _l("offer withdrawn by the bureau"),
}

PRIORITY_TERM = {
    "category": _l("category"),
    "ability": _l("ability level"),
    "severe_disability": _l("severe disability"),
    "living_alone": _l("living alone"),
    "empty_nest": _l("empty nest"),
    "age": _l("age"),
    "waiting": _l("waiting time"),  # its figure is points (per day, capped), never days
}

POLICY_GROUP = {
    "dibao_disabled": _l("disabled elders of dibao families"),
    "severely_disabled": _l("severely disabled elders"),
    "poor_living_alone": _l("poor elders living alone"),
    "economic_hardship": _l("other elders in economic hardship"),
    "general": _l("general elders"),
}

PRIORITY_WEIGHT = {
    "category.dibao": _l("Category: dibao"),
    "category.dibao_edge": _l("Category: near dibao"),
    "category.expense_hardship": _l("Category: expense hardship"),
    "category.general": _l("Category: general"),
    "ability.intact": _l("Ability: intact"),
    "ability.mild": _l("Ability: mildly disabled"),
    "ability.moderate": _l("Ability: moderately disabled"),
    "ability.severe": _l("Ability: severely disabled"),
    "ability.complete": _l("Ability: completely disabled"),
    "severe_disability": _l("Severe disability certificate"),
    "living_alone": _l("Living alone"),
    "empty_nest": _l("Empty nest"),
    "age.per_year_over_80": _l("Age: points per year over 80"),
    "age.max": _l("Age: maximum points"),
    "waiting.per_day": _l("Waiting: points per day since the application"),
    "waiting.max": _l("Waiting: maximum points"),
}

DECLARED_FIELD = {
    "category": _l("Category"),
    "severe_disability": _l("Severe disability"),
    "living_alone": _l("Living alone"),
    "empty_nest": _l("Empty nest"),
}


def declared_value(key: str, value):
    """A declared field's value in words: the category's label, or yes / no."""
    if key == "category":
        return of(CATEGORY, value)
    return _l("yes") if value else _l("no")


def labelled(label) -> str:
    """'Label: ' before its value, in the reader's language (Chinese takes a full-width colon)."""
    return gettext("%(label)s: ", label=label)


def bracketed(text) -> str:
    """'(text)' in the reader's language (Chinese takes full-width brackets)."""
    return gettext("(%(text)s)", text=text)


def listing(items) -> str:
    """Names in a list, the reader's way ('A、B和C' / 'A, B, and C')."""
    items = [str(item) for item in items]
    return format_list(items, locale=get_locale()) if items else ""


def points(value: float) -> str:
    """Priority points with their unit ('3.2 分' / '3.2 points'), so no term reads as days or years."""
    count = int(value) if float(value).is_integer() else 0  # a fraction takes the plural ('1.5 points')
    return ngettext("%(points)s point", "%(points)s points", count, points=f"{value:g}")


def score_terms(terms) -> str:
    """The terms of a priority score, each with its points."""
    return listing(f"{PRIORITY_TERM[term]} {points(value)}" for term, value in terms)


def sentences(items) -> str:
    """Statements one after the other ('A；B' / 'A; B'); after one that already ends a sentence (as
    WTForms' messages do: '……8 个字符。'), the next starts a new one ('A。B' / 'A. B'), not 'A。；B'."""
    joined = ""
    for item in map(str, items):
        if joined:
            joined += "" if joined.endswith(("。", "！", "？")) else " " if joined.endswith((".", "!", "?")) \
                else gettext("; ")
        joined += item
    return joined


@functools.cache
def _symbols(locale) -> tuple[str, str]:
    return get_decimal_symbol(locale), get_group_symbol(locale)


def number_symbols() -> tuple[str, str]:
    """The reader's decimal and group symbols, asked of Babel once per locale (each ask costs about
    40 µs, and a city report prints thousands of figures)."""
    return _symbols(get_locale())


def percent(value, decimal: str | None = None) -> str:
    """A share to one decimal, truncated rather than rounded, so a share just short of a target
    (73.96%) never reads as the target itself (74.0%) beside "1 bed short". `decimal`: the
    reader's decimal symbol, when the caller has asked for it once (a report prints a thousand)."""
    if value is None:
        return "—"
    point = number_symbols()[0] if decimal is None else decimal
    return f"{math.floor(value * 1000 + 1e-9) / 10:.1f}".replace(".", point) + "%"


def choices(mapping, exclude=()) -> list[SelectChoice]:
    """The options of a form's select field, in the mapping's order."""
    return [SelectChoice(key.value, label) for key, label in mapping.items() if key not in exclude]


def texts(mapping) -> dict[str, str]:
    """The labels translated once, for a page that shows them hundreds of times."""
    return {key.value: str(label) for key, label in mapping.items()}


def spellings(mapping) -> dict[str, object]:
    """Every way a file may name a coded value: its code and its label in each of the app's
    languages, case-folded (for spreadsheet imports)."""
    from flask import current_app
    from flask_babel import force_locale

    result = {}
    for key, label in mapping.items():
        result[str(getattr(key, "value", key)).casefold()] = key
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                result[str(label).casefold()] = key
    return result


def of(mapping, value):
    """The label of a stored value (an enum member or its string)."""
    for key, label in mapping.items():
        if key == value:
            return label
    return value
