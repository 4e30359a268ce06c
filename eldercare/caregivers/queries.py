"""The read side of caregivers: rosters, a caregiver's record, and every caregiver figure as
plain data for the roster page, the dashboard, the PDF reports and the API.

Figures count caregivers working now (status active) in a caregiving post (caregiver or head
caregiver). A fixed number of grouped queries, whatever the number of caregivers.
"""

import math
from datetime import date
from functools import partial
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select

from eldercare.cache import per_facility, revised
from eldercare.caregivers.models import (
    CARE_POSTS,
    LEVELS,
    NO_CERTIFICATE,
    Caregiver,
    Certificate,
    Employment,
    EmploymentStatus,
    PayBand,
    PreJobTraining,
    Reminder,
    TrainingSession,
    training_attendance,
)
from eldercare.extensions import db
from eldercare.facilities import queries as facility_queries
from eldercare.facilities.models import INSTITUTION_TYPES, BedKind, CareType
from eldercare.identity import mask_id_number
from eldercare.timekeeping import local_today

# The staffing rule (domain.md section 5): 1 caregiver per 3 severely or completely disabled
# and 1 per 6 mildly or moderately disabled residents of nursing-type beds.
FULLY_DISABLED = frozenset({"severe", "complete"})
PARTLY_DISABLED = frozenset({"mild", "moderate"})
PER_FULLY_DISABLED = 3
PER_PARTLY_DISABLED = 6


def minimum_hours() -> int:
    return current_app.config["CAREGIVER_MIN_TRAINING_HOURS"]


def _valid_on(day: date):
    return and_(Certificate.revoked.is_(False), Certificate.issued_on <= day,
                or_(Certificate.expires_on.is_(None), Certificate.expires_on >= day))


def _levels(day: date, caregivers=None):
    """Per caregiver (of the `caregivers` id query, or all): the highest level (lowest number)
    of a certificate valid on `day`."""
    query = select(Certificate.caregiver_id, func.min(Certificate.level).label("level")).where(_valid_on(day))
    if caregivers is not None:
        query = query.where(Certificate.caregiver_id.in_(caregivers))
    return query.group_by(Certificate.caregiver_id).subquery()


def _pre_job(caregivers=None):
    """Per caregiver: the first passed pre-job training."""
    query = (select(PreJobTraining.caregiver_id, func.min(PreJobTraining.trained_on).label("passed_on"))
             .where(PreJobTraining.passed.is_(True)))
    if caregivers is not None:
        query = query.where(PreJobTraining.caregiver_id.in_(caregivers))
    return query.group_by(PreJobTraining.caregiver_id).subquery()


def _hours(day: date, caregivers=None):
    """Per caregiver: in-service hours in `day`'s calendar year up to `day`."""
    query = (select(training_attendance.c.caregiver_id, func.sum(TrainingSession.hours).label("hours"))
             .join(TrainingSession, TrainingSession.id == training_attendance.c.session_id)
             .where(TrainingSession.held_on.between(date(day.year, 1, 1), day)))
    if caregivers is not None:
        query = query.where(training_attendance.c.caregiver_id.in_(caregivers))
    return query.group_by(training_attendance.c.caregiver_id).subquery()


def current_level(caregiver_id: int, day: date) -> int:
    """The derived level: the highest certificate valid on `day`; NO_CERTIFICATE without one."""
    level = db.session.scalar(select(_levels(day, [caregiver_id]).c.level))
    return level if level is not None else NO_CERTIFICATE


def bands_in_force(year: int) -> dict[int, int]:
    """Per level (0: no certificate): the lowest monthly pay set for the latest year up to `year`."""
    latest = (select(PayBand.level, func.max(PayBand.year).label("year"))
              .where(PayBand.year <= year).group_by(PayBand.level).subquery())
    rows = db.session.execute(select(PayBand.level, PayBand.minimum_pay)
                              .join(latest, and_(latest.c.level == PayBand.level, latest.c.year == PayBand.year)))
    return {level: pay for level, pay in rows}


def pay_bands(years: range) -> dict[int, dict[int, int]]:
    """The bands set for each year (not carried over), for the administrator's page."""
    result: dict[int, dict[int, int]] = {year: {} for year in years}
    for band in db.session.scalars(select(PayBand).where(PayBand.year.between(years.start, years.stop - 1))):
        result[band.year][band.level] = band.minimum_pay
    return result


def _below_band(bands: dict[int, int], level_column, pay_column):
    """SQL: 1 when the pay is below the band of the caregiver's level (no band: never)."""
    band = case(bands, value=func.coalesce(level_column, NO_CERTIFICATE), else_=None) if bands else None
    return case((pay_column < band, 1), else_=0) if band is not None else literal(0)


def roster(facility_id: int, day: date, *, with_pay: bool, include_left: bool = False) -> list[dict]:
    """The facility's caregivers with their derived level, training and pay flags."""
    caregivers = select(Employment.caregiver_id).where(Employment.facility_id == facility_id)
    levels, pre_job, hours = _levels(day, caregivers), _pre_job(caregivers), _hours(day, caregivers)
    bands = bands_in_force(day.year)
    query = (
        select(Employment.id.label("employment_id"), Employment.caregiver_id, Employment.post, Employment.status,
               Employment.hired_on, Employment.status_on, Employment.monthly_pay, Caregiver.name, Caregiver.id_number,
               Caregiver.mobile, levels.c.level, pre_job.c.passed_on, hours.c.hours,
               _below_band(bands, levels.c.level, Employment.monthly_pay).label("below_band"))
        .join(Caregiver, Caregiver.id == Employment.caregiver_id)
        .outerjoin(levels, levels.c.caregiver_id == Employment.caregiver_id)
        .outerjoin(pre_job, pre_job.c.caregiver_id == Employment.caregiver_id)
        .outerjoin(hours, hours.c.caregiver_id == Employment.caregiver_id)
        .where(Employment.facility_id == facility_id)
        .order_by(Employment.status, Caregiver.name, Employment.id)
    )
    if not include_left:
        query = query.where(Employment.status != EmploymentStatus.left)
    minimum = minimum_hours()
    return [{
        "employment_id": r.employment_id, "id": r.caregiver_id, "name": r.name,
        "id_number": mask_id_number(r.id_number), "mobile": r.mobile, "post": r.post.value,
        "status": r.status.value, "hired_on": r.hired_on, "status_on": r.status_on,
        "monthly_pay": r.monthly_pay if with_pay else None,
        "below_band": bool(r.below_band) if with_pay else None,
        "level": r.level if r.level is not None else NO_CERTIFICATE,
        "pre_job_passed_on": r.passed_on, "covered": r.passed_on is not None,
        "hours": float(r.hours or 0), "hours_met": float(r.hours or 0) >= minimum,
    } for r in db.session.execute(query)]


def roster_choices(facility_id: int) -> list[dict]:
    """Caregivers on the facility's roster now (working or on leave), for the attendance ticks."""
    rows = db.session.execute(
        select(Caregiver.id, Caregiver.name, Employment.post, Employment.status)
        .join(Employment, Employment.caregiver_id == Caregiver.id)
        .where(Employment.facility_id == facility_id, Employment.status != EmploymentStatus.left)
        .order_by(Caregiver.name, Caregiver.id))
    return [{"id": r.id, "name": r.name, "post": r.post.value, "status": r.status.value} for r in rows]


def caregiver_record(caregiver: Caregiver, day: date) -> dict:
    """One caregiver's history: spells of work, pre-job training, sessions, certificates."""
    employments = [{
        "id": e.id, "facility_id": e.facility_id, "facility": e.facility.name, "post": e.post.value,
        "status": e.status.value, "hired_on": e.hired_on, "status_on": e.status_on, "monthly_pay": e.monthly_pay,
    } for e in caregiver.employments]
    pre_job = [{"trained_on": t.trained_on, "hours": float(t.hours), "provider": t.provider, "passed": t.passed}
               for t in db.session.scalars(select(PreJobTraining).where(PreJobTraining.caregiver_id == caregiver.id)
                                           .order_by(PreJobTraining.trained_on.desc(), PreJobTraining.id.desc()))]
    sessions = [{"course": s.course, "held_on": s.held_on, "hours": float(s.hours), "provider": s.provider}
                for s in db.session.scalars(
                    select(TrainingSession).join(training_attendance,
                                                 training_attendance.c.session_id == TrainingSession.id)
                    .where(training_attendance.c.caregiver_id == caregiver.id)
                    .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()))]
    certificates = [{
        "id": c.id, "number": c.number, "level": c.level, "issued_on": c.issued_on, "issuer": c.issuer,
        "expires_on": c.expires_on, "revoked": c.revoked, "valid": bool(valid),
    } for c, valid in db.session.execute(
        select(Certificate, case((_valid_on(day), 1), else_=0))
        .where(Certificate.caregiver_id == caregiver.id).order_by(Certificate.level, Certificate.issued_on.desc()))]
    # The derived facts come from the same definitions as the roster and the figures.
    level = current_level(caregiver.id, day)
    covered = db.session.scalar(select(_pre_job([caregiver.id]).c.passed_on)) is not None
    hours = float(db.session.scalar(select(_hours(day, [caregiver.id]).c.hours)) or 0)
    return {"employments": employments, "pre_job": pre_job, "sessions": sessions, "certificates": certificates,
            "level": level, "covered": covered, "hours": hours, "minimum_hours": minimum_hours(),
            "band": bands_in_force(day.year).get(level)}


def training_sessions(facility_id: int, limit: int = 30) -> list[dict]:
    counts = (select(training_attendance.c.session_id, func.count().label("n"))
              .group_by(training_attendance.c.session_id).subquery())
    rows = db.session.execute(
        select(TrainingSession.id, TrainingSession.course, TrainingSession.held_on, TrainingSession.hours,
               TrainingSession.provider, counts.c.n)
        .outerjoin(counts, counts.c.session_id == TrainingSession.id)
        .where(TrainingSession.facility_id == facility_id)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()).limit(limit))
    return [{"id": r.id, "course": r.course, "held_on": r.held_on, "hours": float(r.hours), "provider": r.provider,
             "attendees": r.n or 0} for r in rows]


def open_reminders(facility_id: int) -> list[dict]:
    rows = db.session.execute(
        select(Reminder.id, Reminder.cause, Reminder.detail, Reminder.created_at, Caregiver.id.label("caregiver_id"),
               Caregiver.name)
        .join(Caregiver, Caregiver.id == Reminder.caregiver_id)
        .where(Reminder.facility_id == facility_id, Reminder.resolved_at.is_(None))
        .order_by(Reminder.cause, Caregiver.name))
    return [{"id": r.id, "cause": r.cause.value, "detail": r.detail, "created_at": r.created_at,
             "caregiver_id": r.caregiver_id, "name": r.name} for r in rows]


# The rosters' own counts, and those of the staffing check, which also needs today's residents and beds.
ROSTER = ("caregivers", "covered", "certified", "hours_met", "below_band")
STAFFING = ("fully_disabled", "partly_disabled", "needed", "counted", "shortfall", "short_homes", "nursing_beds",
            "nursing_beds_at_risk")


def _empty_figures(counts=ROSTER + STAFFING) -> dict:
    return {**dict.fromkeys(counts, 0), "by_level": {level: 0 for level in (*LEVELS, NO_CERTIFICATE)}}


def _add(total: dict, part: dict, sign: int = 1) -> None:
    for key in ROSTER + STAFFING:
        if key in part:  # the staffing check's counts only where it was made
            total[key] += sign * part[key]
    for level, n in part["by_level"].items():
        total["by_level"][level] += sign * n


def _finish(figures: dict) -> dict:
    n = figures["caregivers"]
    figures["coverage"] = figures["covered"] / n if n else None
    figures["uncovered"] = n - figures["covered"]
    figures["certified_share"] = figures["certified"] / n if n else None
    figures["hours_share"] = figures["hours_met"] / n if n else None
    figures["minimum_hours"] = minimum_hours()
    return figures


def staffing_needed(fully_disabled: int, partly_disabled: int) -> int:
    return math.ceil(fully_disabled / PER_FULLY_DISABLED) + math.ceil(partly_disabled / PER_PARTLY_DISABLED)


class CaregiverTally(NamedTuple):
    """One facility's caregivers at work in care posts, counted, and counted again by each flag
    and by level."""
    facility_id: int
    n: int
    covered: int  # passed pre-job training
    hours_met: int  # the year's in-service minimum reached
    below_band: int  # paid below the band of their level
    by_level: dict  # {level (NO_CERTIFICATE: none valid): caregivers}


def _tallies(day: date, facility_ids=None) -> list[CaregiverTally]:
    """Caregivers at work in care posts on `day`, one row per facility: the database counts each
    flag and level (COUNT of a CASE without ELSE counts its matches), where grouping by all of them
    gave a row per combination (at --scale 10, 4,267 rows for 454 homes, each made into a tuple and
    added up here). Those without a valid certificate are the rest."""
    caregivers = None if facility_ids is None else \
        select(Employment.caregiver_id).where(Employment.facility_id.in_(facility_ids))
    levels, pre_job, hours = _levels(day, caregivers), _pre_job(caregivers), _hours(day, caregivers)
    query = (
        select(Employment.facility_id, func.count(), func.count(pre_job.c.passed_on),
               func.count(case((func.coalesce(hours.c.hours, 0) >= minimum_hours(), 1))),
               func.sum(_below_band(bands_in_force(day.year), levels.c.level, Employment.monthly_pay)),
               *(func.count(case((levels.c.level == lvl, 1))) for lvl in LEVELS))
        .outerjoin(levels, levels.c.caregiver_id == Employment.caregiver_id)
        .outerjoin(pre_job, pre_job.c.caregiver_id == Employment.caregiver_id)
        .outerjoin(hours, hours.c.caregiver_id == Employment.caregiver_id)
        .where(Employment.status == EmploymentStatus.active, Employment.post.in_([p.value for p in CARE_POSTS]))
        .group_by(Employment.facility_id))
    if facility_ids is not None:
        query = query.where(Employment.facility_id.in_(facility_ids))
    return [CaregiverTally(facility_id, n, covered, hours_met, below,
                           {**dict(zip(LEVELS, by_level, strict=True)), NO_CERTIFICATE: n - sum(by_level)})
            for facility_id, n, covered, hours_met, below, *by_level in db.session.execute(query)]


_tallies_of_day: dict = {}


def _caregiver_tallies(day: date):
    """Every facility's tallies on `day`, kept facility by facility (eldercare.cache.per_facility:
    a change in one home re-reads that home). Today's and one other day's are kept: a report on a
    past month does not make the next dashboard read every home again, and on a new day everything is
    read afresh, as certificates expire and a new year's hours start from nothing."""
    memo = _tallies_of_day.get(day)
    if memo is None:
        today = local_today()
        for kept in [d for d in list(_tallies_of_day) if d != today]:  # list(): one step, as threads share it
            _tallies_of_day.pop(kept, None)
        memo = _tallies_of_day[day] = per_facility(partial(_tallies, day))
    return memo


def _home(counts, caregivers, residents, beds) -> dict:
    """One institution's counts from its caregiver, resident and bed tallies (the last two only for
    the staffing check)."""
    f = _empty_figures(counts)
    for r in caregivers:  # its one row, none without caregivers
        f["caregivers"], f["covered"], f["hours_met"], f["below_band"] = r.n, r.covered, r.hours_met, r.below_band
        f["certified"] = r.n - r.by_level[NO_CERTIFICATE]
        f["by_level"] = dict(r.by_level)
    if "needed" in counts:
        for t in residents:
            if t.care_type == CareType.nursing:
                f["fully_disabled"] += t.n if t.ability_level in FULLY_DISABLED else 0
                f["partly_disabled"] += t.n if t.ability_level in PARTLY_DISABLED else 0
        f["nursing_beds"] = sum(b.n for b in beds if b.kind == BedKind.institution and b.care_type == CareType.nursing)
        f["counted"] = f["covered"]  # trained caregivers at work
        f["needed"] = staffing_needed(f["fully_disabled"], f["partly_disabled"])
        f["shortfall"] = max(0, f["needed"] - f["counted"])
        f["short_homes"] = 1 if f["shortfall"] else 0
        f["nursing_beds_at_risk"] = f["nursing_beds"] if f["shortfall"] else 0
    return f


def _figures(day: date, staffing: bool, previous) -> tuple[dict, tuple]:
    """The figures of `figures` (or `roster_figures`), as eldercare.cache.revised hands them their
    previous result: only the homes whose figures_version moved are counted again (a home's
    directory row and tallies are re-read exactly then), and the towns' sums are adjusted by what
    they take away and add. A new day, a new minimum of hours, a change in the towns, or homes
    that came, went or changed places in the directory count everything again."""
    counts = ROSTER + STAFFING if staffing else ROSTER
    tallies = _caregiver_tallies(day)
    caregivers = tallies.by_facility()
    residents = facility_queries.resident_tallies.by_facility() if staffing else {}
    beds = facility_queries.bed_tallies.by_facility() if staffing else {}
    towns = facility_queries.towns()
    scope = (towns, minimum_hours(), tallies)
    before, (scope_before, seen, sums_before) = previous if previous is not None else (None, (None, None, None))
    directory, places, moved, seen = facility_queries.directory_changes(seen if scope_before == scope else None)

    def home(d) -> tuple[dict, dict]:
        f = _home(counts, caregivers.get(d.id, ()), residents.get(d.id, ()), beds.get(d.id, ()))
        return f, _finish({"id": d.id, "name": d.name, "town_id": d.town_id, "town": d.town, **f})

    facilities = None
    if moved is not None:
        facilities = dict(before["facilities"])
        sums = {town_id: {**s, "by_level": dict(s["by_level"])} for town_id, s in sums_before.items()}
        for fid in moved:
            d, row = directory[places[fid]], facilities.get(fid)
            if row is not None:
                _add(sums[row["town_id"]], row, -1)
            if d.type not in INSTITUTION_TYPES:
                facilities.pop(fid, None)
            elif row is None:  # a new institution: its place among the others is not known here
                facilities = None
                break
            else:
                f, facilities[fid] = home(d)
                _add(sums[d.town_id], f)
    if facilities is None:
        facilities, sums = {}, {town_id: _empty_figures(counts) for town_id, _name in towns}
        for d in directory:
            if d.type in INSTITUTION_TYPES:
                f, facilities[d.id] = home(d)
                _add(sums[d.town_id], f)
    city = _empty_figures(counts)
    town_rows = []
    for town_id, name in towns:
        _add(city, sums[town_id])
        town_rows.append(_finish({"id": town_id, "name": name, **sums[town_id],
                                  "by_level": dict(sums[town_id]["by_level"])}))
    return ({"day": day, "minimum_hours": minimum_hours(), "city": _finish(city), "towns": town_rows,
             "facilities": facilities}, (scope, seen, sums))


@revised
def figures(day: date, *, previous=None) -> tuple[dict, tuple]:
    """Every caregiver figure for each institution, each town and the city, on `day`:
    pre-job coverage (target 100%), caregivers by level, share certified, in-service hours met,
    pay below band, and the staffing check with the nursing-type beds it puts at risk."""
    return _figures(day, True, previous)


@revised
def roster_figures(day: date, *, previous=None) -> tuple[dict, tuple]:
    """The same figures without the staffing check, which weighs today's residents and beds:
    what the rosters alone say on `day` (a report on a past period), for a fraction of the reads."""
    return _figures(day, False, previous)


def facility_figures(facility_id: int, day: date) -> dict | None:
    """One institution's figures (None for a community facility, which has no roster figures)."""
    return figures(day)["facilities"].get(facility_id)


def reminder_candidates(day: date, expiring_within_days: int) -> list[dict]:
    """Who needs a reminder on `day`, with the key that makes each reminder once only:
    working without passed pre-job training (per spell of work), behind the year's in-service
    hours in its last quarter (per year), a valid certificate expiring within the window (per
    certificate). Caregivers on leave or gone are not reminded about."""
    pre_job, hours = _pre_job(), _hours(day)
    working = (select(Employment.caregiver_id, Employment.facility_id, Employment.hired_on, Employment.post,
                      pre_job.c.passed_on, hours.c.hours)
               .outerjoin(pre_job, pre_job.c.caregiver_id == Employment.caregiver_id)
               .outerjoin(hours, hours.c.caregiver_id == Employment.caregiver_id)
               .where(Employment.status == EmploymentStatus.active))
    result = []
    minimum = minimum_hours()
    for r in db.session.execute(working):
        if r.post not in CARE_POSTS:
            continue
        if r.passed_on is None:
            result.append({"caregiver_id": r.caregiver_id, "facility_id": r.facility_id,
                           "cause": "no_pre_job_training", "period": r.hired_on.isoformat(),
                           "detail": r.hired_on.isoformat()})
        if day.month >= 10 and float(r.hours or 0) < minimum:
            result.append({"caregiver_id": r.caregiver_id, "facility_id": r.facility_id,
                           "cause": "behind_in_service_hours", "period": str(day.year),
                           "detail": f"{float(r.hours or 0):g}/{minimum}"})
    until = date.fromordinal(day.toordinal() + expiring_within_days)
    for r in db.session.execute(
        select(Certificate.id, Certificate.caregiver_id, Certificate.expires_on, Employment.facility_id)
        .join(Employment, and_(Employment.caregiver_id == Certificate.caregiver_id,
                               Employment.status == EmploymentStatus.active))
        .where(_valid_on(day), Certificate.expires_on.is_not(None), Certificate.expires_on <= until)
    ):
        result.append({"caregiver_id": r.caregiver_id, "facility_id": r.facility_id,
                       "cause": "certificate_expiring", "period": f"certificate-{r.id}",
                       "detail": r.expires_on.isoformat()})
    return result
