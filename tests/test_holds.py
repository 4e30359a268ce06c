"""Beds and offers that always agree (issue 8): a hold has one owner, time changes a bed only
through a job, locks are taken in one order, and the manager's way from an accepted offer to the
admission. Each defect is reproduced as it was found."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eldercare.auth.models import Role, User
from eldercare.dashboard import services as dashboard
from eldercare.dashboard.charts import STATE_COLOURS
from eldercare.extensions import db as _db
from eldercare.facilities import queries, reserve
from eldercare.facilities import services as beds
from eldercare.facilities.models import Away, Bed, BedHold, BedState, CareType, Stay
from eldercare.jobs import release_expired_holds
from eldercare.models import utcnow
from eldercare.placements import queries as placement_queries
from eldercare.placements import workflow
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Elder
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post
from tests.test_concurrency import CRASH, race


@pytest.fixture
def offered(db, facility):
    family = factories.user("fam", Role.family)
    manager = factories.user("mgr", Role.facility_manager, facilities=[facility])
    staff = factories.user("staff", Role.bureau_staff)
    bed = factories.bed(facility, code="101-1", open_to_public=True)
    application = factories.application(family, status=Status.approved, preferred_town_ids=[facility.town_id])
    application.approved_at = utcnow()
    workflow.offer(staff, application, bed)
    db.session.commit()
    return {"family": family, "manager": manager, "staff": staff, "bed": bed, "application": application}


# --- a hold has one owner -------------------------------------------------------------------

def test_the_manager_cannot_release_an_offers_hold(db, client, offered):
    """Reproduced: the bed page's release freed an offered bed, a walk-in took it, and the
    family's accepted application was stuck."""
    o = offered
    with pytest.raises(beds.HeldForOffer):
        beds.release_hold(o["manager"], o["bed"])
    _db.session.rollback()
    login(client, o["manager"])
    page = client.get(f"/beds/{o['bed'].id}").get_data(as_text=True)
    assert 'data-testid="hold"' in page and "release-hold" not in page and "民政局" in page
    post(client, f"/beds/{o['bed'].id}/release-hold")
    assert queries.state_of(o["bed"].id) == BedState.on_hold


def test_the_bureau_withdraws_an_offer_with_a_reason_the_family_reads(db, client, offered):
    o = offered
    workflow.accept(o["family"], o["application"])
    _db.session.commit()
    login(client, o["staff"])
    refused = post(client, f"/applications/{o['application'].id}/withdraw-offer", {"reason": ""})
    assert refused.status_code == 302
    _db.session.expire_all()
    assert o["application"].status == Status.accepted
    post(client, f"/applications/{o['application'].id}/withdraw-offer", {"reason": "该床位需要维修。"})
    _db.session.expire_all()
    assert o["application"].status == Status.approved and o["application"].offered_bed_id is None
    assert queries.state_of(o["bed"].id) == BedState.vacant
    post(client, "/logout")
    login(client, o["family"])
    assert "该床位需要维修。" in client.get(f"/applications/{o['application'].id}").get_data(as_text=True)
    # back on the waitlist, it can be offered again
    workflow.offer(o["staff"], o["application"], o["bed"])
    _db.session.commit()
    assert o["application"].status == Status.offered


# --- time is a change -----------------------------------------------------------------------

def test_an_expired_hold_changes_every_figure_when_the_job_releases_it(db, facility, manager, bureau_staff):
    """Reproduced: a manager's hold that expired changed no row, so cached figures counted it on
    hold while the board showed it vacant."""
    bed = factories.bed(facility, open_to_public=True)
    factories.bed(facility, code="B-2")
    hold = beds.place_hold(manager, bed, until=utcnow() + timedelta(hours=1))
    _db.session.commit()

    def figures():
        summary = next(s for s in queries.facility_summaries(lambda column: column.is_not(None))
                       if s["id"] == facility.id)
        board = queries.board(facility.id, with_residents=False)
        return (summary["counts"]["on_hold"], board["counts"]["on_hold"], dashboard.occupancy()["city"]["on_hold"],
                reserve.open_beds_by_facility().get(facility.id, 0),
                placement_queries.open_beds_public()["nursing"])

    assert figures()[:3] == (1, 1, 1)
    held = figures()
    hold.expires_at = utcnow() - timedelta(seconds=1)  # the clock moves past the expiry
    _db.session.commit()
    assert figures() == held  # nothing changes by itself: board and figures agree
    assert release_expired_holds() == 1
    after = figures()
    assert after == (0, 0, 0, 1, 1)
    assert release_expired_holds() == 0  # idempotent


def test_an_offers_hold_is_left_to_the_offer_expiry(db, offered):
    hold = _db.session.scalar(select(BedHold).where(BedHold.released_at.is_(None)))
    hold.expires_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    assert release_expired_holds() == 0
    assert workflow.expire_offers(utcnow() + timedelta(hours=100)) == 1
    assert queries.state_of(offered["bed"].id) == BedState.vacant


# --- lock order -----------------------------------------------------------------------------

def _as(user_id, fn, *args, **kwargs):
    def attempt():
        fn(_db.session.get(User, user_id), *args, **kwargs)
    return attempt


def test_approval_racing_a_withdrawal_ends_in_one_state(app, db, family, bureau_staff):
    """Reproduced: a bureau approval racing a family's withdrawal deadlocked on PostgreSQL."""
    for _ in range(3):
        application = factories.application(family, factories.elder(), status=Status.under_review)
        outcomes = race(app, [
            _as(bureau_staff.id, lambda u, i=application.id: workflow.approve(u, _db.session.get(Application, i))),
            _as(family.id, lambda u, i=application.id: workflow.withdraw(u, _db.session.get(Application, i))),
        ])
        assert "ok" in outcomes and len(outcomes) == 2 and not any(o.startswith(CRASH) for o in outcomes)
        _db.session.expire_all()
        assert _db.session.get(Application, application.id).status == Status.withdrawn


def test_offer_racing_a_decline_leaves_one_hold_at_most(app, db, offered, facility):
    o = offered
    second = factories.bed(facility, code="101-2", open_to_public=True)
    _db.session.commit()
    app_id = o["application"].id
    outcomes = race(app, [
        _as(o["family"].id, lambda u: workflow.decline(u, _db.session.get(Application, app_id))),
        _as(o["staff"].id, lambda u: workflow.offer(u, _db.session.get(Application, app_id),
                                                      _db.session.get(Bed, second.id))),
    ])
    assert len(outcomes) == 2 and "ok" in outcomes and not any(o.startswith(CRASH) for o in outcomes)
    _db.session.expire_all()
    active = _db.session.scalar(select(func.count()).select_from(BedHold).where(
        BedHold.application_id == app_id, BedHold.released_at.is_(None)))
    assert active == (1 if _db.session.get(Application, app_id).status == Status.offered else 0)


def test_admissions_racing_discharges_on_the_same_elder(app, db, manager, facility):
    for _ in range(3):
        elder = factories.elder()
        first, second = factories.bed(facility), factories.bed(facility)
        stay = beds.admit(manager, first, elder, on=local_today())
        _db.session.commit()
        outcomes = race(app, [
            _as(manager.id, lambda u, s=stay.id: beds.discharge(u, _db.session.get(Stay, s), on=local_today())),
            _as(manager.id, lambda u, e=elder.id, b=second.id: beds.admit(
                u, _db.session.get(Bed, b), _db.session.get(Elder, e), on=local_today())),
        ])
        assert len(outcomes) == 2 and "ok" in outcomes and not any(o.startswith(CRASH) for o in outcomes)
        _db.session.expire_all()
        assert _db.session.scalar(select(func.count()).select_from(Stay).where(
            Stay.elder_id == elder.id, Stay.end_on.is_(None))) <= 1


# --- the manager's way from an accepted offer to the admission ------------------------------

def test_the_board_lists_accepted_offers_and_the_bed_admits_them(db, client, offered):
    o = offered
    workflow.accept(o["family"], o["application"])
    _db.session.commit()
    login(client, o["manager"])
    board = client.get(f"/facilities/{o['bed'].facility_id}/board").get_data(as_text=True)
    assert 'data-testid="waiting-admissions"' in board and o["application"].elder_name in board
    page = client.get(f"/beds/{o['bed'].id}").get_data(as_text=True)
    assert 'data-testid="admit-offer"' in page
    response = post(client, f"/applications/{o['application'].id}/admit", {"on": local_today().isoformat()})
    assert response.status_code == 302
    _db.session.expire_all()
    assert o["application"].status == Status.admitted
    assert queries.state_of(o["bed"].id) == BedState.occupied


def test_a_manager_added_later_sees_the_waiting_admission(db, client, offered, facility):
    workflow.accept(offered["family"], offered["application"])
    _db.session.commit()
    newcomer = factories.user("newcomer", Role.facility_manager, facilities=[facility])
    login(client, newcomer)
    assert offered["application"].elder_name in client.get(f"/facilities/{facility.id}/board").get_data(
        as_text=True)


# --- open to the public ---------------------------------------------------------------------

def test_open_to_public_takes_only_the_expected_values(db, client, manager, facility):
    bed = factories.bed(facility)
    _db.session.commit()
    login(client, manager)
    post(client, f"/beds/{bed.id}/open", {"open": "yes"})
    post(client, f"/beds/{bed.id}/open", {"open": "1"})
    _db.session.expire_all()
    assert bed.open_to_public
    post(client, f"/beds/{bed.id}/open", {"open": "closed"})
    _db.session.expire_all()
    assert bed.open_to_public  # anything but "0" is refused, not taken as "close"
    post(client, f"/beds/{bed.id}/open", {"open": "0"})
    _db.session.expire_all()
    assert not bed.open_to_public


def test_an_occupied_or_out_of_service_bed_cannot_be_opened(db, manager, facility):
    occupied, broken = factories.bed(facility), factories.bed(facility)
    beds.admit(manager, occupied, factories.elder(), on=local_today())
    beds.take_out_of_service(manager, broken)
    for bed in (occupied, broken):
        with pytest.raises(beds.BedNotAvailable):
            beds.set_open_to_public(manager, bed, True)


def test_the_board_marks_and_filters_open_beds(db, client, manager, facility):
    factories.bed(facility, code="OPEN-1", open_to_public=True)
    factories.bed(facility, code="SHUT-1")
    _db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board?open=1").get_data(as_text=True)
    assert "OPEN-1" in page and "SHUT-1" not in page
    assert 'data-testid="open-mark"' in page


# --- actions that cannot be undone ask first and say what happened ---------------------------

def test_actions_say_what_changed_and_a_transfer_lands_on_the_new_bed(db, client, manager, facility):
    first, second = factories.bed(facility, code="101-01"), factories.bed(facility, code="203-02")
    beds.admit(manager, first, factories.elder(name="王秀英"), on=local_today())
    _db.session.commit()
    login(client, manager)
    moved = post(client, f"/beds/{first.id}/transfer", {"to_bed_id": second.id, "on": local_today().isoformat()})
    assert moved.headers["Location"].endswith(f"/beds/{second.id}")
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "王秀英" in page and "203-02" in page
    post(client, f"/beds/{second.id}/away", {"away": "hospital"})
    page = client.get(f"/beds/{second.id}").get_data(as_text=True)
    assert "王秀英" in page and ("住院" in page or "in hospital" in page)
    assert re.search(r'<option selected value="hospital">|<option value="hospital" selected>', page)


def test_discharge_asks_first_and_is_not_the_first_button(db, client, manager, facility):
    bed = factories.bed(facility)
    beds.admit(manager, bed, factories.elder(name="李国"), on=local_today())
    _db.session.commit()
    login(client, manager)
    page = client.get(f"/beds/{bed.id}").get_data(as_text=True)
    discharge = re.search(r'<form method="post" action="/beds/\d+/discharge"[^>]*data-confirm="([^"]+)"', page)
    assert discharge is not None and "李国" in discharge.group(1)
    assert page.index("/discharge") > page.index("/away") and page.index("/discharge") > page.index("/assess")


# --- figures agree between pages ------------------------------------------------------------

def test_the_facility_list_summary_adds_up_its_columns(db, client, bureau_staff, facility, manager):
    occupied, away = factories.bed(facility), factories.bed(facility)
    factories.bed(facility)
    beds.admit(manager, occupied, factories.elder(), on=local_today())
    stay = beds.admit(manager, away, factories.elder(), on=local_today())
    beds.set_away(manager, stay, Away.hospital)
    _db.session.commit()
    login(client, bureau_staff)
    page = client.get("/facilities").get_data(as_text=True)
    summary = re.search(r'data-testid="summary">([^<]+)<', page).group(1)
    assert [int(n) for n in re.findall(r"\d+", summary)] == [1, 3, 1, 1, 1]  # facilities, beds, vacant, in, away


def test_board_chips_count_the_beds_a_care_type_filter_keeps(db, client, manager, facility):
    factories.bed(facility, code="N-1")
    factories.bed(facility, code="O-1", care_type=CareType.ordinary)
    factories.bed(facility, code="O-2", care_type=CareType.ordinary)
    _db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board?care_type=ordinary").get_data(as_text=True)
    assert re.search(r'data-testid="count-total">2<', page) and re.search(r'data-testid="count-vacant">2<', page)
    assert page.count('data-testid="bed-') == 2


def test_chart_colours_are_the_boards_state_colours():
    css = (Path(__file__).parents[1] / "eldercare" / "static" / "app.css").read_text()
    for state, colour in STATE_COLOURS.items():
        assert re.search(rf"--{state}:\s*{colour}\b", css), state


def test_towns_come_in_one_order_on_every_page(db, client, bureau_staff, manager):
    # codes order 东陈镇 before 白蒲镇, which is not the order of their names
    east = factories.town("东陈镇", "320682104")
    white = factories.town("白蒲镇", "320682103")
    for town in (east, white):
        beds.admit(manager, factories.bed(factories.facility(town)), factories.elder(), on=local_today())
    _db.session.commit()
    expected = [white.name, east.name]
    assert list(dashboard.occupancy()["by_town"]) == expected
    login(client, bureau_staff)
    page = client.get("/facilities").get_data(as_text=True)
    assert page.index(f"<option >{white.name}") < page.index(f"<option >{east.name}")


def test_a_past_years_dashboard_shows_that_years_end(db, client, bureau_staff, facility, manager):
    bed = factories.bed(facility, care_type=CareType.ordinary)
    bed.added_on = date(2020, 1, 1)
    _db.session.commit()
    beds.change_care_type(manager, bed, CareType.nursing)
    _db.session.commit()
    login(client, bureau_staff)
    last_year = local_today().year - 1
    page = client.get(f"/dashboard?year={last_year}").get_data(as_text=True)
    assert f"{last_year}-12-31" in page or f"{last_year}年12月31日" in page
    shown = re.search(r'data-testid="city-ratio-value">([^<]+)<', page).group(1)
    assert shown.startswith("0")  # the bed was ordinary then
    now = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="city-ratio-value">([^<]+)<', now).group(1).startswith("100")
