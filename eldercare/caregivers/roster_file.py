"""A facility's roster as a spreadsheet: the columns an import accepts (Chinese or English
headers), each row turned into the same service calls the forms make, and the export.

An import is checked whole before anything is kept: every row runs inside a savepoint and its
errors are collected; the caller rolls the transaction back for a preview, or commits it only
when no row has an error (all or nothing).
"""

from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eldercare import cache, labels, spreadsheets
from eldercare.caregivers import queries, services
from eldercare.caregivers.models import LEVELS, Post
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.identity import InvalidIdNumber, normalise_id_number, parse_id_number
from eldercare.spreadsheets import Column, Row

COLUMNS = [
    Column("name", ("姓名", "Name")),
    Column("id_number", ("身份证号", "ID number", "身份证号码", "公民身份号码")),
    Column("mobile", ("手机号", "Mobile", "手机号码", "联系电话"), required=False),
    Column("post", ("岗位", "Post")),
    Column("hired_on", ("入职日期", "Hire date")),
    Column("monthly_pay", ("月工资", "Monthly pay", "月薪", "月工资（元）")),
    Column("level", ("技能等级", "Skill level", "等级"), required=False),
    Column("certificate_number", ("证书编号", "Certificate number"), required=False),
    Column("certificate_issued_on", ("发证日期", "Certificate issue date"), required=False),
    Column("certificate_issuer", ("发证机构", "Issuing body"), required=False),
    Column("certificate_expires_on", ("证书有效期至", "Certificate valid until"), required=False),
    Column("pre_job_on", ("岗前培训日期", "Pre-job training date"), required=False),
    Column("pre_job_hours", ("岗前培训学时", "Pre-job training hours"), required=False),
    Column("pre_job_provider", ("岗前培训机构", "Pre-job training provider"), required=False),
]
CHINESE_LEVELS = {5: ("五级", "初级工"), 4: ("四级", "中级工"), 3: ("三级", "高级工"), 2: ("二级", "技师"),
                  1: ("一级", "高级技师")}


def _words(mapping) -> dict[str, object]:
    """Every spelling of each key: its code and its label in every language of the app."""
    result = {}
    for key, label in mapping.items():
        result[str(getattr(key, "value", key)).casefold()] = key
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                result[str(label).casefold()] = key
    return result


def _post_words() -> dict[str, Post]:
    return {**_words(labels.POST), "护理员": Post.caregiver, "护理组长": Post.head_caregiver, "护士": Post.nurse,
            "其他": Post.other}


def _level_words() -> dict[str, int]:
    words = {k: v for k, v in _words(labels.SKILL_LEVEL).items() if v in LEVELS}
    for level, (grade, title) in CHINESE_LEVELS.items():
        for spelling in (str(level), grade, title, f"{grade}/{title}", f"{grade}（{title}）", f"{grade}({title})",
                         f"level {level}", f"l{level}"):
            words[spelling.casefold()] = level
    return words


def _parse(values: dict[str, str], errors: list[str], post_words, level_words) -> dict | None:
    """The row's values as service arguments; each problem is added to `errors`."""
    result: dict = {"name": values["name"], "mobile": values["mobile"] or None}

    def field(key, parse, label):
        try:
            result[key] = parse(values[key])
        except (DomainError, ValueError) as error:
            errors.append(f"{label}: {error}")

    field("id_number", lambda v: parse_id_number(v).value, _("ID number"))
    post = post_words.get(values["post"].strip().casefold())
    if post is None:
        errors.append(_("Post: %(text)s is not a known post.", text=values["post"]))
    result["post"] = post
    field("hired_on", spreadsheets.as_date, _("Hire date"))
    field("monthly_pay", spreadsheets.as_number, _("Monthly pay"))
    if values["level"].strip():
        level = level_words.get(values["level"].strip().casefold())
        if level is None:
            errors.append(_("Skill level: %(text)s is not a level (5 to 1, 五级 to 一级).", text=values["level"]))
        result["level"] = level
        field("certificate_issued_on", spreadsheets.as_date, _("Certificate issue date"))
        if values["certificate_expires_on"].strip():
            field("certificate_expires_on", spreadsheets.as_date, _("Certificate valid until"))
    if values["pre_job_on"].strip():
        field("pre_job_on", spreadsheets.as_date, _("Pre-job training date"))
        field("pre_job_hours", spreadsheets.as_number, _("Pre-job training hours"))
    return result if not errors else None


def _apply(actor, facility, values: dict[str, str], parsed: dict) -> None:
    employment = services.hire(actor, facility, name=parsed["name"], id_number=parsed["id_number"],
                               mobile=parsed["mobile"], hired_on=parsed["hired_on"], post=parsed["post"],
                               monthly_pay=parsed["monthly_pay"])
    if parsed.get("level"):
        services.add_certificate(actor, employment.caregiver, number=values["certificate_number"],
                                 level=parsed["level"], issued_on=parsed["certificate_issued_on"],
                                 issuer=values["certificate_issuer"],
                                 expires_on=parsed.get("certificate_expires_on"))
    if parsed.get("pre_job_on"):
        services.record_pre_job_training(actor, employment.caregiver, trained_on=parsed["pre_job_on"],
                                         hours=parsed["pre_job_hours"], provider=values["pre_job_provider"],
                                         passed=True)


def check(actor, facility, rows: list[Row]) -> list[Row]:
    """Run every row through the services inside the current transaction, each in a savepoint,
    collecting its errors (bad values, the same ID number twice in the file, someone on another
    facility's roster...). The caller rolls back (preview) or commits when no row has errors."""
    post_words, level_words = _post_words(), _level_words()
    first_row_of: dict[str, int] = {}
    # Begin the transaction with a write before the first savepoint: SQLite's driver begins one
    # only at the first write, and a savepoint taken outside it would commit on release.
    cache.bump(db.session)
    for row in rows:
        row.errors = []
        try:
            key = parse_id_number(row.values["id_number"]).value
        except InvalidIdNumber:
            key = normalise_id_number(row.values["id_number"])
        if key and key in first_row_of:
            row.errors.append(_("The same ID number as row %(n)s of this file.", n=first_row_of[key]))
            continue
        first_row_of.setdefault(key, row.number)
        parsed = _parse(row.values, row.errors, post_words, level_words)
        if parsed is None:
            continue
        try:
            with db.session.begin_nested():
                _apply(actor, facility, row.values, parsed)
        except DomainError as error:
            row.errors.append(str(error))
    return rows


EXPORT_HEADER = [_l("Name"), _l("ID number"), _l("Mobile number"), _l("Post"), _l("Status"), _l("Since"),
                 _l("Hire date"), _l("Monthly pay (yuan)"), _l("Skill level"), _l("Pre-job training passed on"),
                 _l("In-service hours this year")]


def export(facility_id: int, day: date, *, with_pay: bool) -> tuple[list[str], list[list]]:
    """The roster now, ID numbers masked (the full number never leaves in a file)."""
    rows = [[r["name"], r["id_number"], r["mobile"] or "", str(labels.POST[Post(r["post"])]),
             str(labels.of(labels.EMPLOYMENT_STATUS, r["status"])), r["status_on"], r["hired_on"],
             r["monthly_pay"] if with_pay else "", str(labels.SKILL_LEVEL[r["level"]]),
             r["pre_job_passed_on"] or "", r["hours"]]
            for r in queries.roster(facility_id, day, with_pay=with_pay)]
    return [str(h) for h in EXPORT_HEADER], rows
