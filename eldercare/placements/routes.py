from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from eldercare import cache, form_actions
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities import queries as bed_queries
from eldercare.facilities.models import Bed, BedState, Town
from eldercare.identity import mask_id_number
from eldercare.notifications import mark_all_read, recent
from eldercare.placements import matching, next_steps, priority, public, queries, workflow
from eldercare.placements.documents import OPEN_FOR_DOCUMENTS, applications_of_town, documents_of
from eldercare.placements.forms import (
    AdmitApplicationForm,
    ApplicationForm,
    ApproveForm,
    DocumentForm,
    GroupOrderForm,
    OfferForm,
    ReasonForm,
    SubmitForm,
    WeightsForm,
)
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Category
from eldercare.residents.queries import open_identity_cases
from eldercare.residents.routes import assessment_page
from eldercare.routing import id_asked, page_asked, page_rows
from eldercare.timekeeping import local_today

bp = Blueprint("placements", __name__)

# Who applies and follows applications: families, and town assistants on behalf of elders without family.
APPLICANTS = (Role.family, Role.town_assistant)


def _application(application_id: int) -> Application:
    """The application if the user may see it; 404 otherwise, so a family cannot learn
    whether someone else's application exists by trying numbers."""
    return policy.fetch(Application, application_id, policy.can_view_application)


def _own(application_id: int) -> Application:
    return policy.fetch(Application, application_id, policy.can_view_application,
                        allowed=policy.can_change_application)


@bp.get("/open-beds")
def open_beds():
    """Public: open beds by town, home and care type; counts only, no personal data. The towns
    with their counts come first, then the homes a page at a time (a town's in a click)."""
    town_id = id_asked("town")
    care_type = request.args.get("care_type") or None
    if town_id is not None and town_id not in dict(public.town_choices()):
        abort(404)
    page, pages = page_asked(public.home_count(public.filtered(town_id, care_type)))
    return render_template("placements/open_beds.html", listing=_open_beds_listing(town_id, care_type, page, pages))


@cache.rendered
def _open_beds_listing(town_id: int | None, care_type: str | None, page: int, pages: int) -> Markup:
    """The open beds page's figures and list, rendered once for every reader until anything changes."""
    data = public.filtered(town_id, care_type)
    return Markup(render_template("placements/_open_beds_listing.html", data=data, towns=public.town_choices(),
                                  shown=public.page_of(data, page), page=page, pages=pages, town_id=town_id,
                                  care_type=care_type))


@bp.get("/open-beds/<int:facility_id>")
def open_home(facility_id):
    """Public: one home's page (what it offers, its open beds, how to apply); no personal data."""
    return render_template("placements/open_home.html", home=public.home(facility_id))


def _choices(form):
    form.preferred_town_ids.choices = [SelectChoice(t.id, t.name)
                                       for t in db.session.execute(select(Town.id, Town.name).order_by(Town.code))]
    form.preferred_facility_ids.choices = [
        SelectChoice(f["id"], f"{f['town']} · {f['name']}") for f in queries.institutions()
    ]


@bp.get("/applications")
@policy.roles_required(*APPLICANTS)
def index():
    if current_user.role == Role.town_assistant:
        return render_template("placements/list.html", applications=applications_of_town(current_user.town_id),
                               next_step=next_steps.NEXT_STEP)
    return render_template("placements/list.html", applications=queries.applications_of_family(current_user.id),
                           next_step=next_steps.NEXT_STEP)


@bp.route("/applications/new", methods=["GET", "POST"])
@policy.roles_required(*APPLICANTS)
def new():
    return _edit(None)


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@policy.roles_required(*APPLICANTS)
def edit(application_id):
    return _edit(_own(application_id))


def _edit(application):
    form = ApplicationForm(obj=application)
    _choices(form)
    if request.method == "GET" and application is not None:
        form.name.data = application.elder_name
        form.category.data = application.category.value
    if request.method == "GET" and application is None:
        form.category.data = Category.general.value
    form.id_number.data = form.id_number.data if request.method == "POST" else ""
    if application is not None:
        form.id_number.validators = [Optional(), *form.id_number.validators[1:]]
    if form.validate_on_submit():
        try:
            saved = workflow.save_draft(
                current_user, application, name=form.name.data, id_number=form.id_number.data,
                category=Category(form.category.data), severe_disability=form.severe_disability.data,
                living_alone=form.living_alone.data, empty_nest=form.empty_nest.data, relation=form.relation.data,
                contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                preferred_town_ids=form.preferred_town_ids.data,
                preferred_facility_ids=form.preferred_facility_ids.data, needs_nursing=form.needs_nursing.data,
                notes=form.notes.data or "",
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form_actions.show_error(form, error)
        else:
            flash(_l("Saved. Check it, then send it to the civil-affairs bureau."), "success")
            return redirect(url_for("placements.show", application_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("placements/form.html", form=form, application=application,
                           masked_id=mask_id_number(application.id_number) if application else None), status


@bp.route("/applications/<int:application_id>", methods=["GET"])
@login_required
def show(application_id):
    application = _application(application_id)
    return _render_show(application, full_id=None)


def _render_show(application, full_id):
    today = local_today()
    return render_template(
        "placements/show.html", application=application, full_id=full_id,
        detail=queries.application_detail(application, today, for_family=current_user.role in APPLICANTS),
        for_family=current_user.role in APPLICANTS, placed=next_steps.placed_bed(application),
        call_by=next_steps.call_by(application), next_step=next_steps.NEXT_STEP[application.status],
        approve_form=ApproveForm(),
        actions=workflow.allowed_actions(application, current_user),
        submit_form=SubmitForm(), reason_form=ReasonForm(), admit_form=AdmitApplicationForm(on=today),
        can_review=policy.can_review_applications(current_user),
        can_admit=application.status == Status.accepted and (
            current_user.is_bureau or policy.can_manage_facility(current_user, application.offered_bed.facility_id)),
        can_reveal=policy.can_see_full_id_numbers(current_user),
        documents=documents_of(application), document_form=DocumentForm(),
        can_attach=(policy.can_change_application(current_user, application)
                    and application.status in OPEN_FOR_DOCUMENTS),
    )


@bp.post("/applications/<int:application_id>/reveal-id")
@policy.roles_required(*BUREAU_ROLES)
def reveal_id(application_id):
    """Show the full ID number once, on this page only; the view is audited."""
    application = _application(application_id)
    full_id = workflow.reveal_id_number(current_user, application)
    db.session.commit()
    return _render_show(application, full_id=full_id)


def _back(application):
    return url_for("placements.show", application_id=application.id)


@bp.post("/applications/<int:application_id>/submit")
@policy.roles_required(*APPLICANTS)
def submit(application_id):
    application = _own(application_id)
    form = SubmitForm()
    return form_actions.run(form, lambda: workflow.submit(current_user, application, consent=form.consent.data),
                _l("Sent. The civil-affairs bureau will review it."), _back(application))


@bp.post("/applications/<int:application_id>/withdraw")
@policy.roles_required(*APPLICANTS)
def withdraw(application_id):
    application = _own(application_id)
    return form_actions.run(SubmitForm(), lambda: workflow.withdraw(current_user, application), _l("Withdrawn."),
                _back(application))


@bp.post("/applications/<int:application_id>/accept")
@policy.roles_required(*APPLICANTS)
def accept(application_id):
    application = _own(application_id)
    return form_actions.run(SubmitForm(), lambda: workflow.accept(current_user, application),
                _l("Accepted. The home will contact you about the admission."), _back(application))


@bp.post("/applications/<int:application_id>/decline")
@policy.roles_required(*APPLICANTS)
def decline(application_id):
    application = _own(application_id)
    return form_actions.run(SubmitForm(), lambda: workflow.decline(current_user, application),
                _l("Declined. The application keeps its place on the waitlist."), _back(application))


@bp.post("/applications/<int:application_id>/review")
@policy.roles_required(*BUREAU_ROLES)
def start_review(application_id):
    application = _application(application_id)
    return form_actions.run(SubmitForm(), lambda: workflow.start_review(current_user, application), _l("Saved."),
                _back(application))


@bp.post("/applications/<int:application_id>/approve")
@policy.roles_required(*BUREAU_ROLES)
def approve(application_id):
    application = _application(application_id)
    form = ApproveForm()
    return form_actions.run(form, lambda: workflow.approve(current_user, application,
                                                           apply_declared=form.apply_declared.data),
                            _l("Approved: the application is on the waitlist."), _back(application))


@bp.post("/applications/<int:application_id>/reject")
@policy.roles_required(*BUREAU_ROLES)
def reject(application_id):
    application = _application(application_id)
    form = ReasonForm()
    return form_actions.run(form, lambda: workflow.reject(current_user, application, form.reason.data), _l("Rejected."),
                _back(application))


@bp.post("/applications/<int:application_id>/request-info")
@policy.roles_required(*BUREAU_ROLES)
def request_info(application_id):
    application = _application(application_id)
    form = ReasonForm()
    return form_actions.run(form, lambda: workflow.request_info(current_user, application, form.reason.data),
                _l("Sent back to the family."), _back(application))


@bp.post("/applications/<int:application_id>/withdraw-offer")
@policy.roles_required(*BUREAU_ROLES)
def withdraw_offer(application_id):
    application = _application(application_id)
    form = ReasonForm()
    return form_actions.run(form, lambda: workflow.withdraw_offer(current_user, application, form.reason.data),
                            _l("The offer is withdrawn and the bed is free; the application is back on the waitlist."),
                            _back(application))


@bp.post("/applications/<int:application_id>/offer")
@policy.roles_required(*BUREAU_ROLES)
def offer(application_id):
    application = _application(application_id)
    form = OfferForm()

    def run():
        bed = db.session.get(Bed, form.bed_id.data)
        if bed is None:
            abort(404)
        workflow.offer(current_user, application, bed, hours=form.hours.data)

    return form_actions.run(form, run, _l("The bed is offered and held for this application."), _back(application))


@bp.post("/applications/<int:application_id>/admit")
@policy.roles_required(Role.facility_manager, *BUREAU_ROLES)
def admit(application_id):
    application = _application(application_id)
    policy.require(application.offered_bed is not None and (
        current_user.is_bureau or policy.can_manage_facility(current_user, application.offered_bed.facility_id)))
    form = AdmitApplicationForm()
    return form_actions.run(form, lambda: workflow.admit(current_user, application, on=form.on.data),
                _l("Admitted."), _back(application))


@bp.get("/review")
@policy.roles_required(*BUREAU_ROLES)
def review():
    status = request.args.get("status") or None
    if status not in (None, *Status):
        abort(400)
    page, pages = page_asked(queries.review_count(status))
    return render_template("placements/review.html", listing=_review_list(status, local_today(), page, pages))


@cache.rendered
def _review_list(status: str | None, today, page: int, pages: int) -> Markup:
    """The review list, a page of it, rendered once for every bureau reader until anything changes
    (scores move with the day, which is why it is an argument)."""
    return Markup(render_template("placements/_review.html", status=status, page=page, pages=pages,
                                  rows=page_rows(queries.review_list(status, today), page),
                                  counts=queries.status_counts(), identity_cases=len(open_identity_cases())))


@bp.route("/review/weights", methods=["GET", "POST"])
@policy.roles_required(*BUREAU_ROLES)
def weights():
    """The priority weights: the bureau administrator changes them, staff read them."""
    current = priority.weights()
    form = WeightsForm(data={key.replace(".", "__"): value for key, value in current.items()})
    if request.method == "POST":
        policy.require(policy.can_manage_users(current_user))
        form = WeightsForm()
        if form.validate_on_submit():
            try:
                priority.set_weights(current_user, {key: form[key.replace(".", "__")].data for key in current})
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                flash(_l("Saved. Scores use the new weights at once."), "success")
                return redirect(url_for("placements.weights"))
    order = priority.group_order()
    groups_form = GroupOrderForm(data={key: place for place, key in enumerate(order, 1)})
    return render_template("placements/weights.html", form=form, groups_form=groups_form, groups=order,
                           can_change=policy.can_manage_users(current_user)), (422 if form.errors else 200)


@bp.post("/review/groups")
@policy.roles_required(Role.bureau_admin)
def groups():
    """The administrator's order of the policy groups (1 = first)."""
    form = GroupOrderForm()
    return form_actions.run(form, lambda: priority.set_group_order(current_user, {key: form[key].data
                                                                                  for key in priority.GROUPS}),
                            _l("Saved. Applications are ranked in the new order of groups at once."),
                            url_for("placements.weights"))


@bp.get("/beds/<int:bed_id>/match")
@policy.roles_required(*BUREAU_ROLES)
def match(bed_id):
    bed = db.get_or_404(Bed, bed_id)
    state = bed_queries.state_of(bed.id)
    return render_template("placements/match.html", bed=bed, state=state,
                           rows=queries.ranked_for_bed(bed, local_today()) if state == BedState.vacant else [],
                           offer_form=OfferForm(bed_id=bed.id))


@bp.get("/applications/<int:application_id>/beds")
@policy.roles_required(*BUREAU_ROLES)
def beds_for(application_id):
    """From an approved application, the vacant beds that fit it, one offer button per candidate."""
    application = _application(application_id)
    return render_template("placements/beds_for.html", application=application,
                           rows=matching.beds_for(application), offer_form=OfferForm(),
                           detail=queries.application_detail(application, local_today(), for_family=False))


@bp.route("/applications/<int:application_id>/assess", methods=["GET", "POST"])
@policy.roles_required(*BUREAU_ROLES)
def assess(application_id):
    """The bureau assesses an applicant whose record it has taken up for review."""
    application = _application(application_id)
    if application.elder is None or application.status not in workflow.ASSESSABLE:
        abort(404)
    return assessment_page(application.elder, _back(application),
                           save=lambda **scores: workflow.assess(current_user, application, **scores),
                           ask_reason=False)


@bp.get("/notifications")
@login_required
def notifications():
    """Reading the page changes nothing; the messages are marked read by the button (a POST)."""
    return render_template("placements/notifications.html", items=recent(current_user.id), form=SubmitForm())


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    return form_actions.run(SubmitForm(), lambda: mark_all_read(current_user.id), _l("All messages are marked read."),
                            url_for("placements.notifications"))


@bp.app_context_processor
def placement_helpers():
    """What the bed board and bed page (facilities, a lower layer) show of placements."""

    def offer_for_hold(hold):
        offer = queries.offer_for_hold(hold)
        if offer is not None:
            offer["admit_form"] = AdmitApplicationForm(on=local_today())
        return offer

    return {"offer_for_hold": offer_for_hold, "waiting_admissions": queries.waiting_admissions}


@bp.app_context_processor
def bell():
    from eldercare.notifications import unread_count

    if current_user and current_user.is_authenticated:
        return {"unread_notifications": unread_count(current_user.id)}
    return {"unread_notifications": 0}


