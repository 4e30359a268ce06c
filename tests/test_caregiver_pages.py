"""Caregiver pages through the client: roster, hire, a caregiver's record, training with
ticked attendees, pay bands, full ID numbers, pay kept from other homes, import and export."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.caregivers import queries, services
from eldercare.caregivers.models import (
    Caregiver,
    Certificate,
    Employment,
    EmploymentStatus,
    PayBand,
    Post,
    TrainingSession,
)
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import field_markup, login, post
from tests.test_caregivers import id_number


def hire(manager, facility, n, pay=4000, name=None):
    employment = services.hire(manager, facility, name=name or f"护理员{n}", id_number=id_number(n),
                               mobile="13800000000", hired_on=local_today() - timedelta(days=30),
                               post=Post.caregiver, monthly_pay=pay)
    factories.db.session.commit()
    return employment.caregiver


def test_manager_adds_a_caregiver_and_records_a_session_for_three(db, client, manager, facility):
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/caregivers/new", {
        "name": "张秀梅", "id_number": id_number(1), "mobile": "13912345678", "post": "caregiver",
        "hired_on": local_today().isoformat(), "monthly_pay": "4200"})
    assert response.status_code == 302
    person = db.session.scalar(select(Caregiver).where(Caregiver.name == "张秀梅"))
    assert response.headers["Location"].endswith(f"/caregivers/{person.id}")
    page = client.get(f"/caregivers/{person.id}").get_data(as_text=True)
    assert "张秀梅" in page and person.id_number not in page and person.id_number[:6] in page

    others = [hire(manager, facility, n) for n in (2, 3, 4)]
    ids = [person.id, others[0].id, others[1].id]
    response = client.post(f"/facilities/{facility.id}/training", data={
        "course": "失能老人照护", "held_on": local_today().isoformat(), "hours": "8", "provider": "院内",
        "caregiver_ids": ids, "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(
            f"/facilities/{facility.id}/training").get_data(as_text=True)).group(1)})
    assert response.status_code == 302
    session = db.session.scalar(select(TrainingSession))
    assert sorted(c.id for c in session.attendees) == sorted(ids)
    assert client.get(f"/facilities/{facility.id}/caregivers").status_code == 200
    hours = {r["id"]: r["hours"] for r in queries.roster(facility.id, local_today(), with_pay=False)}
    assert hours == {person.id: 8, others[0].id: 8, others[1].id: 8, others[2].id: 0}


def test_a_session_with_nobody_ticked_is_refused(db, client, manager, facility):
    hire(manager, facility, 5)
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/training", {
        "course": "x", "held_on": local_today().isoformat(), "hours": "2", "provider": "院内"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_bad_hire_form_shows_the_reason_on_the_id_field_and_writes_nothing(db, client, manager, facility):
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/caregivers/new", {
        "name": "甲", "id_number": "340524198001010013", "post": "caregiver",
        "hired_on": local_today().isoformat(), "monthly_pay": "4200"})
    assert response.status_code == 422
    field = field_markup(response.get_data(as_text=True), "id_number")  # the error marks the ID field
    assert 'class="field has-error"' in field and 'class="error"' in field
    assert db.session.scalar(select(func.count()).select_from(Caregiver)) == 0


def test_pay_is_shown_only_to_the_paying_home_and_the_bureau(db, client, town, facility, manager, bureau_staff):
    person = hire(manager, facility, 10, pay=4321)
    services.change_status(manager, services.current_employment(person.id), EmploymentStatus.left,
                           on=local_today())
    new_home = factories.facility(town, name="新家")
    new_manager = factories.user("newmanager", Role.facility_manager, facilities=[new_home])
    services.hire(new_manager, new_home, name=person.name, id_number=person.id_number, mobile=None,
                  hired_on=local_today(), post=Post.caregiver, monthly_pay=5678)
    db.session.commit()
    login(client, manager)  # the old home sees its own history and pay, not the new pay
    page = client.get(f"/caregivers/{person.id}").get_data(as_text=True)
    assert "4321" in page and "5678" not in page
    assert client.get(f"/facilities/{new_home.id}/caregivers").status_code == 404
    post(client, "/logout")
    login(client, new_manager)
    page = client.get(f"/caregivers/{person.id}").get_data(as_text=True)
    assert "5678" in page and "4321" not in page
    post(client, "/logout")
    login(client, bureau_staff)
    page = client.get(f"/caregivers/{person.id}").get_data(as_text=True)
    assert "5678" in page and "4321" in page and person.id_number not in page
    page = post(client, f"/caregivers/{person.id}/reveal-id").get_data(as_text=True)
    assert person.id_number in page
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "caregiver.view_id_number")) == 1


def test_an_unrelated_manager_cannot_find_a_caregiver(db, client, town, facility, manager):
    person = hire(manager, facility, 11)
    stranger = factories.user("stranger", Role.facility_manager, facilities=[factories.facility(town)])
    login(client, stranger)
    assert client.get(f"/caregivers/{person.id}").status_code == 404
    assert post(client, f"/caregivers/{person.id}/pre-job", {
        "trained_on": local_today().isoformat(), "hours": "40", "provider": "x", "passed": "y"}).status_code == 404


def test_pay_bands_set_by_the_administrator(db, client, bureau_admin, bureau_staff):
    login(client, bureau_staff)
    assert client.get("/caregivers/pay-bands").status_code == 200
    assert post(client, "/caregivers/pay-bands", {"year": "2026", "level_5": "3000"}).status_code == 403
    post(client, "/logout")
    login(client, bureau_admin)
    response = post(client, "/caregivers/pay-bands", {"year": "2026", "level_5": "3000", "level_4": "3500",
                                                      "level_0": "2600"})
    assert response.status_code == 302
    assert queries.bands_in_force(2026) == {5: 3000, 4: 3500, 0: 2600}
    page = client.get("/caregivers/pay-bands?year=2026").get_data(as_text=True)
    assert 'value="3500"' in page
    assert db.session.scalar(select(func.count()).select_from(PayBand)) == 3


def test_certificate_correction_and_revocation_through_the_page(db, client, manager, facility):
    person = hire(manager, facility, 12)
    login(client, manager)
    issued = (local_today() - timedelta(days=100)).isoformat()
    assert post(client, f"/caregivers/{person.id}/certificates", {
        "number": "CERT-1", "level": "4", "issued_on": issued, "issuer": "如皋市人社局"}).status_code == 302
    assert queries.current_level(person.id, local_today()) == 4
    certificate_id = db.session.scalar(select(Certificate.id))
    post(client, f"/certificates/{certificate_id}/correct", {
        "number": "CERT-1", "level": "3", "issued_on": issued, "issuer": "如皋市人社局"})
    assert queries.current_level(person.id, local_today()) == 3
    post(client, f"/certificates/{certificate_id}/revoke")
    assert queries.current_level(person.id, local_today()) == 0
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "certificate")))
    assert actions == {"certificate.add", "certificate.correct", "certificate.revoke"}


def test_leaving_ends_the_spell_and_the_person_can_be_hired_elsewhere(db, client, manager, facility):
    person = hire(manager, facility, 13)
    login(client, manager)
    response = post(client, f"/caregivers/{person.id}/status", {"status": "left", "on": local_today().isoformat()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/facilities/{facility.id}/caregivers")
    assert db.session.scalar(select(Employment.status)) == EmploymentStatus.left


# Import and export -------------------------------------------------------------------------

HEADER_ZH = ["姓名", "身份证号", "手机号", "岗位", "入职日期", "月工资", "技能等级", "证书编号", "发证日期", "发证机构",
             "岗前培训日期", "岗前培训学时", "岗前培训机构"]


def xlsx(rows, header=HEADER_ZH) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, facility, data: bytes, name="roster.xlsx"):
    return post(client, f"/facilities/{facility.id}/caregivers/import",
                {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def good_row(n, name=None, level="四级", cert=None):
    return [name or f"导入{n}", id_number(n), "13800000000", "护理员", "2024-03-01", "3800", level,
            cert or f"C-{n}", "2023-05-01", "如皋市人社局", "2024-02-20", "40", "如皋市职教中心"]


def test_import_previews_then_writes_all_rows(db, client, manager, facility):
    login(client, manager)
    response = upload(client, facility, xlsx([good_row(21), good_row(22, level="5"), good_row(23, level="")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="confirm-import"' in page
    assert db.session.scalar(select(func.count()).select_from(Caregiver)) == 0  # a preview writes nothing
    rows = re.search(r'name="rows" type="hidden" value="([^"]+)"', page).group(1)
    rows = json.loads(rows.replace("&#34;", '"').replace("&quot;", '"'))
    response = post(client, f"/facilities/{facility.id}/caregivers/import/confirm", {"rows": json.dumps(rows)})
    assert response.status_code == 302
    roster = {r["name"]: r for r in queries.roster(facility.id, local_today(), with_pay=True)}
    assert set(roster) == {"导入21", "导入22", "导入23"}
    assert (roster["导入21"]["level"], roster["导入22"]["level"], roster["导入23"]["level"]) == (4, 5, 0)
    assert all(r["covered"] and r["monthly_pay"] == 3800 for r in roster.values())


def test_import_with_bad_rows_shows_each_error_and_writes_nothing(db, client, town, manager, facility):
    elsewhere = factories.facility(town, name="别处")
    services.hire(manager, elsewhere, name="在别处", id_number=id_number(35), mobile=None,
                  hired_on=local_today(), post=Post.caregiver, monthly_pay=3000)
    db.session.commit()
    login(client, manager)
    bad_id = good_row(31)
    bad_id[1] = "340524198001010013"
    unknown_level = good_row(32, level="六级")
    duplicate = good_row(31, name="导入31")
    on_other_roster = good_row(35, name="在别处")
    formula_pay = good_row(36)
    formula_pay[5] = "=1+1"
    response = upload(client, facility, xlsx([good_row(30), bad_id, unknown_level, bad_id, on_other_roster,
                                              formula_pay]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "confirm-import" not in page
    errors = dict(re.findall(r'data-row="(\d+)".*?<span class="check">(.*?)</span>\s*</li>', page, re.S))
    assert "✔" in errors["2"]
    assert "bad" in errors["3"] and "bad" in errors["4"] and "bad" in errors["5"]
    assert "3" in re.sub(r"<[^>]+>", "", errors["5"])  # the same ID number as row 3
    assert "bad" in errors["6"] and "bad" in errors["7"]
    assert duplicate  # (row 5 repeats row 3's ID number)
    assert db.session.scalar(select(func.count()).select_from(Caregiver)) == 1  # only the one from before


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "empty"),
    ("姓名,电话\n张三,138\n".encode(), "wrong.csv", "header"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "not a spreadsheet"),
    (b"PK\x03\x04 not really a zip file", "fake.xlsx", "not a spreadsheet"),
])
def test_whole_files_refused_with_a_clear_message(db, client, manager, facility, app, data, name, message):
    login(client, manager)
    client.get("/")
    post(client, "/language/en")
    response = upload(client, facility, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_file_over_5_mb_is_refused(db, client, manager, facility):
    login(client, manager)
    post(client, "/language/en")
    big = ",".join(HEADER_ZH).encode() + b"\n" + b"x" * (5 * 1024 * 1024)
    response = upload(client, facility, big, "big.csv")
    assert response.status_code == 422 and "larger than 5 MB" in response.get_data(as_text=True)


def test_export_escapes_formulas_and_masks_id_numbers(db, client, manager, facility):
    person = hire(manager, facility, 40, name="=HYPERLINK(\"http://x\")")
    login(client, manager)
    csv_text = client.get(f"/facilities/{facility.id}/caregivers/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and person.id_number not in csv_text and person.id_number[:6] in csv_text
    data = client.get(f"/facilities/{facility.id}/caregivers/export.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=1)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row=2, column=8).value == 4000


def test_the_board_links_to_the_roster(client, manager, facility):
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board").get_data(as_text=True)
    assert f"/facilities/{facility.id}/caregivers" in page


def test_roster_page_shows_figures_and_reminders(db, client, manager, facility):
    person = hire(manager, facility, 50)
    services.raise_reminders(date(local_today().year, 12, 31))
    db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/caregivers").get_data(as_text=True)
    assert 'data-testid="reminders"' in page and person.name in page
    assert 'data-testid="coverage">0.0%' in page
