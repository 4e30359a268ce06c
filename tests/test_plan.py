"""The 2024 plan, faithfully (issue 12): the tekun reserve wherever tekun elders are served, and
the plan's order of priority for surplus beds, on worked examples with known answers."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eldercare.audit import AuditEvent
from eldercare.dashboard import services as dashboard
from eldercare.errors import InvalidInput
from eldercare.extensions import db as _db
from eldercare.facilities import reserve
from eldercare.facilities import services as beds
from eldercare.facilities.models import CareType, FacilityType, Ownership
from eldercare.models import utcnow
from eldercare.placements import priority, queries, workflow
from eldercare.placements.models import Status
from eldercare.residents.models import AbilityLevel, Category
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post


def _applicant(family, *, category=Category.general, ability=None, born=date(1940, 1, 1), waited=0, **flags):
    elder = factories.elder(birth=born)
    application = factories.application(family, elder, status=Status.approved, category=category,
                                        ability_level=ability, **flags)
    application.submitted_at = utcnow() - timedelta(days=waited)
    application.approved_at = application.submitted_at
    _db.session.commit()
    return application


# --- the plan's order of priority -----------------------------------------------------------

def test_a_severely_disabled_general_elder_ranks_above_a_non_disabled_dibao_elder(db, family):
    """Found: with the old weights the dibao elder scored higher."""
    disabled = _applicant(family, ability=AbilityLevel.mild, severe_disability=True)
    dibao = _applicant(family, category=Category.dibao)
    today = local_today()
    assert priority.score(dibao, today) > priority.score(disabled, today)  # the score alone would invert it
    assert priority.group_of(disabled)[1] == "severely_disabled"
    assert priority.group_of(dibao)[1] == "economic_hardship"
    ranked = [r["application"].id for r in queries.review_list(Status.approved, local_today())]
    assert ranked.index(disabled.id) < ranked.index(dibao.id)


def test_a_disabled_dibao_elder_ranks_above_a_95_year_old_who_waited_200_days(db, family):
    """Found: age, waiting and living-alone points put the general elder first."""
    old = _applicant(family, born=date(1931, 1, 1), waited=200, ability=AbilityLevel.moderate, living_alone=True,
                     empty_nest=True)
    dibao = _applicant(family, category=Category.dibao, ability=AbilityLevel.mild)
    assert priority.score(old, local_today()) > priority.score(dibao, local_today())
    ranked = [r["application"].id for r in queries.review_list(Status.approved, local_today())]
    assert ranked.index(dibao.id) < ranked.index(old.id)


def test_the_five_groups_in_the_plans_order(db, family):
    expected = [
        _applicant(family, category=Category.dibao, ability=AbilityLevel.mild),  # 1 disabled dibao
        _applicant(family, ability=AbilityLevel.complete),  # 2 severely disabled
        _applicant(family, category=Category.dibao_edge, living_alone=True),  # 3 poor, living alone
        _applicant(family, category=Category.expense_hardship),  # 4 other hardship
        _applicant(family, born=date(1925, 1, 1), waited=300, living_alone=True),  # 5 general
    ]
    assert [priority.group_of(a)[0] for a in expected] == [1, 2, 3, 4, 5]
    ranked = queries.review_list(Status.approved, local_today())
    assert [r["application"].id for r in ranked] == [a.id for a in expected]


def test_the_administrator_reorders_the_groups_audited_and_bad_orders_change_nothing(db, client, family,
                                                                                      bureau_admin):
    dibao = _applicant(family, category=Category.dibao, ability=AbilityLevel.mild)
    alone = _applicant(family, category=Category.dibao_edge, living_alone=True)
    login(client, bureau_admin)
    positions = {"dibao_disabled": 2, "severely_disabled": 3, "poor_living_alone": 1, "economic_hardship": 4,
                 "general": 5}
    duplicate = {**positions, "general": 4}
    post(client, "/review/groups", duplicate)
    assert priority.group_order()[0] == "dibao_disabled"
    post(client, "/review/groups", positions)
    assert priority.group_order()[:2] == ["poor_living_alone", "dibao_disabled"]
    ranked = [r["application"].id for r in queries.review_list(Status.approved, local_today())]
    assert ranked.index(alone.id) < ranked.index(dibao.id)
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "priority.groups"))
    assert event.actor_id == bureau_admin.id and event.before["order"][0] == "dibao_disabled"
    with pytest.raises(InvalidInput):
        priority.set_group_order(bureau_admin, {**positions, "general": 0})


def test_the_family_and_the_reviewer_see_the_group(db, client, family, bureau_staff):
    application = _applicant(family, ability=AbilityLevel.severe)
    for user in (family, bureau_staff):
        login(client, user)
        page = client.get(f"/applications/{application.id}").get_data(as_text=True)
        assert 'data-testid="group"' in page and ("重度失能" in page or "severely disabled" in page)
        post(client, "/logout")


def test_tekun_elders_unable_to_care_for_themselves_come_before_the_preferred_town(db, family, town):
    home = factories.facility(town, type=FacilityType.public_home)
    bed = factories.bed(home)
    elsewhere = factories.town("东陈镇", "320682104")
    near = _applicant(family, category=Category.tekun, ability=AbilityLevel.mild)
    near.preferred_town_ids = [town.id]
    far = _applicant(family, category=Category.tekun, ability=AbilityLevel.complete)
    far.preferred_town_ids = [elsewhere.id]
    _db.session.commit()
    assert [r["application"].id for r in queries.ranked_for_bed(bed, local_today())] == [far.id, near.id]


# --- the tekun reserve wherever tekun elders are served -------------------------------------

def test_a_regional_centre_serving_tekun_elders_keeps_its_reserve(db, manager, town, bureau_staff, family):
    """Found: a converted centre kept no reserve, opened every bed and could not receive tekun elders."""
    centre = factories.facility(town, type=FacilityType.regional_center, serves_tekun=True)
    manager.facilities.append(centre)
    first, second = factories.bed(centre), factories.bed(centre)
    beds.admit(manager, first, factories.elder(category=Category.tekun), on=local_today())
    tekun = _applicant(family, category=Category.tekun, ability=AbilityLevel.mild)
    tekun.preferred_facility_ids = [centre.id]
    _db.session.commit()
    assert reserve.reserves()[centre.id].reserve == 2  # one resident, one pending application
    with pytest.raises(beds.ReserveNeeded):
        beds.set_open_to_public(manager, second, True)
    _db.session.rollback()
    workflow.offer(bureau_staff, tekun, second)
    assert tekun.status == Status.offered


def test_a_public_private_home_keeps_a_fifth_of_its_beds(db, town, bureau_admin):
    home = factories.facility(town, type=FacilityType.private_home, ownership=Ownership.public_private,
                              serves_tekun=True)
    for n in range(11):
        factories.bed(home, code=f"B-{n}")
    _db.session.commit()
    assert reserve.reserves()[home.id].reserve == 3  # ceil(20% of 11)
    home.tekun_reserve = 1  # the administrator's explicit number wins
    _db.session.commit()
    assert reserve.reserves()[home.id].reserve == 1


def test_a_home_not_serving_tekun_elders_keeps_no_reserve(db, town, manager):
    home = factories.facility(town, type=FacilityType.private_home)
    manager.facilities.append(home)
    bed = factories.bed(home)
    _db.session.commit()
    assert home.id not in reserve.reserves()
    beds.set_open_to_public(manager, bed, True)
    assert bed.open_to_public


def test_the_dashboards_tekun_figures_share_one_scope(db, manager, town):
    centre = factories.facility(town, type=FacilityType.regional_center, serves_tekun=True)
    private = factories.facility(town, type=FacilityType.private_home)
    manager.facilities.extend([centre, private])
    for home in (centre, centre, private):
        beds.admit(manager, factories.bed(home, care_type=CareType.nursing), factories.elder(category=Category.tekun),
                   on=local_today())
    _db.session.commit()
    figures = dashboard.occupancy()
    assert figures["tekun_in_care"] == 2 and figures["tekun_reserve"] == 2 and figures["tekun_elsewhere"] == 1


def test_managers_and_families_cannot_reorder_groups(db, client, manager, family):
    for user in (manager, family):
        login(client, user)
        assert post(client, "/review/groups", {"general": 1}).status_code == 403
        post(client, "/logout")
    assert priority.group_order() == list(priority.DEFAULT_GROUP_ORDER)


# --- the bureau's own words in the Chinese interface ----------------------------------------

def test_the_chinese_catalog_uses_the_bureaus_terms():
    from babel.messages.pofile import read_po

    from tests.test_translations import TRANSLATIONS

    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale="zh")
    text = {m.id: m.string for m in catalog if m.id}
    assert text["extremely poor, state-supported (tekun)"] == "特困供养人员"
    assert text["minimum living allowance (dibao)"] == "低保对象"
    assert text["near dibao"] == "低保边缘家庭成员"
    assert text["expense hardship"] == "支出型困难家庭成员"
    assert text["of institution beds are nursing-type"] == "养老机构护理型床位占比"
    assert text["Care type"] == "床位性质"
    assert "跌倒、噎食、自杀、走失" in text["Number of falls, choking, self-harm or wandering in the last 30 days"]
    strings = " ".join(s if isinstance(s, str) else " ".join(s) for s in text.values())
    for other_name in ("特困老人", "特困供养老人", "护理类型"):
        assert other_name not in strings


# --- ability assessments as the rules ask ----------------------------------------------------

@pytest.mark.parametrize("total, level", [(90, "intact"), (89, "mild"), (66, "mild"), (65, "moderate"),
                                          (46, "moderate"), (45, "severe"), (30, "severe"), (29, "complete")])
def test_level_boundaries(total, level):
    from eldercare.residents.rules import level_for_total

    assert level_for_total(total).value == level


def test_a_nursing_type_bed_needs_an_assessment_first(db, manager, facility, client):
    never = factories.elder(name="未评估", ability_level=None)
    nursing, ordinary = factories.bed(facility), factories.bed(facility, care_type=CareType.ordinary)
    _db.session.commit()
    with pytest.raises(beds.AssessmentNeeded):
        beds.admit(manager, nursing, never, on=local_today())
    _db.session.rollback()
    assert beds.admit(manager, ordinary, never, on=local_today()).bed_id == ordinary.id


def test_the_admission_form_records_the_assessment_with_its_reason(db, client, manager, facility):
    from eldercare.residents.models import Assessment, AssessmentReason, Elder

    bed = factories.bed(facility)
    _db.session.commit()
    login(client, manager)
    form = {"bed_id": bed.id, "name": "龚梅", "id_number": "320682193311194005", "category": "general",
            "on": local_today().isoformat()}
    refused = post(client, f"/facilities/{facility.id}/admit", form)
    assert refused.status_code == 422 and _db.session.scalar(select(Elder.id)) is None
    scores = {"assessment-self_care": "20", "assessment-mobility": "8", "assessment-mental": "10",
              "assessment-perception": "5"}  # 43: severe
    assert post(client, f"/facilities/{facility.id}/admit", {**form, **scores}).status_code == 302
    record = _db.session.scalar(select(Assessment))
    assert record.reason == AssessmentReason.admission and record.level == AbilityLevel.severe
    assert post(client, f"/beds/{bed.id}/assess", {"reason": "annual_review", "self_care": "32", "mobility": "15",
                                                   "mental": "28", "perception": "15"}).status_code == 302
    latest = _db.session.scalars(select(Assessment).order_by(Assessment.id.desc())).first()
    assert latest.reason == AssessmentReason.annual_review and latest.level == AbilityLevel.intact


def test_a_nursing_type_bed_is_offered_only_to_an_assessed_applicant(db, family, bureau_staff, facility):
    bed = factories.bed(facility, open_to_public=True)
    application = _applicant(family)
    application.ability_level = None
    _db.session.commit()
    with pytest.raises(workflow.NotEligible):
        workflow.offer(bureau_staff, application, bed)


def test_residents_are_reminded_for_a_yearly_review_once(db, manager, facility):
    from eldercare.facilities.services import remind_reassessments
    from eldercare.notifications import Notification
    from eldercare.residents.models import Assessment

    overdue, fresh = factories.elder(name="逾期"), factories.elder(name="新近")
    for elder, days in ((overdue, 400), (fresh, 30)):
        stay_bed = factories.bed(facility)
        beds.admit(manager, stay_bed, elder, on=local_today() - timedelta(days=days))
        _db.session.add(Assessment(elder_id=elder.id, self_care=32, mobility=15, mental=28, perception=15, total=90,
                                   level=AbilityLevel.intact, assessed_at=utcnow() - timedelta(days=days)))
    _db.session.commit()
    assert remind_reassessments() == 1
    _db.session.commit()
    assert remind_reassessments() == 0  # the same day again: nothing new
    notes = [n.text for n in _db.session.scalars(select(Notification).where(Notification.user_id == manager.id))]
    assert len(notes) == 1 and "逾期" in notes[0]


def test_a_closed_home_is_neither_chosen_nor_shown_to_the_public(db, client, town, bureau_admin):
    from eldercare.facilities.models import Facility
    from eldercare.placements.queries import institutions

    home = factories.facility(town, name="已关闭的养老院")
    open_home = factories.facility(town, name="开放的养老院")
    _db.session.get(Facility, home.id).closed_on = local_today()
    _db.session.commit()
    assert [f["id"] for f in institutions()] == [open_home.id]
    assert client.get(f"/open-beds/{home.id}").status_code == 404
    assert client.get(f"/open-beds/{open_home.id}").status_code == 200
