"""eldercare/spreadsheets.py on its own: reading CSV and XLSX with Chinese or English headers,
refusals, formula cells kept as text, and escaping on export."""

import io
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from eldercare import spreadsheets
from eldercare.errors import InvalidInput
from eldercare.spreadsheets import Column, SpreadsheetRefused

COLUMNS = [Column("name", ("姓名", "Name")), Column("day", ("日期", "Date")),
           Column("note", ("备注", "Note"), required=False)]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_csv_in_utf8_or_gbk_with_chinese_or_english_headers(app):
    for data in ("姓名,日期\n张三,2024-03-01\n".encode("utf-8-sig"), "姓名,日期\n张三,2024-03-01\n".encode("gbk"),
                 " NAME ,date,note\n张三,2024-03-01,\n".encode()):
        rows = spreadsheets.read(data, COLUMNS)
        assert [(r.number, r.values["name"], r.values["day"]) for r in rows] == [(2, "张三", "2024-03-01")]
        assert rows[0].values["note"] == ""


def test_xlsx_cells_as_text_formulas_never_evaluated(app):
    data = xlsx([["姓名", "日期", "备注"], ["=1+1", datetime(2024, 3, 1), 320682198001010012],
                 [None, None, None], ["李四", date(2024, 3, 2), 12.0]])
    rows = spreadsheets.read(data, COLUMNS)
    assert [r.number for r in rows] == [2, 4]  # the blank row is skipped, numbers as the program shows them
    # An 18-digit number stored as a number has lost digits in the file: it comes back as it
    # is, never rounded into a different valid-looking number.
    assert rows[0].values == {"name": "=1+1", "day": "2024-03-01", "note": "3.2068219800101e+17"}
    assert rows[1].values["note"] == "12"


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"\n\n", "empty"),
    ("姓名\n张三\n".encode(), "missing"),
    ("姓名,日期,年龄\n张三,2024-03-01,80\n".encode(), "not known"),
    ("姓名,日期,Name\n张三,2024-03-01,张三\n".encode(), "twice"),
    ("姓名,日期\n".encode(), "no rows"),
    (b"GIF89a\x01\x00\x01\x00\x00\xff\x00", "not a spreadsheet"),
    (b"PK\x03\x04broken", "not a spreadsheet"),
    (b"x" * (5 * 1024 * 1024 + 1), "5 MB"),
])
def test_whole_files_are_refused_with_the_reason(app, data, message):
    with app.test_request_context(), force_locale("en"), pytest.raises(SpreadsheetRefused) as refused:
        spreadsheets.read(data, COLUMNS)
    with app.test_request_context(), force_locale("en"):
        assert message in str(refused.value)


def test_too_many_rows_are_refused(app):
    data = ("姓名,日期\n" + "张三,2024-03-01\n" * 4).encode()
    with app.test_request_context(), pytest.raises(SpreadsheetRefused):
        spreadsheets.read(data, COLUMNS, max_rows=3)


def test_dates_and_numbers(app):
    for text in ("2024-03-01", "2024/3/1", "2024.03.01", "2024年3月1日", "2024-03-01 00:00:00"):
        assert spreadsheets.as_date(text) == date(2024, 3, 1)
    for text in ("2024-02-30", "1/3/2024", "=TODAY()", ""):
        with app.test_request_context(), pytest.raises(InvalidInput):
            spreadsheets.as_date(text)
    assert spreadsheets.as_number("3,800") == 3800
    for text in ("=1+1", "+5", "-5", "@A1", "abc", "NaN", "Infinity"):
        with app.test_request_context(), pytest.raises(InvalidInput):
            spreadsheets.as_number(text)


def test_exports_escape_formulas(app):
    header = ["姓名", "金额"]
    rows = [["=cmd|' /C calc'!A0", 3800], ["@SUM(A1)", None], ["-1", "+86"], ["普通", 1.5]]
    text = spreadsheets.write_csv(header, rows).decode("utf-8")
    assert text.startswith("\ufeff姓名,金额")
    assert "'=cmd" in text and "'@SUM" in text and "'-1" in text and "'+86" in text and "普通,1.5" in text
    sheet = load_workbook(io.BytesIO(spreadsheets.write_xlsx(header, rows))).active
    assert sheet["A2"].value == "=cmd|' /C calc'!A0" and sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert sheet["B2"].value == 3800 and sheet["A5"].value == "普通" and not sheet["A5"].quotePrefix
