"""Spreadsheets in and out: CSV and XLSX (openpyxl), for any import or export of rows.

Knows no domain. A caller describes its columns (a key and the header names it accepts, in
Chinese or English), gets back the rows as text keyed by column with their row numbers, and
validates them itself; exports get a header and rows and come back as bytes.

Cells are data, never formulas: an XLSX formula is read as its text (never evaluated, never
its cached result), and on export any text starting with = + - @ (or a tab or carriage return)
is written so no spreadsheet program runs it: a leading apostrophe in CSV, a text cell with the
quote prefix in XLSX.
"""

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from flask import Response
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING

from eldercare.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetRefused(InvalidInput):
    """The file as a whole cannot be read: nothing in it is looked at further."""


@dataclass(frozen=True)
class Column:
    key: str
    names: tuple[str, ...]  # accepted header texts (any case, spaces ignored); the first is written on export
    required: bool = True


@dataclass
class Row:
    number: int  # as the spreadsheet program shows it (the header is row 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


def _header_key(text: str) -> str:
    return re.sub(r"[\s_*（）()]", "", unicodedata.normalize("NFKC", text or "")).casefold()


def _cell_text(value) -> str:
    """A cell as text. Numbers keep their digits (an integer stored as a float loses its '.0');
    dates are written YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        # read_only=False: formula cells come back as their text ("=..."), which is what we want.
        workbook = load_workbook(io.BytesIO(data), data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise SpreadsheetRefused(_l("This file is not a spreadsheet: please upload a CSV or XLSX file.")) from error
    sheet = workbook.worksheets[0]
    return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _decode(data: bytes) -> str:
    # Excel on Chinese Windows saves CSV in GB18030 (GBK); everything else in UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRefused(_l("This file is not a spreadsheet: please upload a CSV or XLSX file."))


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data:
        raise SpreadsheetRefused(_l("This file is not a spreadsheet: please upload a CSV or XLSX file."))
    text = _decode(data)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
        raise SpreadsheetRefused(_l("This file is not a spreadsheet: please upload a CSV or XLSX file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;，", key=first_line.count)
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise SpreadsheetRefused(_l("This file is not a spreadsheet: please upload a CSV or XLSX file.")) from error


def read(data: bytes, columns: list[Column], max_rows: int = 1000) -> list[Row]:
    """The rows of the first sheet (XLSX) or of a CSV file, as text keyed by column.

    Refused as a whole (SpreadsheetRefused, nothing read): an empty file, one over 5 MB, one
    that is not a spreadsheet, a header with a missing, unknown or repeated column, no rows.
    Blank rows are skipped."""
    if not data:
        raise SpreadsheetRefused(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise SpreadsheetRefused(_l("The file is larger than 5 MB; please split it."))
    table = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise SpreadsheetRefused(_l("The file is empty."))
    names = {_header_key(name): column.key for column in columns for name in (*column.names, column.key)}
    header = table[0]
    keys, unknown = [], []
    for text in header:
        key = names.get(_header_key(text))
        if key is None and text:
            unknown.append(text)
        keys.append(key)
    seen = [k for k in keys if k]
    repeated = sorted({k for k in seen if seen.count(k) > 1})
    missing = [c.names[0] for c in columns if c.required and c.key not in seen]
    if unknown or missing or repeated:
        problems = []
        if missing:
            problems.append(str(_l("missing: %(names)s", names="、".join(missing))))
        if unknown:
            problems.append(str(_l("not known: %(names)s", names="、".join(unknown))))
        if repeated:
            problems.append(str(_l("twice: %(names)s", names="、".join(repeated))))
        raise SpreadsheetRefused(_l("The header row does not match (%(problems)s). Expected columns: %(expected)s.",
                                    problems="; ".join(problems),
                                    expected="、".join(c.names[0] for c in columns)))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        values = {c.key: "" for c in columns}
        for key, cell in zip(keys, cells, strict=False):
            if key:
                values[key] = cell
        rows.append(Row(number, values))
    if not rows:
        raise SpreadsheetRefused(_l("The file has a header but no rows."))
    if len(rows) > max_rows:
        raise SpreadsheetRefused(_l("The file has more than %(n)s rows; please split it.", n=max_rows))
    return rows


DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?")


def carry(rows: list[Row]) -> str:
    """Previewed rows as the text a confirmation form carries to the write step."""
    return json.dumps([{"number": r.number, "values": r.values} for r in rows], ensure_ascii=False)


def carried(text: str, columns: list[Column]) -> list[Row]:
    """The rows a confirmation form carried back (to be checked again before writing); ValueError
    when the text is not what `carry` wrote."""
    try:
        return [Row(int(r["number"]), {c.key: str(r["values"].get(c.key, "")) for c in columns})
                for r in json.loads(text)]
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError("not carried rows") from error


def as_date(text: str) -> date:
    """A date written YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or 2024年3月1日."""
    match = DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(*map(int, match.groups()))
    except ValueError:
        raise InvalidInput(_l("%(text)s is not a date (YYYY-MM-DD).", text=text)) from None


def as_number(text: str) -> Decimal:
    """A plain, unsigned decimal number; commas between thousands are accepted. A cell starting
    like a formula (= + - @) is text, never a number."""
    if text.strip().startswith(FORMULA_START):
        raise InvalidInput(_l("%(text)s is not a number.", text=text))
    try:
        value = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise InvalidInput(_l("%(text)s is not a number.", text=text)) from None
    if not value.is_finite():
        raise InvalidInput(_l("%(text)s is not a number.", text=text))
    return value


def _escaped(value) -> str:
    text = _cell_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs on Chinese Windows read it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_escaped(h) for h in header])
    writer.writerows([_escaped(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(header: list[str], rows: list[list], title: str = "Sheet1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                cell.value = value
                continue
            text = _cell_text(value)
            cell.value = text
            cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
            if text.startswith(FORMULA_START):
                cell.quotePrefix = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(header: list[str], rows: list[list], name: str, kind: str) -> Response:
    """A table as a file to download: `kind` is "csv" or "xlsx"; `name` without the extension."""
    if kind == "csv":
        body, mimetype = write_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = write_xlsx(header, rows, title=name), XLSX_MIME
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}.{kind}"})
