"""Placement applications: the transition table, priority, ability levels, the tekun guard,
offers and their expiry, and families kept apart."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from eldercare.auth.models import Role, User
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import queries as bed_queries
from eldercare.facilities import services as bed_services
from eldercare.facilities.models import Bed, BedHold, BedState, CareType, FacilityType
from eldercare.facilities.reserve import reserves
from eldercare.models import utcnow
from eldercare.notifications import Notification, Outbox
from eldercare.placements import priority, queries, workflow
from eldercare.placements.models import TRANSITIONS, Action, Application, ApplicationEvent, PriorityWeight, Status
from eldercare.residents.models import AbilityLevel, Category, Elder
from eldercare.residents.rules import assess
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post

ROLE_OF = {"family": Role.family, "bureau": Role.bureau_staff, "manager": Role.facility_manager}


# --- the transition table -------------------------------------------------------------------

@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_transition_is_allowed_or_refused_by_the_table(app, status, action):
    family = factories.user("fam", Role.family)
    users = {"family": family, "bureau": factories.user("staff", Role.bureau_staff),
             "manager": factories.user("mgr", Role.facility_manager), "system": None}
    for who, actor in users.items():
        application = factories.application(family, status=status)
        rule = TRANSITIONS.get((status, action))
        if rule is not None and who in rule[1]:
            workflow._transition(actor, application, action, reason="因为")
            assert application.status == rule[0]
            event = db.session.scalar(select(ApplicationEvent).where(ApplicationEvent.application_id == application.id))
            assert (event.from_status, event.to_status, event.actor_id) == (status, rule[0],
                                                                            actor.id if actor else None)
        else:
            with pytest.raises(workflow.InvalidTransition):
                workflow._transition(actor, application, action)
            db.session.rollback()
            assert db.session.get(Application, application.id).status == status
        db.session.commit()


def test_table_matches_the_issue():
    assert TRANSITIONS[Status.offered, Action.decline][0] == Status.approved  # back to the waitlist
    assert TRANSITIONS[Status.offered, Action.expire][0] == Status.approved
    assert (Status.admitted, Action.withdraw) not in TRANSITIONS
    assert all((s, Action.withdraw) in TRANSITIONS for s in
               (Status.draft, Status.submitted, Status.under_review, Status.more_info, Status.approved,
                Status.offered, Status.accepted))


# --- ability assessment ---------------------------------------------------------------------

@pytest.mark.parametrize("scores, adjustments, total, level", [
    ((32, 15, 28, 15), {}, 90, AbilityLevel.intact),
    ((32, 15, 28, 14), {}, 89, AbilityLevel.mild),
    ((20, 10, 20, 16 - 1), {}, 65, AbilityLevel.moderate),
    ((20, 10, 16, 0), {}, 46, AbilityLevel.moderate),
    ((15, 5, 10, 0), {}, 30, AbilityLevel.severe),
    ((10, 5, 10, 4), {}, 29, AbilityLevel.complete),
    ((32, 15, 28, 15), {"coma": True}, 90, AbilityLevel.complete),
    ((32, 15, 28, 14), {"dementia_or_psychiatric": True}, 89, AbilityLevel.moderate),
    ((32, 15, 28, 14), {"risk_events_30d": 2}, 89, AbilityLevel.moderate),
    ((32, 15, 28, 14), {"risk_events_30d": 1}, 89, AbilityLevel.mild),
    ((32, 15, 28, 14), {"dementia_or_psychiatric": True, "risk_events_30d": 3}, 89, AbilityLevel.severe),
    ((10, 5, 10, 4), {"dementia_or_psychiatric": True, "risk_events_30d": 2}, 29, AbilityLevel.complete),
])
def test_assessment_levels(app, scores, adjustments, total, level):
    result = assess(self_care=scores[0], mobility=scores[1], mental=scores[2], perception=scores[3], **adjustments)
    assert (result.total, result.level) == (total, level)


@pytest.mark.parametrize("field, value", [("self_care", 33), ("mobility", -1), ("mental", 29), ("perception", 16)])
def test_assessment_refuses_scores_out_of_range(app, field, value):
    scores = {"self_care": 10, "mobility": 5, "mental": 10, "perception": 5, field: value}
    with pytest.raises(InvalidInput):
        assess(**scores)


def test_assessment_form_stores_level_and_refuses_bad_scores(db, client, bureau_staff, family):
    elder = factories.elder(ability_level=None)
    application = factories.application(family, elder, status=Status.under_review)
    login(client, bureau_staff)
    bad = post(client, f"/applications/{application.id}/assess", {"self_care": "40", "mobility": "5", "mental": "5",
                                                      "perception": "5"})
    assert bad.status_code == 422
    assert db.session.get(type(elder), elder.id).ability_level is None
    post(client, f"/applications/{application.id}/assess", {"self_care": "10", "mobility": "5", "mental": "20",
                                                "perception": "5", "risk_events_30d": "2"})
    db.session.expire_all()
    assert db.session.get(type(elder), elder.id).ability_level == AbilityLevel.complete  # 40 severe, +1


# --- priority -------------------------------------------------------------------------------

def test_score_is_the_sum_of_its_terms(app):
    today = date(2026, 6, 1)
    family = factories.user("fam", Role.family)
    elder = factories.elder(birth=date(1940, 1, 1), ability_level=AbilityLevel.severe)  # 86 years old
    application = factories.application(family, elder, status=Status.approved, category=Category.dibao,
                                        severe_disability=True, living_alone=True)
    application.submitted_at = utcnow().replace(year=2026, month=5, day=22)  # 10 days waiting
    terms = dict(priority.score_terms(application, today))
    assert terms == {"category": 40.0, "ability": 30.0, "severe_disability": 25.0, "living_alone": 15.0,
                     "age": 6.0, "waiting": 1.0}
    assert priority.score(application, today) == 117.0


def test_weights_are_configuration(app):
    family = factories.user("fam", Role.family)
    application = factories.application(family, status=Status.approved, category=Category.dibao_edge)
    db.session.add(PriorityWeight(key="category.dibao_edge", points=55))
    db.session.commit()
    assert dict(priority.score_terms(application, local_today()))["category"] == 55.0


def test_admin_changes_weights_and_bad_weights_change_nothing(db, client, bureau_admin):
    from eldercare.placements.priority import DEFAULT_WEIGHTS

    login(client, bureau_admin)
    form = {key.replace(".", "__"): str(value) for key, value in DEFAULT_WEIGHTS.items()}
    response = post(client, "/review/weights", {**form, "category__dibao": "60"})
    assert response.status_code == 302 and priority.weights()["category.dibao"] == 60
    bad = post(client, "/review/weights", {**form, "living_alone": "-5"})
    assert bad.status_code == 422 and priority.weights()["living_alone"] == DEFAULT_WEIGHTS["living_alone"]


# --- the tekun reserve guard ----------------------------------------------------------------

@pytest.fixture
def public_home(db, town):
    home = factories.facility(town, "如城敬老院", FacilityType.public_home, tekun_reserve=4)
    beds = [factories.bed(home, code=f"J-{i}") for i in range(6)]
    return home, beds


def test_opening_a_bed_the_reserve_needs_is_refused_with_figures(db, public_home):
    home, beds = public_home
    manager = factories.user("jly", Role.facility_manager, facilities=[home])
    for bed in beds[:2]:
        bed_services.admit(manager, bed, factories.elder(category=Category.tekun), on=local_today())
    db.session.commit()
    # reserve 4: 2 tekun residents, 2 vacant beds kept; 4 vacant closed beds -> 2 may open
    bed_services.set_open_to_public(manager, beds[2], True)
    bed_services.set_open_to_public(manager, beds[3], True)
    db.session.commit()
    with pytest.raises(bed_services.ReserveNeeded, match="4") as refused:
        bed_services.set_open_to_public(manager, beds[4], True)
    assert "2" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Bed, beds[4].id).open_to_public is False
    assert reserves()[home.id].open_beds == 2


def test_pending_tekun_applications_raise_the_default_reserve(db, public_home):
    home, beds = public_home
    home.tekun_reserve = None
    family = factories.user("fam", Role.family)
    factories.application(family, status=Status.submitted, category=Category.tekun,
                          preferred_facility_ids=[home.id])
    db.session.commit()
    assert reserves()[home.id].reserve == 1


# --- offers ---------------------------------------------------------------------------------

@pytest.fixture
def waitlist(db, facility):
    family = factories.user("fam", Role.family, )
    family.phone = "13900000001"
    manager = factories.user("mgr", Role.facility_manager, facilities=[facility])
    staff = factories.user("staff", Role.bureau_staff)
    bed = factories.bed(facility, code="101-1", open_to_public=True)
    application = factories.application(family, status=Status.approved, preferred_town_ids=[facility.town_id])
    application.approved_at = utcnow()
    db.session.commit()
    return {"family": family, "manager": manager, "staff": staff, "bed": bed, "application": application}


def test_offer_accept_admit_creates_the_stay_and_tells_everyone(db, waitlist):
    w = waitlist
    workflow.offer(w["staff"], w["application"], w["bed"])
    db.session.commit()
    assert bed_queries.state_of(w["bed"].id) == BedState.on_hold
    workflow.accept(w["family"], w["application"])
    stay = workflow.admit(w["manager"], w["application"], on=local_today())
    db.session.commit()
    assert w["application"].status == Status.admitted and w["application"].stay_id == stay.id
    assert bed_queries.state_of(w["bed"].id) == BedState.occupied
    family_notes = db.session.scalar(select(func.count()).select_from(Notification)
                                     .where(Notification.user_id == w["family"].id))
    assert family_notes == 3  # offered, accepted, admitted
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == w["manager"].id)) == 1  # the accepted offer
    assert db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.recipient == "13900000001")) == 3


def test_disabled_elder_is_offered_nursing_beds_only(db, waitlist, facility):
    w = waitlist
    w["application"].ability_level = AbilityLevel.moderate
    ordinary = factories.bed(facility, code="101-2", care_type=CareType.ordinary, open_to_public=True)
    db.session.commit()
    assert queries.ranked_for_bed(ordinary, local_today()) == []
    with pytest.raises(workflow.NotEligible):
        workflow.offer(w["staff"], w["application"], ordinary)
    assert [r["application"].id for r in queries.ranked_for_bed(w["bed"], local_today())] == [w["application"].id]


def test_declined_offer_goes_back_to_its_place(db, waitlist):
    w = waitlist
    place = w["application"].approved_at
    workflow.offer(w["staff"], w["application"], w["bed"])
    workflow.decline(w["family"], w["application"])
    db.session.commit()
    assert w["application"].status == Status.approved and w["application"].approved_at == place
    assert bed_queries.state_of(w["bed"].id) == BedState.vacant


def test_expiry_job_returns_bed_and_application_and_is_idempotent(db, waitlist):
    from eldercare.jobs import expire_offers

    w = waitlist
    workflow.offer(w["staff"], w["application"], w["bed"], hours=1)
    db.session.commit()
    assert expire_offers() == 0  # not yet
    w["application"].offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert expire_offers() == 1
    assert expire_offers() == 0
    db.session.expire_all()
    assert db.session.get(Application, w["application"].id).status == Status.approved
    assert bed_queries.state_of(w["bed"].id) == BedState.vacant
    actions = [e.action for e in db.session.get(Application, w["application"].id).events]
    assert actions == [Action.offer, Action.expire]


def test_two_reviewers_offering_one_bed_at_once_make_one_offer(app, waitlist):
    w = waitlist
    other = factories.application(w["family"], status=Status.approved)
    other.approved_at = utcnow()
    db.session.commit()
    ids = [w["application"].id, other.id]
    barrier = threading.Barrier(2)
    outcomes = []

    def run(application_id):
        with app.app_context():
            barrier.wait()
            try:
                workflow.offer(db.session.get(User, w["staff"].id), db.session.get(Application, application_id),
                               db.session.get(Bed, w["bed"].id))
                db.session.commit()
                outcomes.append("ok")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(str(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1, outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(BedHold).where(BedHold.released_at.is_(None))) == 1
    statuses = sorted(db.session.get(Application, i).status.value for i in ids)
    assert statuses == ["approved", "offered"]


# --- families kept apart --------------------------------------------------------------------

def test_a_family_cannot_see_or_change_another_familys_application(db, client, facility):
    owner = factories.user("owner", Role.family)
    intruder = factories.user("intruder", Role.family)
    bed = factories.bed(facility, open_to_public=True)
    application = factories.application(owner, status=Status.offered, offered_bed=bed)
    login(client, intruder)
    base = f"/applications/{application.id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/edit").status_code == 404
    for action in ("edit", "submit", "withdraw", "accept", "decline"):
        assert post(client, f"{base}/{action}", {"name": "改名", "consent": "y"}).status_code == 404, action
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == Status.offered
    assert db.session.scalar(select(func.count()).select_from(ApplicationEvent)) == 0
    assert "owner" not in client.get("/applications").get_data(as_text=True)


# --- the public page and the figures -------------------------------------------------------

def test_public_open_beds_page_counts_without_personal_data(db, client, public_home):
    home, beds = public_home
    manager = factories.user("jly", Role.facility_manager, facilities=[home])
    bed_services.admit(manager, beds[0], factories.elder(name="张秀英", category=Category.tekun), on=local_today())
    for bed in beds[1:4]:
        bed.open_to_public = True
    home.tekun_reserve = 3  # 1 resident, 2 vacant beds to keep; only 2 vacant closed -> all 3 open
    db.session.commit()
    page = client.get("/open-beds").get_data(as_text=True)
    assert 'data-testid="open-nursing">3<' in page and "如城敬老院" in page
    assert "张秀英" not in page and "320682" not in page
    home.tekun_reserve = 5  # 4 vacant needed, 2 closed -> 2 of the open ones go back to the reserve
    db.session.commit()
    assert 'data-testid="open-nursing">1<' in client.get("/open-beds").get_data(as_text=True)


def test_waitlist_figures(db, waitlist):
    w = waitlist
    workflow.offer(w["staff"], w["application"], w["bed"])
    workflow.accept(w["family"], w["application"])
    workflow.admit(w["manager"], w["application"], on=local_today())
    w["application"].submitted_at = w["application"].admitted_at - timedelta(days=12)
    db.session.commit()
    figures = queries.waitlist_figures()
    assert figures["by_status_category"] == {"admitted": {"general": 1}}
    assert round(figures["median_days_to_admission"]) == 12


# --- forms and personal data ----------------------------------------------------------------

def application_form(**fields):
    return {"name": "王秀英", "id_number": "11010519491231002X", "category": "dibao", "relation": "女儿",
            "contact_name": "李丽", "contact_phone": "13912345678", "notes": "", **fields}


def test_family_drafts_through_the_form_and_bad_input_saves_nothing(db, client, family):
    login(client, family)
    bad = post(client, "/applications/new", application_form(id_number="340524198001010013"))
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert post(client, "/applications/new", application_form(contact_phone="12345")).status_code == 422
    response = post(client, "/applications/new", application_form())
    assert response.status_code == 302
    application = db.session.scalar(select(Application))
    assert application.status == Status.draft and application.birth_on == date(1949, 12, 31)
    assert application.elder_id is None and db.session.scalar(select(func.count()).select_from(Elder)) == 0
    refused = post(client, f"/applications/{application.id}/submit", {}, follow_redirects=True)
    assert application.status == Status.draft  # no consent, not sent
    assert "同意" in refused.get_data(as_text=True) or "agree" in refused.get_data(as_text=True)
    post(client, f"/applications/{application.id}/submit", {"consent": "y"})
    db.session.expire_all()
    sent = db.session.get(Application, application.id)
    assert sent.status == Status.submitted and sent.consent_at is not None
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "110105********002X" in page and "11010519491231002X" not in page
    # a submitted application can no longer be changed
    assert post(client, f"/applications/{application.id}/edit", application_form(name="别人")).status_code == 422


def test_one_application_at_a_time_for_one_person(db, client, family):
    login(client, family)
    assert post(client, "/applications/new", application_form()).status_code == 302
    first = db.session.scalar(select(Application))
    again = post(client, "/applications/new", application_form())  # a second click, or a second try
    assert again.status_code == 422 and f"第 {first.id} 号申请" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1
    first.status = Status.withdrawn  # once it is over, the person may be applied for again
    db.session.commit()
    assert post(client, "/applications/new", application_form()).status_code == 302


def test_full_id_number_only_for_bureau_and_every_view_audited(db, client, bureau_staff, family):
    from eldercare.audit import AuditEvent

    application = factories.application(family, status=Status.submitted)
    number = application.id_number
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert number not in page and number[:6] + "********" + number[-4:] in page
    shown = post(client, f"/applications/{application.id}/reveal-id").get_data(as_text=True)
    assert number in shown
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.view_id_number"))
    assert event.actor_id == bureau_staff.id and event.entity_id == application.id
    assert number not in str(event.before) + str(event.after)
    post(client, "/logout")
    login(client, family)
    assert post(client, f"/applications/{application.id}/reveal-id").status_code == 403


def test_tekun_applications_wait_for_reserved_beds_only(db, public_home, waitlist):
    home, beds = public_home
    tekun = factories.application(waitlist["family"], status=Status.approved, category=Category.tekun)
    tekun.approved_at = utcnow()
    db.session.commit()
    open_ids = [r["application"].id for r in queries.ranked_for_bed(waitlist["bed"], local_today())]
    assert tekun.id not in open_ids and waitlist["application"].id in open_ids
    reserved = [r["application"].id for r in queries.ranked_for_bed(beds[0], local_today())]
    assert reserved == [tekun.id]
    with pytest.raises(workflow.NotEligible):
        workflow.offer(waitlist["staff"], tekun, waitlist["bed"])
    workflow.offer(waitlist["staff"], tekun, beds[0])
    assert tekun.status == Status.offered


def test_the_workflow_itself_refuses_another_familys_action(db):
    owner, other = factories.user("owner", Role.family), factories.user("other", Role.family)
    application = factories.application(owner)
    with pytest.raises(workflow.InvalidTransition):
        workflow.submit(other, application, consent=True)
    db.session.rollback()
    assert db.session.get(Application, application.id).status == Status.draft
