"""Beds in and out as spreadsheets: the manager's import page (preview, then all or nothing),
the API's import and export, good, bad and hostile files."""

import io
import json
import re
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.facilities.models import Bed, CareType, Room, Stay
from tests import factories
from tests.api_helpers import bearer, token_for
from tests.conftest import csrf_token, login

GOOD = "房间,床位号,床位种类,床位类型,停用\n1,1-01,机构床位,护理型,否\n1,1-02,机构床位,普通型,\n2,2-01,,护理型,是\n"


def xlsx(rows, title="Sheet1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, facility, data: bytes, name="beds.csv"):
    return client.post(f"/facilities/{facility.id}/beds/import",
                       data={"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def confirm(client, facility, page: str):
    rows = re.search(r'name="rows" type="hidden" value="([^"]*)"', page).group(1)
    import html
    return client.post(f"/facilities/{facility.id}/beds/import/confirm",
                       data={"csrf_token": csrf_token(client), "rows": html.unescape(rows)})


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_file_is_previewed_then_imported_and_importing_it_again_changes_nothing(app, db, client, facility,
                                                                                   manager):
    login(client, manager)
    preview = upload(client, facility, GOOD.encode())
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "1-02" in page and count(db, Bed) == 0  # a preview writes nothing
    assert confirm(client, facility, page).status_code == 302
    beds = {b.code: b for b in db.session.scalars(select(Bed))}
    assert set(beds) == {"1-01", "1-02", "2-01"}
    assert beds["1-02"].care_type == CareType.ordinary and beds["2-01"].out_of_service
    assert {r.code for r in db.session.scalars(select(Room))} == {"1", "2"}
    events = count(db, AuditEvent)
    again = upload(client, facility, GOOD.encode())
    assert confirm(client, facility, again.get_data(as_text=True)).status_code == 302
    assert count(db, Bed) == 3 and count(db, AuditEvent) == events  # nothing changed, nothing recorded


def test_english_headers_in_xlsx_change_a_known_bed(app, db, client, facility, manager):
    bed = factories.bed(facility, code="A-1", care_type=CareType.ordinary)
    db.session.commit()
    login(client, manager)
    data = xlsx([["Room", "Bed code", "Kind", "Care type", "Out of service"], ["", "A-1", "institution bed",
                                                                                "nursing-type", "no"]])
    page = upload(client, facility, data, "beds.xlsx").get_data(as_text=True)
    assert confirm(client, facility, page).status_code == 302
    db.session.refresh(bed)
    assert bed.care_type == CareType.nursing


def test_rows_with_errors_are_shown_and_nothing_is_written(app, db, client, facility, manager):
    resident_bed = factories.bed(facility, code="R-1")
    db.session.add(Stay(elder_id=factories.elder().id, bed_id=resident_bed.id, start_on=date(2024, 1, 1)))
    db.session.commit()
    login(client, manager)
    bad = ("床位号,床位类型,停用\nN-1,护理型,否\nN-2,豪华型,否\nN-1,普通型,否\nR-1,护理型,是\n").encode()
    response = upload(client, facility, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="confirm-import"' not in page
    assert "豪华型" in page
    assert page.count("row-error") == 3  # an unknown care type, a repeated code, an occupied bed out of service
    assert count(db, Bed) == 1 and not db.session.get(Bed, resident_bed.id).out_of_service


def test_hostile_files_are_refused_whole(app, db, client, facility, manager):
    login(client, manager)
    for data, name in [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "beds.csv"),  # not a spreadsheet
        (b"PK\x03\x04 not really a zip", "beds.xlsx"),
        (xlsx([["Name", "Salary"], ["a", 1]], title="Payroll"), "beds.xlsx"),  # another sheet altogether
        (("床位号,床位类型\n" + "".join(f"X-{i},护理型\n" for i in range(10_000))).encode(), "big.csv"),
        (b"", "empty.csv"),
    ]:
        response = upload(client, facility, data, name)
        assert response.status_code == 422, name
        assert 'data-testid="preview"' not in response.get_data(as_text=True)
    assert count(db, Bed) == 0


def test_a_formula_is_text_in_and_escaped_out(app, db, client, facility, manager):
    login(client, manager)
    data = xlsx([["床位号", "床位类型"], ["=HYPERLINK(\"http://x\",\"1\")", "护理型"]])
    page = upload(client, facility, data, "beds.xlsx").get_data(as_text=True)
    assert confirm(client, facility, page).status_code == 302
    assert db.session.scalar(select(Bed.code)).startswith("=HYPERLINK")  # stored as the text it was
    csv = client.get(f"/facilities/{facility.id}/beds/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv
    book = load_workbook(io.BytesIO(client.get(f"/facilities/{facility.id}/beds/export.xlsx").data))
    cell = book.active["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_the_api_previews_applies_and_exports(app, db, client, facility, manager, bureau_staff):
    headers = bearer(token_for(manager))
    url = f"/api/v1/facilities/{facility.id}/beds/import"
    preview = client.post(url, data={"file": (io.BytesIO(GOOD.encode()), "beds.csv")}, headers=headers,
                          content_type="multipart/form-data")
    assert preview.status_code == 200 and preview.json["applied"] is False and count(db, Bed) == 0
    assert [r["row"] for r in preview.json["rows"]] == [2, 3, 4]
    applied = client.post(f"{url}?apply=true", data={"file": (io.BytesIO(GOOD.encode()), "beds.csv")},
                          headers=headers, content_type="multipart/form-data")
    assert applied.json["applied"] is True and count(db, Bed) == 3
    bad = client.post(f"{url}?apply=true", data={"file": (io.BytesIO("床位号,床位类型\nZ,豪华\n".encode()), "b.csv")},
                      headers=headers, content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert bad.json["rows"][0]["errors"] and count(db, Bed) == 3
    refused = client.post(url, data={"file": (io.BytesIO(b"\x00\x01"), "b.csv")}, headers=headers,
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "rows" not in refused.json
    exported = client.get(f"/api/v1/facilities/{facility.id}/beds/export?format=csv",
                          headers=bearer(token_for(bureau_staff)))
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = exported.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "房间,床位号,床位种类,床位类型,停用,状态" and len(lines) == 4
    # The export imports back unchanged.
    again = client.post(url, data={"file": (io.BytesIO(exported.data), "beds.csv")}, headers=headers,
                        content_type="multipart/form-data")
    assert again.status_code == 200, again.json
    assert json.dumps(again.json).count('"errors": []') == 3
