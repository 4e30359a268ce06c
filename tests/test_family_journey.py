"""Issue 14, point 1: the family always knows where things stand (application page, list, messages)."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from eldercare.auth.models import Role
from eldercare.extensions import db
from eldercare.notifications import Notification
from eldercare.placements import next_steps, workflow
from eldercare.placements.models import Status
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login


@pytest.fixture
def journey(db, town):
    home = factories.facility(town, name="如城颐养院", address="如皋市如城街道海阳路8号")
    family = factories.user("fam", Role.family)
    staff = factories.user("staff", Role.bureau_staff)
    manager = factories.user("mgr", Role.facility_manager, facilities=[home])
    bed = factories.bed(home, code="201-2", open_to_public=True)
    application = factories.application(family, status=Status.approved, preferred_town_ids=[town.id])
    return {"home": home, "family": family, "staff": staff, "manager": manager, "bed": bed,
            "application": application}


def _messages(user):
    return [note.text for note in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                                     .order_by(Notification.id))]


def _offered_and_accepted(j):
    workflow.offer(j["staff"], j["application"], j["bed"])
    workflow.accept(j["family"], j["application"])
    db.session.commit()


def test_each_message_names_what_happened_and_what_to_do(journey):
    j = journey
    workflow.offer(j["staff"], j["application"], j["bed"])
    db.session.commit()
    offer = _messages(j["family"])[-1]
    until = j["application"].offer_expires_at + timedelta(hours=8)  # Asia/Shanghai, the default zone
    assert "如城颐养院" in offer and "201-2" in offer and "海阳路8号" in offer
    assert until.strftime("%Y-%m-%d %H:%M") in offer
    assert "状态已更新" not in offer and "接受" in offer  # what to do, not only the new status
    workflow.accept(j["family"], j["application"])
    db.session.commit()
    accepted = _messages(j["family"])[-1]
    by = next_steps.call_by(j["application"])
    assert by == local_today() + timedelta(days=next_steps.CALL_WITHIN_DAYS)
    assert by.isoformat() in accepted and "如城颐养院" in accepted
    workflow.admit(j["manager"], j["application"], on=local_today())
    db.session.commit()
    admitted = _messages(j["family"])[-1]
    assert "如城颐养院" in admitted and "201-2" in admitted and local_today().isoformat() in admitted


def test_messages_after_a_decline_say_the_place_is_kept(journey):
    j = journey
    workflow.offer(j["staff"], j["application"], j["bed"])
    workflow.decline(j["family"], j["application"])
    db.session.commit()
    assert "轮候" in _messages(j["family"])[-1]


def test_the_application_page_keeps_the_accepted_bed_and_then_the_admission(client, journey):
    j = journey
    _offered_and_accepted(j)
    login(client, j["family"])
    page = client.get(f"/applications/{j['application'].id}").get_data(as_text=True)
    assert 'data-testid="accepted"' in page
    for text in ("如城颐养院", "201-2", "海阳路8号", next_steps.call_by(j["application"]).isoformat()):
        assert text in page
    workflow.admit(j["manager"], j["application"], on=local_today())
    db.session.commit()
    page = client.get(f"/applications/{j['application'].id}").get_data(as_text=True)
    assert 'data-testid="admitted"' in page and "如城颐养院" in page and "201-2" in page
    assert "联系您" not in page and 'data-testid="accepted"' not in page


def test_the_next_step_is_shown_to_the_family_only(client, journey):
    j = journey
    _offered_and_accepted(j)
    login(client, j["staff"])
    page = client.get(f"/applications/{j['application'].id}").get_data(as_text=True)
    assert 'data-testid="accepted"' in page and "如城颐养院" in page
    assert 'data-testid="next-step"' not in page


def test_the_list_shows_dates_and_the_next_step(client, journey):
    j = journey
    login(client, j["family"])
    page = client.get("/applications").get_data(as_text=True)
    assert format_date(local_today(), locale="zh") in page
    assert str(next_steps.NEXT_STEP[Status.approved]) in page or "床位" in page
    assert 'data-testid="next-step"' in page
