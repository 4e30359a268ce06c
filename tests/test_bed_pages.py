"""The manager's pages through the test client: bad input gets a clear error and changes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from eldercare.auth.models import Role
from eldercare.facilities import queries, services
from eldercare.facilities.models import Bed, BedState, Stay
from eldercare.residents.models import Elder
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post

VALID_ID = "11010519491231002X"


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def admit_form(bed, **fields):
    """An admission with the ability assessment a nursing-type bed needs (total 70: mild)."""
    return {"bed_id": bed.id, "name": "王秀英", "id_number": VALID_ID, "category": "dibao",
            "on": local_today().isoformat(), "assessment-self_care": "25", "assessment-mobility": "12",
            "assessment-mental": "22", "assessment-perception": "11", **fields}


def test_admit_through_the_form_derives_birth_date_and_sex(db, client, manager, facility):
    bed = factories.bed(facility, code="101-01")
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed))
    assert response.status_code == 302
    elder = db.session.scalar(select(Elder))
    assert (elder.birth_on.isoformat(), elder.sex.value, elder.category.value) == ("1949-12-31", "female", "dibao")
    assert queries.state_of(bed.id) == BedState.occupied
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王秀英" in board  # the facility's own manager sees the name


def test_invalid_id_number_is_refused_and_nothing_is_saved(db, client, manager, facility):
    bed = factories.bed(facility)
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed, id_number="340524198001010013"))
    assert response.status_code == 422
    assert "check character" in response.get_data(as_text=True) or "校验码" in response.get_data(as_text=True)
    assert count(db, Elder) == 0 and count(db, Stay) == 0


def test_admission_into_occupied_or_out_of_service_bed_is_refused(db, client, manager, facility):
    occupied, broken = factories.bed(facility), factories.bed(facility, out_of_service=True)
    services.admit(manager, occupied, factories.elder(), on=local_today())
    db.session.commit()
    login(client, manager)
    for bed in (occupied, broken):
        response = post(client, f"/facilities/{facility.id}/admit", admit_form(bed))
        # the form offers vacant beds only, so another bed is "not a valid choice"
        assert response.status_code == 422
    assert count(db, Stay) == 1 and count(db, Elder) == 1


def test_discharge_before_admission_date_is_refused(db, client, manager, facility):
    bed = factories.bed(facility)
    services.admit(manager, bed, factories.elder(), on=local_today() - timedelta(days=2))
    db.session.commit()
    login(client, manager)
    response = post(client, f"/beds/{bed.id}/discharge",
                    {"on": (local_today() - timedelta(days=5)).isoformat(), "reason": "discharged"},
                    follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "discharge date cannot be before" in page or "退住日期不能早于" in page
    db.session.expire_all()
    assert db.session.scalar(select(Stay)).end_on is None


def test_duplicate_bed_code_through_the_form(db, client, manager, facility):
    factories.bed(facility, code="A-01")
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms",
                    {"which": "bed", "bed-code": "A-01", "bed-care_type": "nursing", "bed-kind": "institution",
                     "bed-room_id": "0"}, follow_redirects=True)
    assert "A-01" in response.get_data(as_text=True)
    assert count(db, Bed) == 1


def test_bulk_create_through_the_form(db, client, manager, facility):
    room = factories.room(facility, "3")
    db.session.commit()
    login(client, manager)
    post(client, f"/facilities/{facility.id}/rooms",
         {"which": "beds", "beds-room_id": room.id, "beds-count": "10", "beds-care_type": "nursing",
          "beds-kind": "institution"})
    codes = db.session.scalars(select(Bed.code).order_by(Bed.code)).all()
    assert codes == [f"3-{n:02d}" for n in range(1, 11)]


def test_form_without_csrf_token_is_refused(db, client, manager, facility):
    bed = factories.bed(facility)
    db.session.commit()
    login(client, manager)
    response = client.post(f"/facilities/{facility.id}/admit", data=admit_form(bed))
    assert response.status_code == 400
    assert count(db, Elder) == 0 and count(db, Stay) == 0
    response = client.post(f"/beds/{bed.id}/out-of-service")
    assert response.status_code == 400
    assert queries.state_of(bed.id) == BedState.vacant


def test_bed_actions_walk_a_bed_through_its_states(db, client, manager, facility):
    bed, other = factories.bed(facility, code="1-01"), factories.bed(facility, code="1-02")
    services.admit(manager, bed, factories.elder(), on=local_today() - timedelta(days=3))
    db.session.commit()
    login(client, manager)

    def state(b):
        db.session.expire_all()
        return queries.state_of(b.id)

    post(client, f"/beds/{bed.id}/away", {"away": "hospital"})
    assert state(bed) == BedState.in_hospital
    post(client, f"/beds/{bed.id}/transfer", {"to_bed_id": other.id, "on": local_today().isoformat()})
    assert (state(bed), state(other)) == (BedState.needs_cleaning, BedState.occupied)
    post(client, f"/beds/{bed.id}/clean")
    post(client, f"/beds/{bed.id}/hold", {"hours": "24", "note": "刘家"})
    assert state(bed) == BedState.on_hold
    post(client, f"/beds/{bed.id}/release-hold")
    post(client, f"/beds/{bed.id}/out-of-service")
    assert state(bed) == BedState.out_of_service
    post(client, f"/beds/{bed.id}/return-to-service")
    post(client, f"/beds/{bed.id}/care-type", {"care_type": "ordinary"})
    assert state(bed) == BedState.vacant and db.session.get(Bed, bed.id).care_type.value == "ordinary"


def test_board_hides_names_from_bureau_and_filters(db, client, manager, bureau_staff, facility):
    room = factories.room(facility)
    beds = [factories.bed(facility, room=room, code=f"101-0{i}") for i in range(1, 4)]
    services.admit(manager, beds[0], factories.elder(name="钱玉兰"), on=local_today())
    db.session.commit()
    login(client, bureau_staff)
    page = client.get(f"/facilities/{facility.id}/board").get_data(as_text=True)
    assert "钱玉兰" not in page and 'data-testid="count-occupied">1<' in page
    filtered = client.get(f"/facilities/{facility.id}/board?state=vacant").get_data(as_text=True)
    assert 'data-testid="bed-101-01"' not in filtered and 'data-testid="bed-101-02"' in filtered
    assert client.get(f"/facilities/{facility.id}/board?state=nonsense").status_code == 400
    bed_page = client.get(f"/beds/{beds[0].id}").get_data(as_text=True)
    assert "钱玉兰" not in bed_page and "/discharge" not in bed_page  # read only, no names


def test_census_page_for_a_past_day(db, client, manager, facility):
    bed = factories.bed(facility)
    services.admit(manager, bed, factories.elder(name="孙德华"), on=local_today() - timedelta(days=5))
    db.session.commit()
    login(client, manager)
    before = client.get(f"/facilities/{facility.id}/census?on={(local_today() - timedelta(days=6)).isoformat()}")
    assert 'data-testid="census-occupied">0<' in before.get_data(as_text=True)
    now = client.get(f"/facilities/{facility.id}/census").get_data(as_text=True)
    assert 'data-testid="census-occupied">1<' in now and "孙德华" in now
    assert client.get(f"/facilities/{facility.id}/census?on=bad").status_code == 200


def test_meal_point_managers_enter_the_days_meals_once(db, client, town):
    from eldercare.facilities.models import FacilityType, MealLog

    point = factories.facility(town, "白蒲社区助餐点", FacilityType.meal_point)
    cook = factories.user("cook", Role.facility_manager,
                          facilities=[point])
    login(client, cook)
    day = local_today().isoformat()
    post(client, f"/facilities/{point.id}/meals", {"day": day, "meals": "60", "dibao": "10", "tekun": "5"})
    log = db.session.scalar(select(MealLog))
    assert (log.meals, log.subsidised, log.subsidised_by_category) == (60, 15, {"tekun": 5, "dibao": 10})
    again = post(client, f"/facilities/{point.id}/meals", {"day": day, "meals": "70"}, follow_redirects=True)
    assert count(db, MealLog) == 1
    assert "已经登记" in again.get_data(as_text=True) or "already recorded" in again.get_data(as_text=True)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    too_many = {"day": (local_today() - timedelta(days=1)).isoformat(), "meals": "5", "general": "9"}
    post(client, f"/facilities/{point.id}/meals", too_many)
    post(client, f"/facilities/{point.id}/meals", {"day": tomorrow, "meals": "5"})
    post(client, f"/facilities/{point.id}/meals", {"day": day, "meals": "-3"})
    assert count(db, MealLog) == 1
    home = factories.facility(town, "别的养老院")
    cook.facilities.append(home)  # a home, not a meal point: no meal log there
    db.session.commit()
    assert client.get(f"/facilities/{home.id}/meals").status_code == 404
