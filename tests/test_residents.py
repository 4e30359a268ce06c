"""One person, one record: the defects found from outside (issue 7), reproduced as they were found,
then the rules that close them. Run on SQLite and PostgreSQL like the rest of the suite."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.errors import DomainError
from eldercare.extensions import db as _db
from eldercare.facilities import services as beds
from eldercare.facilities.models import FacilityType, MealLog, Stay
from eldercare.identity import check_character
from eldercare.placements import workflow
from eldercare.placements.models import Application, Status
from eldercare.residents import services
from eldercare.residents.models import AbilityLevel, CaseSource, Category, Elder, IdentityCase
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post
from tests.test_concurrency import race

GONG_MEI = "320682193311194005"  # 龚梅, born 1933-11-19


def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


ASSESSED = {"assessment-self_care": "30", "assessment-mobility": "15", "assessment-mental": "28",
            "assessment-perception": "15"}  # 88: mild, entered with the admission


def admit_form(bed, **fields):
    return {"bed_id": bed.id, "name": "龚梅", "id_number": GONG_MEI, "category": "general",
            "on": local_today().isoformat(), **ASSESSED, **fields}


def application_form(**fields):
    return {"name": "龚梅", "id_number": GONG_MEI, "category": "dibao", "relation": "女儿",
            "contact_name": "李丽", "contact_phone": "13912345678", "notes": "", **fields}


# --- one spelling of an ID number --------------------------------------------------------

def test_a_full_width_digit_does_not_make_a_second_person(db, client, manager, facility, town):
    """Reproduced: 32068219３311194005 admitted while 320682193311194005 already had a stay."""
    other_home = factories.facility(town, name="另一家")
    other_manager = factories.user("mgr2", Role.facility_manager, facilities=[other_home])
    first, second = factories.bed(facility), factories.bed(other_home)
    login(client, manager)
    assert post(client, f"/facilities/{facility.id}/admit", admit_form(first)).status_code == 302
    post(client, "/logout")
    login(client, other_manager)
    page = post(client, f"/facilities/{other_home.id}/admit",
                admit_form(second, id_number="32068219３311194005"))
    assert page.status_code == 422
    assert "龚梅" in page.get_data(as_text=True)  # "already has a bed"
    assert count(Elder) == 1 and count(Stay, Stay.end_on.is_(None)) == 1


def test_a_superscript_digit_on_the_application_form_is_no_500(db, client, family):
    """Reproduced: a ² in the ID number on /applications/new answered 500."""
    login(client, family)
    response = post(client, "/applications/new", application_form(id_number="3206821933111940²5"))
    assert response.status_code in (302, 422)
    superscript = post(client, "/applications/new", application_form(id_number="32068219331119400⁵"))
    assert superscript.status_code == 302
    assert _db.session.scalar(select(Application.id_number)) == GONG_MEI


def test_the_database_keeps_one_record_per_number(db):
    factories.elder()
    number = _db.session.scalar(select(Elder.id_number))
    _db.session.add(Elder(name="别人", id_number=number, birth_on=date(1940, 5, 17), sex="male",
                          category=Category.general))
    with pytest.raises(Exception):  # noqa: B017 - the unique index, whatever the driver calls it
        _db.session.flush()
    _db.session.rollback()


# --- no squatting ------------------------------------------------------------------------

def test_a_strangers_draft_blocks_nobody(db, client, manager, facility, family):
    """Reproduced: a stranger's draft with a real ID number and a wrong name, withdrawn, made the
    real person impossible to admit or apply for."""
    stranger = factories.user("stranger", Role.family)
    login(client, stranger)
    assert post(client, "/applications/new", application_form(name="假名字")).status_code == 302
    squat = _db.session.scalar(select(Application))
    post(client, f"/applications/{squat.id}/withdraw")
    assert count(Elder) == 0  # a draft claims no record
    post(client, "/logout")
    login(client, family)
    assert post(client, "/applications/new", application_form()).status_code == 302
    post(client, "/logout")
    login(client, manager)
    bed = factories.bed(facility)
    response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed))
    assert response.status_code == 302
    elder = _db.session.scalar(select(Elder))
    assert elder.name == "龚梅" and count(IdentityCase) == 0


def test_a_family_corrects_a_typo_in_its_draft(db, client, family):
    login(client, family)
    post(client, "/applications/new", application_form(name="龚霉"))
    application = _db.session.scalar(select(Application))
    form = application_form(name="龚梅", id_number="")  # empty keeps the number on file
    assert post(client, f"/applications/{application.id}/edit", form).status_code == 302
    _db.session.expire_all()
    assert application.elder_name == "龚梅" and application.id_number == GONG_MEI


def test_a_different_name_at_admission_goes_to_the_bureau_not_a_dead_end(db, client, manager, facility,
                                                                          bureau_staff):
    established = factories.elder(name="龚梅")
    number = established.id_number
    _db.session.commit()
    login(client, manager)
    bed = factories.bed(facility)
    response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed, name="龚玫", id_number=number))
    assert response.status_code == 302
    assert count(Stay, Stay.elder_id == established.id) == 1
    case = _db.session.scalar(select(IdentityCase))
    assert case.claimed_name == "龚玫" and case.source == CaseSource.admission
    post(client, "/logout")
    login(client, bureau_staff)
    page = client.get("/residents/identity-cases").get_data(as_text=True)
    assert "龚梅" in page and "龚玫" in page and number not in page
    assert post(client, f"/residents/identity-cases/{case.id}", {"rename": "claimed"}).status_code == 302
    _db.session.expire_all()
    assert established.name == "龚玫" and case.resolved_by_id == bureau_staff.id
    audit = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.identity_resolved"))
    assert audit.before["name"] == "龚梅" and audit.after["name"] == "龚玫"
    assert number not in str(audit.before) + str(audit.after)
    assert 'data-testid="case"' not in client.get("/residents/identity-cases").get_data(as_text=True)
    with pytest.raises(services.CaseAlreadyResolved):
        services.resolve_identity_case(bureau_staff, case, rename=False)


def test_a_resolve_without_a_choice_changes_nothing(db, client, bureau_staff):
    elder = factories.elder(name="龚梅")
    case = factories.identity_case(elder, "龚玫")
    login(client, bureau_staff)
    post(client, f"/residents/identity-cases/{case.id}", {"rename": "both"})
    _db.session.expire_all()
    assert elder.name == "龚梅" and case.resolved_at is None


# --- what a family may see and change -----------------------------------------------------

def test_a_family_cannot_read_or_overwrite_a_residents_record(db, client, family, bureau_staff):
    """Reproduced: elder 77 went from tekun with severe disability to general through a family's
    application approved by the bureau."""
    resident = factories.elder(name="周大爷", category=Category.tekun, severe_disability=True,
                               ability_level=AbilityLevel.severe)
    _db.session.commit()
    login(client, family)
    post(client, "/applications/new", application_form(name="周大爷", id_number=resident.id_number,
                                                       category="general"))
    application = _db.session.scalar(select(Application))
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "重度失能" not in page and "severely disabled" not in page  # the record's level stays hidden
    post(client, f"/applications/{application.id}/submit", {"consent": "y"})
    workflow.start_review(bureau_staff, application)
    _db.session.commit()
    assert application.elder_id == resident.id
    attention = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "重度失能" not in attention  # the family still sees only its own entries
    workflow.approve(bureau_staff, application)
    _db.session.commit()
    _db.session.expire_all()
    assert resident.category == Category.tekun and resident.severe_disability


def test_approval_applies_declared_differences_only_by_choice(db, family, bureau_staff):
    resident = factories.elder(category=Category.general)
    application = factories.application(family, resident, status=Status.under_review, category=Category.dibao,
                                        living_alone=True)
    assert workflow.declared_differences(application) == {"category": (Category.general, Category.dibao),
                                                          "living_alone": (False, True)}
    workflow.approve(bureau_staff, application, apply_declared=True)
    _db.session.commit()
    assert resident.category == Category.dibao and resident.living_alone
    audit = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.verify"))
    assert audit.actor_id == bureau_staff.id and audit.before["category"] == "general"


def test_the_reviewer_sees_an_open_stay_and_other_applications(db, client, family, bureau_staff, facility):
    resident = factories.elder(name="钱奶奶")
    _db.session.add(Stay(elder_id=resident.id, bed_id=factories.bed(facility).id, start_on=date(2024, 1, 1)))
    first = factories.application(family, resident, status=Status.under_review)
    second = factories.application(factories.user("other", Role.family), resident, status=Status.submitted)
    login(client, bureau_staff)
    page = client.get(f"/applications/{first.id}").get_data(as_text=True)
    assert facility.name in page and f"/applications/{second.id}" in page
    review = client.get("/review").get_data(as_text=True)
    assert review.count('data-testid="flagged"') == 2


def test_one_person_one_place_on_the_waitlist(db, family, bureau_staff):
    """Reproduced: two applications for one elder, two beds offered and held at once."""
    resident = factories.elder()
    first = factories.application(family, resident, status=Status.under_review)
    second = factories.application(factories.user("other", Role.family), resident, status=Status.under_review)
    workflow.approve(bureau_staff, first)
    _db.session.commit()
    with pytest.raises(workflow.AlreadyOnWaitlist):
        workflow.approve(bureau_staff, second)
    _db.session.rollback()
    assert second.status == Status.under_review


def test_two_reviewers_approving_one_person_at_once(app, db, family, bureau_staff):
    resident = factories.elder()
    ids = [factories.application(factories.user(f"fam{i}", Role.family), resident,
                                 status=Status.under_review).id for i in range(2)]

    def approve(application_id):
        def attempt():
            from eldercare.auth.models import User

            workflow.approve(_db.session.get(User, bureau_staff.id), _db.session.get(Application, application_id))
        return attempt

    outcomes = race(app, [approve(i) for i in ids])
    assert outcomes.count("ok") == 1, outcomes
    _db.session.expire_all()
    assert count(Application, Application.status == Status.approved) == 1


def test_a_failed_edit_never_sends_the_number_back(db, client, family):
    login(client, family)
    post(client, "/applications/new", application_form())
    application = _db.session.scalar(select(Application))
    edit = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert GONG_MEI not in edit and "320682********4005" in edit
    failed = post(client, f"/applications/{application.id}/edit", application_form(id_number="", contact_phone="1"))
    assert failed.status_code == 422
    assert GONG_MEI not in failed.get_data(as_text=True)


def test_an_id_number_error_marks_the_id_field(db, client, family):
    login(client, family)
    page = post(client, "/applications/new", application_form(id_number="320682193311194006")).get_data(as_text=True)
    field = re.search(r'<div class="field has-error">\s*<label for="id_number"', page)
    assert field is not None


def test_only_a_homes_managers_and_the_bureau_for_applicants_assess(db, client, facility, manager, bureau_staff,
                                                                    family):
    resident = factories.elder()
    bed = factories.bed(facility)
    _db.session.add(Stay(elder_id=resident.id, bed_id=bed.id, start_on=date(2024, 1, 1)))
    draft = factories.application(family, factories.elder(), status=Status.submitted)
    login(client, bureau_staff)
    assert client.get(f"/beds/{bed.id}/assess").status_code == 403
    assert client.get(f"/applications/{draft.id}/assess").status_code == 404  # not taken up yet
    post(client, "/logout")
    login(client, manager)
    assert client.get(f"/beds/{bed.id}/assess").status_code == 200
    scores = {"self_care": "10", "mobility": "5", "mental": "20", "perception": "5"}
    assert post(client, f"/beds/{bed.id}/assess", scores).status_code == 302
    _db.session.expire_all()
    assert resident.ability_level == AbilityLevel.severe


def test_the_family_sees_the_assessment_made_for_its_application(db, client, family, bureau_staff):
    application = factories.application(family, factories.elder(), status=Status.under_review)
    login(client, bureau_staff)
    scores = {"self_care": "30", "mobility": "15", "mental": "28", "perception": "15"}  # 88: mild
    assert post(client, f"/applications/{application.id}/assess", scores).status_code == 302
    post(client, "/logout")
    login(client, family)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "轻度失能" in page or "mildly disabled" in page


# --- ages and dates ------------------------------------------------------------------------

def _number_born(born: date) -> str:
    first17 = f"320682{born:%Y%m%d}001"
    return first17 + check_character(first17)


def test_applicants_and_residents_are_at_least_sixty(db, client, family, manager, facility):
    young = _number_born(local_today().replace(year=local_today().year - 59) - timedelta(days=1))
    login(client, family)
    page = post(client, "/applications/new", application_form(id_number=young))
    assert page.status_code == 422 and count(Application) == 0
    post(client, "/logout")
    login(client, manager)
    bed = factories.bed(facility)
    assert post(client, f"/facilities/{facility.id}/admit", admit_form(bed, id_number=young)).status_code == 422
    assert count(Elder) == 0


def test_an_admission_is_not_before_birth_or_the_start_of_records(db, manager, facility):
    elder = factories.elder(birth=date(1940, 5, 17))
    bed = factories.bed(facility)
    for day in (date(1940, 5, 16), date(1999, 12, 31)):
        with pytest.raises(beds.InvalidDate):
            beds.admit(manager, bed, elder, on=day)
    assert beds.admit(manager, bed, elder, on=date(2000, 1, 1)).start_on == date(2000, 1, 1)


def test_a_meal_log_is_not_before_the_point_opened(db, manager, town):
    point = factories.facility(town, name="助餐点", type=FacilityType.meal_point, opened_on=date(2023, 6, 1))
    with pytest.raises(DomainError):
        beds.record_meals(manager, point, day=date(2023, 5, 31), meals=10, subsidised_by_category={})
    beds.record_meals(manager, point, day=date(2023, 6, 1), meals=0, subsidised_by_category={})
    assert count(MealLog) == 1
