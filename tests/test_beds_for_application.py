"""Issue 14, point 4: from an approved application, the vacant beds that fit it (by
workflow.check_eligible), one offer button per home and kind of bed, with a confirmation; the
dashboard's status figures link to the review list."""

import re

import pytest

from eldercare.auth.models import Role
from eldercare.extensions import db
from eldercare.facilities import reserve
from eldercare.facilities.models import CareType, FacilityType
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Category
from tests import factories
from tests.conftest import login, post


@pytest.fixture
def city(db, town):
    near = factories.facility(town, name="如城颐养院")
    near_beds = [factories.bed(near, code=f"N-{i}", care_type=CareType.nursing, open_to_public=True)
                 for i in range(3)]
    factories.bed(near, code="O-1", care_type=CareType.ordinary, open_to_public=True)
    factories.bed(near, code="C-1", care_type=CareType.nursing)  # not open to the public
    far_town = factories.town("白蒲镇", "320682102")
    far = factories.facility(far_town, name="白蒲颐养院")
    factories.bed(far, code="F-1", care_type=CareType.ordinary, open_to_public=True)
    public = factories.facility(town, name="如城敬老院", type=FacilityType.public_home, tekun_reserve=0)
    factories.bed(public, code="T-1", care_type=CareType.ordinary)  # kept for tekun elders
    family = factories.user("fam", Role.family)
    db.session.commit()
    return {"near": near, "near_beds": near_beds, "far": far, "public": public, "family": family, "town": town}


def _offered_beds(page):
    return re.findall(r'data-testid="offer-bed-(\d+)"', page)


def _codes(page):
    return re.findall(r"床位 ([A-Z]-\d)", page)


def test_the_beds_that_fit_come_one_per_home_and_kind(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.approved,
                                        preferred_town_ids=[city["town"].id])
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    # nursing and ordinary open beds of the preferred town; not the closed bed, not the tekun bed,
    # not the home in a town the family did not choose; three alike nursing beds make one line
    assert sorted(_codes(page)) == ["N-0", "O-1"]
    assert len(_offered_beds(page)) == 2 and "另有 2 张同类床位" in page
    assert page.count("data-confirm=") >= 2 and "如城颐养院" in page


def test_a_nursing_need_keeps_ordinary_beds_out(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.approved, needs_nursing=True)
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _codes(page) == ["N-0"]  # anywhere: every home searched, only nursing-type beds fit


def test_a_tekun_elder_is_shown_the_beds_kept_for_tekun_elders(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.approved, category=Category.tekun)
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _codes(page) == ["T-1"]


def test_the_reserve_is_respected(client, bureau_staff, city):
    public = city["public"]
    factories.bed(public, code="P-1", care_type=CareType.ordinary, open_to_public=True)
    public.tekun_reserve = 2  # one closed vacant bed: the reserve takes the open one back
    db.session.commit()
    assert reserve.open_beds_by_facility().get(public.id, 0) == 0
    application = factories.application(city["family"], status=Status.approved, preferred_facility_ids=[public.id])
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _codes(page) == [] and 'data-testid="no-beds"' in page
    public.tekun_reserve = 1
    db.session.commit()
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _codes(page) == ["P-1"]


def test_offering_from_the_list_holds_the_bed(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.approved,
                                        preferred_facility_ids=[city["near"].id])
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    bed_id = _offered_beds(page)[0]
    response = post(client, f"/applications/{application.id}/offer", {"bed_id": bed_id, "hours": 48})
    assert response.status_code == 302
    assert db.session.get(Application, application.id).status == Status.offered
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _offered_beds(page) == []  # no longer approved: nothing to offer


def test_the_application_page_links_to_the_beds_and_the_dashboard_to_the_approved(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.approved)
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f'href="/applications/{application.id}/beds"' in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="waitlist-approved"', dashboard).group(1)
    assert link == "/review?status=approved"
    assert application.elder_name in client.get(link).get_data(as_text=True)


def test_a_family_cannot_see_the_beds_list(client, city):
    application = factories.application(city["family"], status=Status.approved)
    login(client, city["family"])
    assert client.get(f"/applications/{application.id}/beds").status_code == 403


def test_an_admitted_elder_is_shown_no_beds(client, bureau_staff, city):
    application = factories.application(city["family"], status=Status.admitted)
    login(client, bureau_staff)
    page = client.get(f"/applications/{application.id}/beds").get_data(as_text=True)
    assert _offered_beds(page) == [] and "flash error" in page
