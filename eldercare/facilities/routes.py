from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_datetime, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from eldercare import cache, form_actions, labels
from eldercare.auth import policy
from eldercare.auth.models import Role
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.forms import (
    ActionForm,
    AdmitForm,
    AwayForm,
    BedForm,
    BedsForm,
    CareTypeForm,
    DischargeForm,
    HoldForm,
    MealForm,
    RetireForm,
    RoomForm,
    TransferForm,
)
from eldercare.facilities.models import Bed, BedKind, BedState, CareType, EndReason, Facility, FacilityType, Room
from eldercare.models import utcnow
from eldercare.residents.models import AssessmentReason, CaseSource, Category
from eldercare.residents.routes import assessment_page
from eldercare.residents.services import establish_elder, record_assessment
from eldercare.routing import page_asked, page_rows
from eldercare.timekeeping import local_today

bp = Blueprint("facilities", __name__)

STAFF = (Role.bureau_admin, Role.bureau_staff, Role.facility_manager)


def _facility(facility_id: int, *, manage: bool = False) -> Facility:
    return policy.fetch(Facility, facility_id, policy.sees_facility,
                        allowed=policy.manages_facility if manage else None)


def _bed(bed_id: int, *, manage: bool = False) -> Bed:
    return policy.fetch(Bed, bed_id, policy.sees_facility_record,
                        allowed=policy.manages_facility_record if manage else None)


# The board's filters, carried by a tile's link to the bed page and by every form there, so the
# manager comes back to the board as they left it.
BOARD_FILTERS = {"care_type": set(CareType), "state": set(BedState), "open": {"1"}, "q": None}
SEARCH_MAX = 64


def board_filters() -> dict:
    """The valid board filters of this request's query string (others are dropped)."""
    kept = {}
    for key, allowed in BOARD_FILTERS.items():
        value = (request.args.get(key) or "").strip()
        if value and (value in allowed if allowed is not None else len(value) <= SEARCH_MAX):
            kept[key] = value
    return kept


def _bed_page(bed) -> str:
    return url_for("facilities.bed", bed_id=bed.id, **board_filters())


def search_board(data: dict, text: str) -> dict:
    """Keep the beds whose code or resident's name (shown to this user) contains `text`."""
    needle = text.casefold()
    rooms = [{**room, "beds": [b for b in room["beds"] if needle in b["code"].casefold()
                               or (b["resident"] and needle in b["resident"].casefold())]} for room in data["rooms"]]
    return {**data, "rooms": [room for room in rooms if room["beds"]]}


def bed_choices(beds) -> list[SelectChoice]:
    care = labels.texts(labels.CARE_TYPE)  # translated once, not once per bed
    return [SelectChoice(b["id"], f"{b['code']} · {care[b['care_type']]}") for b in beds]


@bp.get("/")
@login_required
def home():
    if current_user.role == Role.facility_manager and len(current_user.facilities) == 1:
        return redirect(url_for("facilities.board", facility_id=current_user.facilities[0].id))
    if current_user.role in (Role.family, Role.town_assistant):
        return redirect(url_for("placements.index"))
    if current_user.is_bureau:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("facilities.index"))


@bp.get("/facilities")
@policy.roles_required(*STAFF)
def index():
    town = request.args.get("town", "")
    ftype = request.args.get("type", "")
    summaries = queries.facility_summaries(lambda column: policy.visible_facilities_clause(current_user, column))
    towns = list(dict.fromkeys(s["town"] for s in summaries))  # the towns' own order (by code), as everywhere
    shown = [s for s in summaries if (not town or s["town"] == town) and (not ftype or s["type"] == ftype)]
    totals = queries.empty_counts()
    for s in shown:
        for state, n in s["counts"].items():
            totals[state] += n
    page, pages = page_asked(len(shown))
    return render_template(
        "facilities/index.html", facilities=page_rows(shown, page),
        count=len(shown), page=page, pages=pages, towns=towns, town=town, ftype=ftype, totals=totals,
        total=sum(totals.values()),
    )


@bp.get("/facilities/<int:facility_id>/board")
@policy.roles_required(*STAFF)
def board(facility_id):
    facility = _facility(facility_id)
    care_type = request.args.get("care_type") or None
    state = request.args.get("state") or None
    if care_type not in (None, *CareType) or state not in (None, *BedState):
        abort(400)
    open_only = request.args.get("open") == "1"
    search = (request.args.get("q") or "").strip()
    if len(search) > SEARCH_MAX:
        abort(400)
    with_residents = policy.can_see_residents(current_user, facility.id)
    keep = board_filters()
    beds, last_changed_at = (_board_beds if search else _kept_board_beds)(
        facility.id, with_residents, care_type, state, open_only, tuple(keep.items()), search)
    return render_template("facilities/board.html", facility=facility, town=dict(queries.towns())[facility.town_id],
                           beds=beds, last_changed_at=last_changed_at, keep=keep,
                           can_manage=policy.can_manage_facility(current_user, facility.id))


def _board_beds(facility_id, with_residents, care_type, state, open_only, keep, search) -> tuple[Markup, object]:
    """The board's chips, filters and tiles, rendered, and the time of the home's last bed change."""
    data = queries.board(facility_id, with_residents=with_residents, care_type=care_type, state=state,
                         open_only=open_only)
    if search:
        data = search_board(data, search)
    html = render_template("facilities/_board_beds.html", facility_id=facility_id, board=data, care_type=care_type,
                           state=state, open_only=open_only, search=search, keep=dict(keep),
                           board_shows_residents=with_residents)
    return Markup(html), data["last_changed_at"]


# Kept until the home's beds change (a search is not kept: its text is anyone's).
_kept_board_beds = cache.rendered_per_facility(_board_beds)


@bp.route("/facilities/<int:facility_id>/admit", methods=["GET", "POST"])
@policy.roles_required(Role.facility_manager)
def admit(facility_id):
    facility = _facility(facility_id, manage=True)
    form = AdmitForm()
    vacant = queries.vacant_beds(facility.id)
    form.bed_id.choices = bed_choices(vacant)
    if request.method == "GET":
        form.on.data = local_today()
        form.bed_id.data = request.args.get("bed_id", type=int)
    elif form.validate_on_submit():
        try:
            elder, case = establish_elder(
                current_user, name=form.name.data, id_number=form.id_number.data, source=CaseSource.admission,
                source_id=facility.id, town_id=facility.town_id, category=Category(form.category.data),
                severe_disability=form.severe_disability.data, living_alone=form.living_alone.data,
                empty_nest=form.empty_nest.data,
            )
            bed = db.session.get(Bed, form.bed_id.data)
            if form.assessment.form.given():
                record_assessment(current_user, elder, reason=AssessmentReason.admission,
                                  **form.assessment.form.scores())
            services.admit(current_user, bed, elder, on=form.on.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form_actions.show_error(form, error)
        else:
            flash(_l("%(name)s was admitted to bed %(code)s.", name=elder.name, code=bed.code), "success")
            if case is not None:
                flash(_l("The name you typed differs from the name on record for this ID number; the resident "
                         "was admitted under the record, and the civil-affairs bureau will check the name."), "info")
            return redirect(url_for("facilities.board", facility_id=facility.id))
    return render_template("facilities/admit.html", facility=facility, form=form, vacant=vacant), \
        (422 if form.errors or form.form_errors else 200)


@bp.route("/beds/<int:bed_id>/assess", methods=["GET", "POST"])
@policy.roles_required(Role.facility_manager)
def assess(bed_id):
    """A home's managers assess the resident of one of their beds."""
    bed = _bed(bed_id, manage=True)
    stay = queries.open_stay_of(bed.id)
    if stay is None:
        abort(404)
    return assessment_page(stay.elder, _bed_page(bed))


@bp.get("/beds/<int:bed_id>")
@policy.roles_required(*STAFF)
def bed(bed_id):
    bed = _bed(bed_id)
    details = _bed_details(bed.id, policy.can_manage_facility(current_user, bed.facility_id),
                           policy.can_see_residents(current_user, bed.facility_id), current_user.is_bureau,
                           tuple(board_filters().items()), local_today())
    return render_template("facilities/bed.html", bed=bed, details=details)


@cache.rendered
def _bed_details(bed_id, can_manage, with_residents, is_bureau, keep, today) -> Markup:
    """The bed page below the header, rendered once until anything changes, for each kind of reader."""
    bed = db.session.get(Bed, bed_id)
    stay = queries.open_stay_of(bed.id)
    transfer_form = TransferForm(on=today)
    # The beds to move to, for the transfer form a manager sees beside a resident only.
    transfer_form.to_bed_id.choices = bed_choices(queries.vacant_beds(bed.facility_id)) if can_manage and stay else []
    return Markup(render_template(
        "facilities/_bed.html", bed=bed, state=queries.state_of(bed.id), keep=dict(keep), is_bureau=is_bureau,
        stay=stay if with_residents else None,
        occupied_since=stay.start_on if stay else None, hold=queries.active_hold_of(bed.id),
        history=queries.stays_of_bed(bed.id, with_residents=with_residents), can_manage=can_manage,
        discharge_form=DischargeForm(on=today), transfer_form=transfer_form,
        away_form=AwayForm(away=stay.away.value if stay is not None and stay.away else ""),
        care_type_form=CareTypeForm(care_type=bed.care_type.value), hold_form=HoldForm(), action_form=ActionForm(),
        retire_form=RetireForm(on=today),
    ))


def _open_stay(bed):
    stay = queries.open_stay_of(bed.id)
    if stay is None:
        raise services.StayAlreadyEnded(_l("Nobody is staying in bed %(code)s.", code=bed.code))
    return stay


@bp.post("/beds/<int:bed_id>/discharge")
@policy.roles_required(Role.facility_manager)
def discharge(bed_id):
    bed = _bed(bed_id, manage=True)
    form = DischargeForm()
    return form_actions.run(
        form,
        lambda: services.discharge(current_user, _open_stay(bed), on=form.on.data, reason=EndReason(form.reason.data)),
        lambda stay: _l("%(name)s left bed %(code)s on %(day)s (%(reason)s); the bed now needs cleaning.",
                        name=stay.elder.name, code=bed.code, day=format_date(stay.end_on, "yyyy-MM-dd"),
                        reason=labels.END_REASON[stay.end_reason]),
        _bed_page(bed),
    )


@bp.post("/beds/<int:bed_id>/transfer")
@policy.roles_required(Role.facility_manager)
def transfer(bed_id):
    bed = _bed(bed_id, manage=True)
    form = TransferForm()
    form.to_bed_id.choices = bed_choices(queries.vacant_beds(bed.facility_id))
    return form_actions.run(
        form,
        lambda: services.transfer(current_user, _open_stay(bed), db.session.get(Bed, form.to_bed_id.data),
                                  on=form.on.data),
        lambda stay: _l("%(name)s moved to bed %(code)s.", name=stay.elder.name, code=stay.bed.code),
        _bed_page(bed),
        then=lambda stay: url_for("facilities.bed", bed_id=stay.bed_id, **board_filters()),
    )


@bp.post("/beds/<int:bed_id>/away")
@policy.roles_required(Role.facility_manager)
def away(bed_id):
    bed = _bed(bed_id, manage=True)
    form = AwayForm()
    return form_actions.run(form, lambda: services.set_away(current_user, _open_stay(bed), form.away_value()),
                            lambda stay: _l("%(name)s is now %(where)s.", name=stay.elder.name,
                                            where=labels.AWAY[stay.away] if stay.away else _l("back in the bed")),
                            _bed_page(bed))


@bp.post("/beds/<int:bed_id>/clean")
@policy.roles_required(Role.facility_manager)
def clean(bed_id):
    bed = _bed(bed_id, manage=True)
    return form_actions.run(ActionForm(), lambda: services.mark_cleaned(current_user, bed),
                  _l("Bed %(code)s is clean and vacant.", code=bed.code),
                  url_for("facilities.board", facility_id=bed.facility_id, **board_filters()))


@bp.post("/beds/<int:bed_id>/out-of-service")
@policy.roles_required(Role.facility_manager)
def out_of_service(bed_id):
    bed = _bed(bed_id, manage=True)
    return form_actions.run(ActionForm(), lambda: services.take_out_of_service(current_user, bed),
                  _l("Bed %(code)s is out of service.", code=bed.code), _bed_page(bed))


@bp.post("/beds/<int:bed_id>/return-to-service")
@policy.roles_required(Role.facility_manager)
def return_to_service(bed_id):
    bed = _bed(bed_id, manage=True)
    return form_actions.run(ActionForm(), lambda: services.return_to_service(current_user, bed),
                  _l("Bed %(code)s is back in service.", code=bed.code), _bed_page(bed))


@bp.post("/beds/<int:bed_id>/care-type")
@policy.roles_required(Role.facility_manager)
def care_type(bed_id):
    bed = _bed(bed_id, manage=True)
    form = CareTypeForm()
    return form_actions.run(form, lambda: services.change_care_type(current_user, bed, CareType(form.care_type.data)),
                            lambda changed: _l("Bed %(code)s is now %(care)s.", code=changed.code,
                                               care=labels.CARE_TYPE[changed.care_type]),
                            _bed_page(bed))


@bp.post("/beds/<int:bed_id>/retire")
@policy.roles_required(Role.facility_manager)
def retire(bed_id):
    bed = _bed(bed_id, manage=True)
    form = RetireForm()
    return form_actions.run(form, lambda: services.retire_bed(current_user, bed, on=form.on.data),
                            _l("Bed %(code)s is retired: it no longer counts from that day.", code=bed.code),
                            _bed_page(bed))


@bp.post("/beds/<int:bed_id>/hold")
@policy.roles_required(Role.facility_manager)
def hold(bed_id):
    bed = _bed(bed_id, manage=True)
    form = HoldForm()
    return form_actions.run(
        form,
        lambda: services.place_hold(current_user, bed, until=utcnow() + timedelta(hours=form.hours.data),
                                    note=form.note.data or ""),
        lambda hold: _l("Bed %(code)s is on hold until %(until)s.", code=bed.code,
                        until=format_datetime(hold.expires_at, "yyyy-MM-dd HH:mm")),
        _bed_page(bed),
    )


@bp.post("/beds/<int:bed_id>/release-hold")
@policy.roles_required(Role.facility_manager)
def release_hold(bed_id):
    bed = _bed(bed_id, manage=True)
    return form_actions.run(ActionForm(), lambda: services.release_hold(current_user, bed),
                  _l("The hold on bed %(code)s was released.", code=bed.code),
                  _bed_page(bed))


# The beds a bulk addition made, listed in full on the rooms page it goes back to (once).
ADDED_BEDS = "added_beds"


def beds_added(beds) -> str:
    """Short whatever the batch: the count with the first and last codes ("3-01 … 3-12")."""
    codes = beds[0].code if len(beds) == 1 else f"{beds[0].code} … {beds[-1].code}"
    return lazy_ngettext("Added %(num)s bed: %(codes)s", "Added %(num)s beds: %(codes)s", len(beds), codes=codes)


def _show_added(beds, back: str) -> str:
    session[ADDED_BEDS] = [bed.id for bed in beds]
    return back


@bp.route("/facilities/<int:facility_id>/rooms", methods=["GET", "POST"])
@policy.roles_required(*STAFF)
def rooms(facility_id):
    """Rooms and beds of a facility; its managers add rooms and beds here."""
    facility = _facility(facility_id)
    can_manage = policy.can_manage_facility(current_user, facility.id)
    room_choices = [SelectChoice(r.id, r.code) for r in facility.rooms]
    room_form, beds_form, bed_form = RoomForm(prefix="room"), BedsForm(prefix="beds"), BedForm(prefix="bed")
    beds_form.room_id.choices = room_choices
    bed_form.room_id.choices = [SelectChoice(0, "—"), *room_choices]
    if request.method == "POST":
        policy.require(can_manage)
        back = url_for("facilities.rooms", facility_id=facility.id)
        which = request.form.get("which")
        if which == "room":
            return form_actions.run(room_form, lambda: services.create_room(
                current_user, facility, code=room_form.code.data, floor=room_form.floor.data),
                _l("Room added."), back)
        if which == "beds":
            return form_actions.run(beds_form, lambda: services.bulk_create_beds(
                current_user, facility, room=_room_of(facility, beds_form.room_id.data), count=beds_form.count.data,
                care_type=CareType(beds_form.care_type.data), kind=BedKind(beds_form.kind.data)),
                beds_added, back, then=lambda beds: _show_added(beds, back))
        if which == "bed":
            return form_actions.run(bed_form, lambda: services.create_bed(
                current_user, facility, code=bed_form.code.data, care_type=CareType(bed_form.care_type.data),
                kind=BedKind(bed_form.kind.data),
                room=_room_of(facility, bed_form.room_id.data) if bed_form.room_id.data else None),
                lambda bed: beds_added([bed]), back)
        abort(400)
    counts = queries.beds_per_room(facility.id)
    added = session.pop(ADDED_BEDS, None)
    return render_template("facilities/rooms.html", facility=facility, can_manage=can_manage, counts=counts,
                           room_form=room_form, beds_form=beds_form, bed_form=bed_form,
                           added=queries.beds_named(facility.id, added) if added else [])


def _room_of(facility, room_id) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or room.facility_id != facility.id:
        raise services.InvalidInput(_l("That room belongs to another facility."))
    return room


@bp.get("/facilities/<int:facility_id>/census")
@policy.roles_required(*STAFF)
def census(facility_id):
    facility = _facility(facility_id)
    try:
        on = date.fromisoformat(request.args["on"]) if request.args.get("on") else local_today()
    except ValueError:
        flash(_l("Please enter a date as YYYY-MM-DD."), "error")
        on = local_today()
    if on > local_today():
        flash(_l("The census is for today or a past day."), "error")
        on = local_today()
    data = queries.census([facility.id], on, with_residents=policy.can_see_residents(current_user, facility.id))
    return render_template("facilities/census.html", facility=facility, census=data)


@bp.route("/facilities/<int:facility_id>/meals", methods=["GET", "POST"])
@policy.roles_required(*STAFF)
def meals(facility_id):
    """A meal point's daily meals: its managers enter the day's figure, others read the log."""
    facility = _facility(facility_id)
    if facility.type != FacilityType.meal_point:
        abort(404)
    can_manage = policy.can_manage_facility(current_user, facility.id)
    form = MealForm()
    if request.method == "POST":
        policy.require(can_manage)
        return form_actions.run(form, lambda: services.record_meals(
            current_user, facility, day=form.day.data, meals=form.meals.data,
            subsidised_by_category=form.subsidised()), _l("Saved."),
            url_for("facilities.meals", facility_id=facility.id))
    form.day.data = local_today()
    return render_template("facilities/meals.html", facility=facility, form=form, can_manage=can_manage,
                           log=queries.meal_log(facility.id))


@bp.post("/beds/<int:bed_id>/open")
@policy.roles_required(Role.facility_manager)
def open_to_public(bed_id):
    bed = _bed(bed_id, manage=True)
    flag = {"1": True, "0": False}.get(request.form.get("open"))

    def run():
        if flag is None:
            raise InvalidInput(_l("Choose whether to open or close the bed."))
        services.set_open_to_public(current_user, bed, flag)

    message = (_l("Bed %(code)s is open to the public.", code=bed.code) if flag
               else _l("Bed %(code)s is closed to the public.", code=bed.code))
    return form_actions.run(ActionForm(), run, message, _bed_page(bed))
