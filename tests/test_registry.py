"""The facility registry: register and correct facilities (audited), change a facility's type on a
date with its history kept (the 敬老院 conversion), close a facility on a date (refused while anyone
stays or a bed is held; its beds leave the register, so it has no open beds and admits no one)."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role, User
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import queries, registry
from eldercare.facilities import services as beds
from eldercare.facilities.models import BedState, CareType, Facility, FacilityType, FacilityTypeChange, Ownership, Stay
from eldercare.facilities.reserve import open_beds_by_facility, reserves
from eldercare.models import utcnow
from eldercare.residents.models import Category
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post


@pytest.fixture(autouse=True)
def english(app):
    """Messages are matched in English (the default language is Chinese)."""
    with force_locale("en"):
        yield


def _register(admin, town, **fields):
    values = dict(name="如城街道新建颐养院", type=FacilityType.private_home, town_id=town.id,
                  ownership=Ownership.private, address="如城街道海阳路1号", operator="如皋市颐养服务有限公司",
                  licensed_beds=120, medical_integrated=True, opened_on=date(2023, 9, 1))
    values.update(fields)
    return registry.register(admin, **values)


def _audits(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_register_keeps_every_field_and_is_audited(app, bureau_admin, town):
    facility = _register(bureau_admin, town, tekun_reserve=5)
    db.session.commit()
    assert (facility.name, facility.type, facility.ownership, facility.licensed_beds, facility.medical_integrated,
            facility.opened_on, facility.tekun_reserve, facility.serves_tekun) == (
        "如城街道新建颐养院", FacilityType.private_home, Ownership.private, 120, True, date(2023, 9, 1), 5, False)
    [event] = _audits("facility.register")
    assert event.actor_id == bureau_admin.id and event.after["licensed_beds"] == 120


@pytest.mark.parametrize("ftype, serves", [(FacilityType.public_home, True), (FacilityType.regional_center, True),
                                           (FacilityType.private_home, False), (FacilityType.embedded_home, False)])
def test_serving_tekun_elders_defaults_by_type_and_can_be_set(app, bureau_admin, town, ftype, serves):
    assert _register(bureau_admin, town, type=ftype).serves_tekun is serves
    other = _register(bureau_admin, town, name="另一家", type=ftype, serves_tekun=not serves)
    assert other.serves_tekun is (not serves)


@pytest.mark.parametrize("fields, message", [
    ({"name": "  "}, "name"),
    ({"licensed_beds": -1}, "Licensed beds"),
    ({"tekun_reserve": -2}, "tekun reserve"),
    ({"opened_on": date.today() + timedelta(days=400)}, "future"),
    ({"town_id": 99999}, "town"),
])
def test_register_refuses_bad_input_and_writes_nothing(app, bureau_admin, town, fields, message):
    with pytest.raises(InvalidInput, match=message):
        _register(bureau_admin, town, **fields)
    db.session.rollback()
    assert db.session.scalar(select(Facility.id)) is None


def test_a_name_is_registered_once_whatever_its_case(app, bureau_admin, town):
    _register(bureau_admin, town, name="Sunrise Home")
    with pytest.raises(InvalidInput, match="already registered"):
        _register(bureau_admin, town, name="sunrise home")


def test_update_records_only_what_changed_and_an_explicit_reserve_goes_back_to_the_default(app, bureau_admin, town):
    facility = _register(bureau_admin, town, type=FacilityType.public_home, tekun_reserve=8)
    common = dict(name=facility.name, town_id=town.id, ownership=facility.ownership, address=facility.address,
                  operator="新运营方", licensed_beds=130, medical_integrated=True, serves_tekun=True,
                  opened_on=facility.opened_on)
    registry.update(bureau_admin, facility, tekun_reserve=None, **common)
    db.session.commit()
    assert facility.tekun_reserve is None and facility.operator == "新运营方" and facility.licensed_beds == 130
    [event] = _audits("facility.update")
    assert event.before == {"operator": "如皋市颐养服务有限公司", "licensed_beds": 120, "tekun_reserve": 8}
    assert event.after == {"operator": "新运营方", "licensed_beds": 130, "tekun_reserve": None}


def test_conversion_keeps_residents_reserve_and_beds_and_the_old_type_for_earlier_days(app, bureau_admin, town):
    home = _register(bureau_admin, town, name="丁堰镇敬老院", type=FacilityType.public_home,
                     ownership=Ownership.public, opened_on=date(2010, 1, 1), tekun_reserve=3)
    tekun = factories.elder(category=Category.tekun)
    occupied = factories.bed(home)
    factories.bed(home)
    db.session.add(Stay(elder_id=tekun.id, bed_id=occupied.id, start_on=date(2020, 1, 1)))
    db.session.commit()
    before = (reserves()[home.id], queries.board(home.id, with_residents=False)["counts"])
    change = registry.convert(bureau_admin, home, on=date(2024, 6, 1))
    db.session.commit()
    assert home.type == FacilityType.regional_center and home.serves_tekun and home.tekun_reserve == 3
    assert (change.previous, change.type, change.changed_on, change.actor_id) == (
        FacilityType.public_home, FacilityType.regional_center, date(2024, 6, 1), bureau_admin.id)
    assert (reserves()[home.id], queries.board(home.id, with_residents=False)["counts"]) == before
    assert registry.type_on(home.id, date(2024, 5, 31)) == FacilityType.public_home
    assert registry.type_on(home.id, date(2024, 6, 1)) == FacilityType.regional_center
    assert registry.type_on(home.id, local_today()) == FacilityType.regional_center
    assert _audits("facility.change_type")[0].after == {"type": "regional_center", "on": "2024-06-01"}


def test_types_on_follows_several_changes_for_every_facility(app, bureau_admin, town):
    home = _register(bureau_admin, town, type=FacilityType.public_home, opened_on=date(2010, 1, 1))
    other = _register(bureau_admin, town, name="民办院", opened_on=date(2010, 1, 1))
    registry.change_type(bureau_admin, home, FacilityType.street_center, on=date(2022, 1, 1))
    registry.change_type(bureau_admin, home, FacilityType.regional_center, on=date(2023, 1, 1))
    assert registry.types_on(date(2021, 12, 31)) == {home.id: FacilityType.public_home,
                                                     other.id: FacilityType.private_home}
    assert registry.types_on(date(2022, 6, 1))[home.id] == FacilityType.street_center
    assert registry.types_on(date(2023, 1, 1), [home.id]) == {home.id: FacilityType.regional_center}
    assert [h["type"] for h in registry.type_history(home.id)] == [FacilityType.street_center,
                                                                   FacilityType.regional_center]


@pytest.mark.parametrize("ftype, new_type, on, message", [
    (FacilityType.private_home, FacilityType.regional_center, date(2024, 1, 1), "Only a public nursing home"),
    (FacilityType.meal_point, FacilityType.regional_center, date(2024, 1, 1), "Only an elderly-care institution"),
    (FacilityType.public_home, FacilityType.regional_center, date(2009, 1, 1), "before the facility opened"),
    (FacilityType.public_home, FacilityType.regional_center, date.today() + timedelta(days=400), "future"),
])
def test_conversion_refusals(app, bureau_admin, town, ftype, new_type, on, message):
    facility = _register(bureau_admin, town, type=ftype, opened_on=date(2010, 1, 1))
    run = registry.convert if ftype != FacilityType.meal_point else (
        lambda actor, f, on: registry.change_type(actor, f, new_type, on=on))
    with pytest.raises(DomainError, match=message):
        run(bureau_admin, facility, on=on)
    db.session.rollback()
    assert db.session.get(Facility, facility.id) is None or facility.type == ftype
    assert db.session.scalar(select(FacilityTypeChange.id)) is None


def test_a_second_change_must_come_after_the_last(app, bureau_admin, town):
    home = _register(bureau_admin, town, type=FacilityType.public_home, opened_on=date(2010, 1, 1))
    registry.convert(bureau_admin, home, on=date(2024, 6, 1))
    with pytest.raises(InvalidInput, match="must come after"):
        registry.change_type(bureau_admin, home, FacilityType.street_center, on=date(2024, 6, 1))


def test_closing_is_refused_while_someone_stays_or_a_bed_is_held(app, bureau_admin, town, manager, facility):
    bed = factories.bed(facility, added_on=date(2020, 1, 1), care_type=CareType.ordinary)
    elder = factories.elder()
    stay = beds.admit(manager, bed, elder, on=date(2024, 1, 1))
    db.session.commit()
    with pytest.raises(registry.FacilityInUse, match="1 residents"):
        registry.close(bureau_admin, facility, on=local_today())
    db.session.rollback()
    beds.discharge(manager, stay, on=local_today())
    db.session.commit()
    with pytest.raises(registry.FacilityInUse, match="1 residents"):  # someone stayed after the closing day
        registry.close(bureau_admin, facility, on=date(2024, 6, 1))
    db.session.rollback()
    beds.mark_cleaned(manager, bed)
    beds.place_hold(manager, bed, until=utcnow() + timedelta(hours=24))
    db.session.commit()
    with pytest.raises(registry.FacilityInUse, match="on hold"):
        registry.close(bureau_admin, facility, on=local_today())
    db.session.rollback()
    assert facility.closed_on is None and bed.retired_on is None


def test_a_closed_facility_keeps_its_history_has_no_open_beds_and_admits_no_one(app, bureau_admin, town, manager,
                                                                                facility):
    bed = factories.bed(facility, added_on=date(2020, 1, 1), open_to_public=True,
                         care_type=CareType.ordinary)
    old = factories.elder()
    stay = beds.admit(manager, bed, old, on=date(2023, 1, 1))
    beds.discharge(manager, stay, on=date(2023, 6, 1))
    beds.mark_cleaned(manager, bed)
    db.session.commit()
    assert open_beds_by_facility().get(facility.id) == 1
    today = local_today()
    registry.close(bureau_admin, facility, on=today)
    db.session.commit()
    assert facility.closed_on == today and bed.retired_on == today and not bed.open_to_public
    assert db.session.get(Stay, stay.id) is not None  # nothing with history is deleted
    assert not open_beds_by_facility().get(facility.id)
    assert queries.state_of(bed.id) is None
    assert queries.census([facility.id], date(2023, 3, 1), with_residents=False)["occupied"] == 1
    with pytest.raises(beds.BedNotAvailable, match="retired"):
        beds.admit(manager, bed, factories.elder(), on=today)
    db.session.rollback()
    with pytest.raises(registry.FacilityClosed):
        registry.close(bureau_admin, facility, on=today)
    assert _audits("facility.close")[0].after == {"closed_on": today.isoformat(), "beds_retired": 1}


# --- the pages ------------------------------------------------------------------------------

def test_admin_registers_edits_converts_and_closes_through_the_pages(app, client, bureau_admin, town):
    login(client, bureau_admin)
    response = post(client, "/registry/new", {
        "name": "九华镇敬老院", "type": "public_home", "town_id": town.id, "address": "九华镇",
        "operator": "九华镇政府",
        "ownership": "public", "licensed_beds": "80", "serves_tekun": "auto", "tekun_reserve": "",
        "opened_on": "2023-05-01"})
    assert response.status_code == 302, response.get_data(as_text=True)
    home = db.session.scalar(select(Facility).where(Facility.name == "九华镇敬老院"))
    assert home.serves_tekun and home.tekun_reserve is None and home.opened_on == date(2023, 5, 1)
    response = post(client, f"/registry/{home.id}", {
        "name": "九华镇敬老院", "town_id": town.id, "address": "九华镇人民路", "operator": "九华镇政府",
        "ownership": "public", "licensed_beds": "90", "serves_tekun": "yes", "tekun_reserve": "12",
        "opened_on": "2023-05-01"})
    assert response.status_code == 302
    db.session.refresh(home)
    assert (home.licensed_beds, home.tekun_reserve, home.address) == (90, 12, "九华镇人民路")
    response = post(client, f"/registry/{home.id}/type", {"type": "regional_center", "on": "2024-03-01"})
    assert response.status_code == 302
    page = client.get(f"/registry/{home.id}").get_data(as_text=True)
    assert "2024" in page and 'data-testid="type-history"' in page
    db.session.refresh(home)
    assert home.type == FacilityType.regional_center
    post(client, f"/registry/{home.id}/close", {"on": local_today().isoformat()})
    db.session.refresh(home)
    assert home.closed_on == local_today()
    listing = client.get("/registry").get_data(as_text=True)
    assert "九华镇敬老院" in listing


def test_a_bad_registration_form_answers_422_and_saves_nothing(app, client, bureau_admin, town):
    login(client, bureau_admin)
    response = post(client, "/registry/new", {"name": "", "type": "public_home", "town_id": town.id,
                                              "ownership": "public", "licensed_beds": "-5", "serves_tekun": "auto"})
    assert response.status_code == 422
    assert db.session.scalar(select(Facility.id)) is None


def test_staff_read_the_registry_but_cannot_change_it(app, client, bureau_staff, facility):
    login(client, bureau_staff)
    page = client.get("/registry").get_data(as_text=True)
    assert facility.name in page and "/registry/new" not in page
    assert client.get(f"/registry/{facility.id}").status_code == 403


def test_only_assistants_are_given_a_town(app, bureau_admin, town, family):
    with pytest.raises(InvalidInput):
        beds.assign_town(bureau_admin, family, town.id)
    assistant = factories.user("assistant1", Role.town_assistant)
    beds.assign_town(bureau_admin, assistant, town.id)
    db.session.commit()
    assert assistant.town_id == town.id and _audits("user.assign_town")[0].after == {"town_id": town.id}


def test_needs_cleaning_state_is_not_a_reason_to_refuse_closing(app, bureau_admin, manager, facility):
    bed = factories.bed(facility, added_on=date(2020, 1, 1), needs_cleaning=True)
    assert queries.state_of(bed.id) == BedState.needs_cleaning
    registry.close(bureau_admin, facility, on=local_today())
    assert bed.retired_on == local_today()


def test_the_command_line_creates_a_town_assistant_with_a_town(app, runner, town):
    result = runner.invoke(args=["users", "create", "assistant9", "--role", "town_assistant", "--name", "周助理",
                                 "--town-id", str(town.id), "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assistant = db.session.scalar(select(User).where(User.username == "assistant9"))
    assert assistant.town_id == town.id and assistant.role == Role.town_assistant
    refused = runner.invoke(args=["users", "create", "family9", "--role", "family", "--name", "家属",
                                  "--town-id", str(town.id), "--password", "a long enough password"])
    assert refused.exit_code != 0
    assert db.session.scalar(select(User).where(User.username == "family9")) is None
