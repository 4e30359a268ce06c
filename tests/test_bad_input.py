"""No input answers 500 (issue 11): every form walked with hostile values, ids beyond any column,
forms as long as their columns, races that end in a unique index, and input hygiene."""

from datetime import date

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, literal, select, text, union_all
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, StringField

from eldercare.auth.models import Role, User
from eldercare.dashboard.models import CareTarget
from eldercare.errors import DomainError
from eldercare.extensions import db as _db
from eldercare.facilities import services
from eldercare.facilities.models import Bed, CareType, FacilityType, MealLog, Room
from eldercare.placements.models import Status
from eldercare.validators import MOBILE, hidden_characters
from tests import factories
from tests.conftest import login, post
from tests.test_access import POSTS, ROLES, ROUTES
from tests.test_concurrency import CRASH, race

# (form class, field) -> the "table.column"s its value is stored in. Every text field of every
# form must be here (or in NOT_STORED_AS_TYPED), so a new form cannot accept more than its column holds.
FORM_COLUMNS = {
    ("LoginForm", "username"): ["user.username"],
    ("UserForm", "username"): ["user.username"],
    ("UserForm", "full_name"): ["user.full_name"],
    ("UserForm", "phone"): ["user.phone"],
    ("RegisterForm", "full_name"): ["user.full_name"],
    ("RegisterForm", "phone"): ["user.username", "user.phone"],
    ("AdmitForm", "name"): ["elder.name"],
    ("HoldForm", "note"): ["bed_hold.note"],
    ("RoomForm", "code"): ["room.code"],
    ("BedForm", "code"): ["bed.code"],
    ("ApplicationForm", "name"): ["application.elder_name", "elder.name"],
    ("ApplicationForm", "relation"): ["application.relation"],
    ("ApplicationForm", "contact_name"): ["application.contact_name"],
    ("ApplicationForm", "contact_phone"): ["application.contact_phone"],
    ("ApplicationForm", "notes"): ["application.notes"],
    ("ReasonForm", "reason"): ["application_event.reason", "application.reason"],
    ("HireForm", "name"): ["caregiver.name"],
    ("HireForm", "mobile"): ["caregiver.mobile"],
    ("EmploymentForm", "mobile"): ["caregiver.mobile"],
    ("CertificateForm", "number"): ["certificate.number"],
    ("CertificateForm", "issuer"): ["certificate.issuer"],
    ("PreJobForm", "provider"): ["pre_job_training.provider"],
    ("SessionForm", "course"): ["training_session.course"],
    ("SessionForm", "provider"): ["training_session.provider"],
    ("OrderForm", "period"): ["report.period"],
    ("FacilityForm", "name"): ["facility.name"],
    ("FacilityForm", "address"): ["facility.address"],
    ("FacilityForm", "operator"): ["facility.operator"],
}
# Typed with spaces or full-width digits, then normalised to 18 characters by
# eldercare/identity.py, which refuses anything longer before it is stored.
NOT_STORED_AS_TYPED = {"id_number"}


def _all_forms():
    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    return sorted({c for c in walk(FlaskForm) if c.__module__.startswith("eldercare.")}, key=lambda c: c.__qualname__)


def _longest(field) -> int | None:
    """The longest value the field's validators let through."""
    lengths = [v.max for v in field.validators if getattr(v, "max", -1) not in (-1, None) and hasattr(v, "min")
               and type(v).__name__ == "Length"]
    if MOBILE in field.validators:
        lengths.append(11)
    return min(lengths) if lengths else None


def test_every_text_field_fits_its_column(app):
    wrong = []
    with app.test_request_context():
        for form_class in _all_forms():
            form = form_class(meta={"csrf": False})
            for field in form:
                stored_as_typed = isinstance(field, StringField) and not isinstance(field, PasswordField) \
                    and field.type != "HiddenField" and field.name not in NOT_STORED_AS_TYPED
                if not stored_as_typed:
                    continue
                longest = _longest(field)
                columns = FORM_COLUMNS.get((form_class.__name__, field.name))
                if longest is None:
                    wrong.append(f"{form_class.__name__}.{field.name} has no maximum length")
                elif columns is None:
                    wrong.append(f"{form_class.__name__}.{field.name} is not in FORM_COLUMNS")
                else:
                    shortest = min(_db.metadata.tables[c.split(".")[0]].c[c.split(".")[1]].type.length
                                   for c in columns)
                    if longest > shortest:
                        wrong.append(f"{form_class.__name__}.{field.name}: form allows {longest}, "
                                     f"column holds {shortest}")
    assert wrong == []


def test_every_stored_text_field_refuses_hidden_characters(app):
    """Names, codes, reasons: each stored text field has PlainText (multiline for free text) or
    a whole-value pattern (phone numbers, user names)."""
    from wtforms.validators import Regexp

    from eldercare.validators import PlainText

    missing = []
    with app.test_request_context():
        for form_class in _all_forms():
            for field in form_class(meta={"csrf": False}):
                if (form_class.__name__, field.name) not in FORM_COLUMNS or form_class.__name__ == "LoginForm":
                    continue
                guarded = any(isinstance(v, PlainText) or (isinstance(v, Regexp) and v.regex.pattern.endswith("\\Z"))
                              for v in field.validators)
                if not guarded:
                    missing.append(f"{form_class.__name__}.{field.name}")
    assert missing == []


# The hostile values, and whether a form given them everywhere must save nothing at all.
HOSTILE = {
    "oversized": ("九" * 1001, True),  # longer than any column (notes: 1000)
    "control": ("A\x01\x1b[31m\x7f", True),
    "bidi": ("A\u202e10-B\u200b", True),
    "nan": ("NaN", False),
    "snan": ("sNaN", False),
    "infinity": ("-Infinity", False),
    "negative": ("-1", False),
    "zero": ("0", False),
    "huge": (str(2**70), False),
    "unicode": ("名字😀ä", False),
    "bad-date": ("2024-02-30", False),
}
# Routes that act without any typed input (a button): they may act on any body.
BUTTONS = {
    "auth.logout", "auth.set_language", "auth.set_active", "placements.mark_notifications_read",
    "placements.submit", "placements.withdraw", "placements.accept", "placements.decline", "placements.start_review",
    "placements.approve", "placements.reveal_id", "facilities.clean", "facilities.out_of_service",
    "facilities.return_to_service", "facilities.release_hold", "facilities.open_to_public",
    "caregivers.reveal_id",
}


def _field_names(app) -> set[str]:
    names = set()
    with app.test_request_context():
        for form_class in _all_forms():
            for field in form_class(meta={"csrf": False}):
                names.add(field.name)
    return names


def _counts() -> dict[str, int]:
    """Rows per table (in one query: the walk below counts before and after every request)."""
    tables = [t for t in _db.metadata.sorted_tables if t.name not in ("change_counter", "audit_event")]
    query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
    with _db.engine.connect() as conn:
        return dict(conn.execute(query).all())


def test_every_form_survives_hostile_values(app, db, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    users, ids = world
    names = _field_names(app)
    posts = [(e, url, allowed) for e, (method, url, allowed) in ROUTES.items() if method == "POST"]
    posts += [(e, url, allowed) for e, (url, allowed) in POSTS.items()]
    clients = {None: app.test_client()}
    for role, user in users.items():
        clients[role] = app.test_client()
        login(clients[role], user)
    failures = []
    for endpoint, url, allowed in posts:
        if endpoint == "auth.logout":
            continue
        role = next((r for r in ROLES if r in allowed and r in users), None)
        for kind, (value, saves_nothing) in HOSTILE.items():
            for which in (["room", "beds", "bed"] if endpoint == "facilities.rooms" else [None]):
                fields = [f"{which}-{name}" for name in names] if which else names  # the rooms page's prefixes
                data = {name: value for name in fields} | ({"which": which} if which else {})
                check = saves_nothing and endpoint not in BUTTONS
                before = _counts() if check else None
                try:
                    address = url.format(**ids)
                except KeyError as missing:
                    failures.append(f"{endpoint}: add an id for {missing} to the world fixture")
                    break
                response = clients[role].post(address, data=data)
                if response.status_code >= 500:
                    failures.append(f"{endpoint} {kind}: {response.status_code}")
                elif check and (after := _counts()) != before:
                    changed = {t: (n, after[t]) for t, n in before.items() if after[t] != n}
                    failures.append(f"{endpoint} {kind}: saved {changed}")
    assert failures == []


@pytest.mark.parametrize("url", ["/beds/{big}", "/facilities/{big}/board", "/applications/{big}",
                                 "/users/{big}", "/beds/{big}/match"])
@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
def test_ids_beyond_any_column_are_not_found(client, db, bureau_admin, url, big):
    login(client, bureau_admin)
    assert client.get(url.format(big=big)).status_code == 404


def test_a_nul_byte_is_a_bad_request(client, family):
    login(client, family)
    assert post(client, "/applications/new", {"name": "王\x00"}).status_code == 400


@pytest.mark.parametrize("percent", ["sNaN", "NaN", "Infinity", "1e999", "0", "101"])
def test_the_target_refuses_what_is_not_a_share(db, client, bureau_admin, percent):
    login(client, bureau_admin)
    response = post(client, "/dashboard/target", {"year": "2026", "percent": percent})
    assert response.status_code in (302, 422)
    assert db.session.scalar(select(func.count()).select_from(CareTarget)) == 0


def test_a_reason_as_long_as_the_form_allows_is_stored(db, client, bureau_staff):
    family = factories.user("fam", Role.family)
    application = factories.application(family, status=Status.under_review)
    login(client, bureau_staff)
    response = post(client, f"/applications/{application.id}/request-info", {"reason": "请补充" * 166})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status == Status.more_info
    page = client.get(f"/applications/{application.id}")
    assert ("请补充" * 166) in page.get_data(as_text=True)


def test_the_family_reads_the_reason_in_the_banner(db, client):
    family = factories.user("fam", Role.family)
    application = factories.application(family, status=Status.under_review)
    staff = factories.user("staff", Role.bureau_staff)
    from eldercare.placements import workflow

    workflow.request_info(staff, application, "请上传户口本")
    db.session.commit()
    login(client, family)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'data-testid="reason"' in page and "请上传户口本" in page.split('data-testid="reason"')[1].split("</p>")[0]


# Races that end in a unique index ---------------------------------------------------------------

def test_two_registrations_of_one_phone_at_once_make_one_account(app, db):
    from eldercare.auth.services import UsernameTaken, register_family

    def attempt(n):
        try:
            register_family(full_name=f"李{n}", phone="13900000017", password="a long passphrase")
        except UsernameTaken:  # the page answers this one like any other registration
            _db.session.rollback()

    outcomes = race(app, [lambda n=n: attempt(n) for n in range(6)])
    assert outcomes == ["ok"] * 6, outcomes
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_two_rooms_with_one_code_at_once_make_one_room(app, db, manager, facility):
    manager_id, facility_id = manager.id, facility.id

    def attempt():
        from eldercare.facilities.models import Facility

        services.create_room(_db.session.get(User, manager_id), _db.session.get(Facility, facility_id), code="301")

    outcomes = race(app, [attempt] * 6)
    assert outcomes.count("ok") == 1 and not [o for o in outcomes if o.startswith(CRASH)], outcomes
    assert all("301" in o for o in outcomes if o != "ok")
    assert db.session.scalar(select(func.count()).select_from(Room)) == 1


def test_a_long_room_code_cannot_overflow_its_bed_codes(db, client, manager, facility):
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms", {"which": "room", "room-code": "R" * 30})
    assert response.status_code == 302 and db.session.scalar(select(func.count()).select_from(Room)) == 0
    legacy = factories.room(facility, code="L" * 30)  # made before the limit
    with pytest.raises(DomainError):
        services.bulk_create_beds(manager, facility, room=legacy, count=3, care_type=CareType.nursing)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Bed)) == 0


# Input hygiene ---------------------------------------------------------------------------------

def test_a_phone_number_is_matched_whole(db, client):
    response = post(client, "/register", {"full_name": "李红", "phone": "13900000017\n",
                                          "password": "a long passphrase", "confirm": "a long passphrase"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("name", ["王\u202e芳", "王\u200b芳", "王\x07芳", "王\u2066芳", "王\ufeff芳"])
def test_names_and_codes_refuse_invisible_characters(db, client, manager, facility, name):
    assert hidden_characters(name)
    login(client, manager)
    post(client, f"/facilities/{facility.id}/rooms", {"which": "bed", "bed-code": name, "bed-room_id": "0",
                                                      "bed-care_type": "nursing", "bed-kind": "institution"})
    assert db.session.scalar(select(func.count()).select_from(Bed)) == 0


def test_plain_names_still_pass():
    assert hidden_characters("王芳 Wang-Fang·O'Neil 3-01") == []


def test_bed_codes_are_unique_regardless_of_case(db, manager, facility):
    services.create_bed(manager, facility, code="A-01", care_type=CareType.nursing)
    db.session.commit()
    with pytest.raises(DomainError):
        services.create_bed(manager, facility, code="a-01", care_type=CareType.nursing)
    db.session.rollback()
    with pytest.raises(IntegrityError):  # and the database says so too
        db.session.execute(text("INSERT INTO bed (facility_id, code, kind, care_type, open_to_public, out_of_service, "
                                "needs_cleaning, changed_at) VALUES (:f, 'a-01', 'institution', 'nursing', false, "
                                "false, false, CURRENT_TIMESTAMP)"), {"f": facility.id})
    db.session.rollback()


def test_codes_typed_with_full_width_digits_or_another_case_are_the_same_code(db, manager, facility):
    services.create_room(manager, facility, code="101")
    services.create_room(manager, facility, code="Z3")
    services.create_bed(manager, facility, code="101-01", care_type=CareType.nursing)
    db.session.commit()
    for room in ("１０１", "z3", " 101 "):
        with pytest.raises(DomainError):
            services.create_room(manager, facility, code=room)
        db.session.rollback()
    with pytest.raises(DomainError):
        services.create_bed(manager, facility, code="１０１-０１", care_type=CareType.nursing)
    db.session.rollback()
    assert services.create_room(manager, facility, code="２０１").code == "201"
    assert services.create_bed(manager, facility, code="２０１－０１", care_type=CareType.nursing).code == "201-01"


def test_a_name_in_a_message_is_text_not_markup(db, client, manager, facility):
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms",
                    {"which": "bed", "bed-code": "<u>w</u>", "bed-care_type": "nursing", "bed-kind": "institution"},
                    follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "&lt;u&gt;w&lt;/u&gt;" in page and "<u>w</u>" not in page


def test_a_clash_the_checks_could_not_see_is_a_clear_409_with_nothing_saved(db, client, manager, facility,
                                                                           monkeypatch):
    """What two requests at the same moment can leave to the database's keys (two clicks on a form
    whose service does not expect it): a conflict said in the reader's language, not a 500."""
    from eldercare.api import elders
    from tests.api_helpers import bearer, token_for

    def clash(*args, **kwargs):
        _db.session.add(Room(facility_id=facility.id, code="刚添加"))  # written, then undone with the rest
        _db.session.flush()
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(services, "create_room", clash)
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms", {"which": "room", "room-code": "A1"})
    assert response.status_code == 409 and "另一操作" in response.get_data(as_text=True)
    monkeypatch.setattr(elders, "establish_elder", clash)
    answer = client.post("/api/v1/elders?lang=zh", json={"name": "王秀英", "id_number": "11010519491231002X",
                                                         "category": "dibao"}, headers=bearer(token_for(manager)))
    assert answer.status_code == 409 and "另一操作" in answer.json["detail"]
    assert _db.session.scalar(select(func.count()).select_from(Room)) == 0


def test_numbers_and_dates_say_what_is_wrong(db, client, manager, facility):
    bed = factories.bed(facility)
    db.session.commit()
    login(client, manager)
    post(client, "/language/en")
    page = post(client, f"/beds/{bed.id}/hold", {"hours": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "between 1 and 336" in page and "This field is required" not in page
    page = post(client, f"/beds/{bed.id}/discharge", {"on": "2024-02-30", "reason": "died"},
                follow_redirects=True).get_data(as_text=True)
    assert "Not a valid date value" in page and "This field is required" not in page


def test_the_assessment_beside_an_admission_speaks_the_pages_language(db, client, manager, facility):
    from eldercare.residents.models import Elder
    from tests.test_bed_pages import admit_form

    bed = factories.bed(facility)
    db.session.commit()
    login(client, manager)
    for value, said in (("33", "数值大小必须介于 0 到 32 之间"), ("-1", "数值大小必须介于 0 到 32 之间"),
                        ("abc", "不是有效的整数")):  # WTForms' own messages, in the page's language
        response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed, **{"assessment-self_care": value}))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and said in page and "Number must be" not in page
    assert _db.session.scalar(select(func.count()).select_from(Elder)) == 0  # nothing admitted, nobody registered


def test_a_meal_point_records_a_day_without_meals(db, client, town):
    point = factories.facility(town, name="助餐点", type=FacilityType.meal_point)
    manager = factories.user("cook", Role.facility_manager, facilities=[point])
    login(client, manager)
    response = post(client, f"/facilities/{point.id}/meals", {"day": date.today().isoformat(), "meals": "0"})
    assert response.status_code == 302
    assert db.session.scalar(select(MealLog.meals)) == 0


@pytest.mark.parametrize("url", ["/dashboard/planner?town={big}", "/dashboard/planner.csv?town={big}",
                                 "/dashboard/facilities.csv?town={big}", "/open-beds?town={big}",
                                 "/dashboard?year={big}", "/facilities?page={big}",
                                 "/facilities/{facility}/admit?bed_id={big}"])
def test_huge_numbers_in_query_strings_are_no_500(db, client, facility, url):
    admin = factories.user("admin.q", Role.bureau_admin)
    manager = factories.user("manager.q", Role.facility_manager, facilities=[facility])
    for user in (admin, manager):
        login(client, user)
        assert client.get(url.format(big=2**63, facility=facility.id)).status_code < 500
