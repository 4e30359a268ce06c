"""The read side of placements: plain data for pages, the dashboard and (later) the API."""

import statistics
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from eldercare.cache import cached
from eldercare.extensions import db
from eldercare.facilities import queries as bed_queries
from eldercare.facilities import reserve
from eldercare.facilities.models import INSTITUTION_TYPES, Bed, Facility, Stay, Town
from eldercare.identity import mask_id_number
from eldercare.placements import priority
from eldercare.placements.models import OPEN_STATUSES, Action, Application, ApplicationEvent, Status
from eldercare.placements.priority import is_disabled
from eldercare.placements.workflow import declared_differences
from eldercare.residents.models import AbilityLevel, Category, Elder, IdentityCase

RANKED = 20


def institutions() -> list[dict]:
    """The institutions a family may choose and the public may see: open ones (not closed)."""
    return [{"id": f.id, "name": f.name, "type": f.type.value, "town_id": f.town_id, "town": f.town}
            for f in bed_queries.facility_directory() if f.type in INSTITUTION_TYPES and f.closed_on is None]


@cached
def open_beds_public() -> dict:
    """Open beds by town, home and care type, with each home's last bed change. Counts only."""
    per_care = reserve.open_beds_by_care_type()
    changes = bed_queries.counts_by_facility()
    towns: dict[str, dict] = {}
    for f in institutions():
        counts = per_care.get(f["id"])
        if not counts:
            continue
        town = towns.setdefault(f["town"], {"id": f["town_id"], "nursing": 0, "ordinary": 0, "homes": []})
        town["nursing"] += counts["nursing"]
        town["ordinary"] += counts["ordinary"]
        town["homes"].append({"id": f["id"], "name": f["name"], "type": f["type"], **counts,
                              "last_changed_at": changes.get(f["id"], {}).get("changed")})
    return {"towns": towns, "nursing": sum(t["nursing"] for t in towns.values()),
            "ordinary": sum(t["ordinary"] for t in towns.values())}


def applications_of_family(user_id: int) -> list[Application]:
    return list(db.session.scalars(
        select(Application).where(Application.family_id == user_id).order_by(Application.id.desc())
    ))


def _names(model, ids) -> list[str]:
    if not ids:
        return []
    return list(db.session.scalars(select(model.name).where(model.id.in_(ids)).order_by(model.name)))


def application_detail(application: Application, today: date, *, for_family: bool) -> dict:
    """What the application page shows. A family sees what it entered and the assessments made for
    this application, never the established record; the bureau also sees what needs its attention."""
    terms = priority.score_terms(application, today)
    order = priority.group_order()
    place, group = priority.group_of(application, order)
    return {
        "group": group, "group_place": place, "groups": len(order),
        "masked_id": mask_id_number(application.id_number),
        "age": application.age_on(today),
        "attention": None if for_family else attention(application),
        "terms": terms,
        "score": round(sum(points for _, points in terms), 1),
        "scored": application.category != Category.tekun,
        "towns": _names(Town, application.preferred_town_ids),
        "facilities": _names(Facility, application.preferred_facility_ids),
        "disabled": is_disabled(application),
    }


def attention(application: Application) -> dict:
    """For the reviewer: the same person's other open applications and open stay, the identity
    cases about the record, and what the family declared differently from the record."""
    others = list(db.session.scalars(
        select(Application.id).where(Application.id_number == application.id_number,
                                     Application.id != application.id,
                                     Application.status.in_(OPEN_STATUSES)).order_by(Application.id)))
    stay = db.session.execute(
        select(Facility.id, Facility.name).join(Bed, Bed.facility_id == Facility.id)
        .join(Stay, Stay.bed_id == Bed.id).join(Elder, Elder.id == Stay.elder_id)
        .where(Elder.id_number == application.id_number, Stay.end_on.is_(None))).first()
    cases = list(db.session.scalars(select(IdentityCase).where(
        IdentityCase.elder_id == application.elder_id, IdentityCase.resolved_at.is_(None)))) \
        if application.elder_id else []
    return {"other_applications": others, "staying_at": stay.name if stay else None,
            "identity_cases": cases, "differences": declared_differences(application)}


def flagged_ids(applications) -> set[int]:
    """Applications whose person has another open application or an open stay (one query each)."""
    numbers = {a.id_number for a in applications}
    if not numbers:
        return set()
    counts = dict(db.session.execute(
        select(Application.id_number, func.count()).where(Application.id_number.in_(numbers),
                                                          Application.status.in_(OPEN_STATUSES))
        .group_by(Application.id_number)).all())
    staying = set(db.session.scalars(
        select(Elder.id_number).join(Stay, Stay.elder_id == Elder.id)
        .where(Elder.id_number.in_(numbers), Stay.end_on.is_(None))))
    return {a.id for a in applications if counts.get(a.id_number, 0) > 1 or a.id_number in staying}


@cached
def status_counts() -> dict[str, int]:
    """Applications by status (the stored value)."""
    return {status.value: n for status, n in db.session.execute(
        select(Application.status, func.count()).group_by(Application.status))}


def _reviewed(status: str | None) -> frozenset:
    """The statuses the review list shows: the one asked for (never a draft), else the open ones."""
    if status:
        return frozenset() if status == Status.draft else frozenset({Status(status)})
    return OPEN_STATUSES


def review_count(status: str | None) -> int:
    """How many applications `review_list(status, ...)` holds."""
    counts = status_counts()
    return sum(counts.get(s.value, 0) for s in _reviewed(status))


def review_list(status: str | None, today: date) -> list[dict]:
    """Applications for the reviewer in the waitlist order: tekun ones (placed by the bureau)
    first, then by policy group, then by score within the group."""
    query = select(Application).where(Application.status.in_(_reviewed(status)))
    weights, order = priority.weights(), priority.group_order()
    rows = []
    applications = list(db.session.scalars(query.order_by(Application.submitted_at)))
    flagged = flagged_ids(applications)
    for a in applications:
        scored = a.category != Category.tekun
        place, group = priority.group_of(a, order) if scored else (0, None)
        rows.append({"application": a, "score": priority.score(a, today, weights) if scored else None,
                     "group": group, "group_place": place,
                     "masked_id": mask_id_number(a.id_number), "flagged": a.id in flagged})
    rows.sort(key=lambda r: (r["group_place"], -(r["score"] or 0)))
    return rows


def ranked_for_bed(bed: Bed, today: date) -> list[dict]:
    """The top eligible approved applications for one vacant bed.

    An open bed goes to non-tekun applications, a closed bed of a home serving tekun elders to tekun
    ones (placed by the bureau: those least able to care for themselves first, State Council 2016
    No. 14, then those preferring the bed's town or home); a disabled elder only to a nursing-type
    bed; for an open bed those preferring the bed's town or home come first, then the policy group,
    then the score.
    """
    tekun_bed = bed.facility.serves_tekun and not bed.open_to_public
    if not bed.open_to_public and not tekun_bed:
        return []
    query = select(Application).where(Application.status == Status.approved)
    query = query.where(Application.category == Category.tekun) if tekun_bed else query.where(
        Application.category != Category.tekun)
    weights, order = priority.weights(), priority.group_order()
    rows = []
    for a in db.session.scalars(query):
        if (is_disabled(a) or a.needs_nursing) and bed.care_type.value != "nursing":
            continue
        prefers = bed.facility_id in (a.preferred_facility_ids or []) or bed.facility.town_id in (
            a.preferred_town_ids or [])
        place, group = priority.group_of(a, order) if not tekun_bed else (0, None)
        rows.append({"application": a, "prefers": prefers, "terms": priority.score_terms(a, today, weights),
                     "score": priority.score(a, today, weights), "group": group, "group_place": place,
                     "masked_id": mask_id_number(a.id_number)})
    if tekun_bed:
        least_able = [AbilityLevel.complete, AbilityLevel.severe, AbilityLevel.moderate, AbilityLevel.mild,
                      AbilityLevel.intact, None]
        rows.sort(key=lambda r: (least_able.index(r["application"].ability_level), not r["prefers"],
                                 r["application"].approved_at))
    else:
        rows.sort(key=lambda r: (not r["prefers"], r["group_place"], -r["score"], r["application"].approved_at))
    return rows[:RANKED]


def waitlist_figures() -> dict:
    """For the dashboard and the report: applications by state and category, median days from
    submission to admission, open beds against approved applications by town."""
    by_status_category: dict[str, dict[str, int]] = {}
    for status, category, n in db.session.execute(
        select(Application.status, Application.category, func.count())
        .where(Application.status != Status.draft).group_by(Application.status, Application.category)
    ):
        by_status_category.setdefault(status.value, {})[category.value] = n
    waits = [(admitted - submitted).total_seconds() / 86400 for submitted, admitted in db.session.execute(
        select(Application.submitted_at, Application.admitted_at).where(Application.status == Status.admitted)
    )]
    approved_by_town: dict[int, int] = {}
    for town_ids, elder_town in db.session.execute(
        select(Application.preferred_town_ids, Elder.town_id).outerjoin(Elder, Elder.id == Application.elder_id)
        .where(Application.status == Status.approved)
    ):
        town = (town_ids or [elder_town])[0] if (town_ids or elder_town) else None
        if town is not None:
            approved_by_town[town] = approved_by_town.get(town, 0) + 1
    open_by_town: dict[int, int] = {}
    open_by_facility = reserve.open_beds_by_facility()  # institutions only
    for f in bed_queries.facility_directory():  # not institutions(): no dict made for each of 2,500 homes
        if f.id in open_by_facility and f.closed_on is None:
            open_by_town[f.town_id] = open_by_town.get(f.town_id, 0) + open_by_facility[f.id]
    towns = [{"town": name, "open_beds": open_by_town.get(town_id, 0), "approved": approved_by_town.get(town_id, 0)}
             for town_id, name in bed_queries.towns()]
    return {"by_status_category": by_status_category,
            "median_days_to_admission": statistics.median(waits) if waits else None,
            "admitted": len(waits), "towns": towns}


def _accepted_on(application_ids) -> dict[int, object]:
    """When each application's offer was accepted (the family's answer), one query."""
    if not application_ids:
        return {}
    return dict(db.session.execute(
        select(ApplicationEvent.application_id, func.max(ApplicationEvent.at))
        .where(ApplicationEvent.application_id.in_(application_ids), ApplicationEvent.action == Action.accept)
        .group_by(ApplicationEvent.application_id)).all())


def offer_for_hold(hold) -> dict | None:
    """The offer a bed hold was made for (None for a manager's own hold): for the bed page."""
    if hold.application_id is None:
        return None
    application = db.session.get(Application, hold.application_id)
    accepted = _accepted_on([application.id]).get(application.id)
    return {"application_id": application.id, "name": application.elder_name, "status": application.status.value,
            "accepted_on": accepted.date() if accepted else None}


@cached
def waiting_admissions(facility_id: int) -> list[dict]:
    """Accepted offers of this home's beds, oldest first: the manager's list of admissions to make
    (on the board at every view: kept until anything changes; read-only)."""
    rows = db.session.execute(
        select(Application.id, Application.elder_name, Bed.id.label("bed_id"), Bed.code)
        .join(Bed, Bed.id == Application.offered_bed_id)
        .where(Bed.facility_id == facility_id, Application.status == Status.accepted)
        .order_by(Application.id)).all()
    accepted = _accepted_on([r.id for r in rows])
    return [{"application_id": r.id, "name": r.elder_name, "bed_id": r.bed_id, "bed_code": r.code,
             "accepted_on": accepted[r.id].date() if r.id in accepted else None} for r in rows]


# Tekun applications still waiting for a bed (an offered one already holds its bed).
PENDING = (Status.submitted, Status.under_review, Status.more_info, Status.approved)


def pending_tekun_by_facility() -> dict[int, int]:
    """Pending tekun applications, each counted for one facility that serves tekun elders: the first
    such facility it names, else the first one of the first town it names."""
    homes = sorted(reserve.serving_tekun(), key=lambda f: f.id)
    home_ids = {h.id for h in homes}
    first_home_of_town: dict[int, int] = {}
    for home in homes:
        first_home_of_town.setdefault(home.town_id, home.id)
    result: dict[int, int] = defaultdict(int)
    for facility_ids, town_ids in db.session.execute(
        select(Application.preferred_facility_ids, Application.preferred_town_ids)
        .where(Application.category == Category.tekun, Application.status.in_(PENDING))
    ):
        home = next((f for f in facility_ids or [] if f in home_ids), None)
        if home is None:
            home = next((first_home_of_town[t] for t in town_ids or [] if t in first_home_of_town), None)
        if home is not None:
            result[home] += 1
    return result


reserve.count_pending_with(pending_tekun_by_facility)
