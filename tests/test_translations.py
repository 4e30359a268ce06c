"""Both catalogs cover every string in the source.

The messages are extracted afresh from the code and templates with babel.cfg's method map
and the `_l` keyword (as `make messages` does), so a new string that was never added to the
catalogs fails here, not in front of a user. Needs neither the app nor a database.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "eldercare" / "translations"
LOCALES = ("zh", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def as_tuple(value) -> tuple:
    """A plural message's id and string are tuples (or lists) in babel's API; a simple one's are str."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@pytest.fixture(scope="module")
def source_messages() -> dict:
    """msgid -> (first "file:line" where it is used, msgid_plural or None).

    A catalog keys a plural message (ngettext) by its singular msgid, so that is the key here too.
    """
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename="babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid, *rest = as_tuple(message)
        plural = rest[0] if rest else None
        if not msgid:
            continue
        where, known_plural = found.setdefault(msgid, (f"{filename}:{lineno}", plural))
        if plural and not known_plural:
            found[msgid] = (where, plural)
    assert len(found) > 100, "extraction found suspiciously few messages; is babel.cfg right?"
    return found


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_message_is_translated(source_messages, locale):
    cat = catalog(locale)
    problems = []
    for msgid, (where, plural) in sorted(source_messages.items(), key=lambda item: item[1][0]):
        message = cat.get(msgid)
        if message is None:
            problems.append(f"missing ({where}): {msgid!r}")
            continue
        ids = as_tuple(message.id)
        strings = as_tuple(message.string)
        if plural is not None:
            if ids != (msgid, plural):
                problems.append(f"not a plural entry with msgid_plural {plural!r} ({where}): {msgid!r}")
                continue
            if len(strings) != cat.num_plurals:
                problems.append(f"{len(strings)} msgstr forms, {cat.num_plurals} expected ({where}): {msgid!r}")
        elif len(ids) != 1:
            problems.append(f"plural entry for a simple message ({where}): {msgid!r}")
            continue
        if not all(s and s.strip() for s in strings):
            problems.append(f"empty msgstr ({where}): {msgid!r}")
    assert not problems, f"{locale} catalog, run `make messages` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_the_source(locale):
    problems = []
    for message in catalog(locale):
        if not message.id:
            continue
        ids = as_tuple(message.id)
        strings = as_tuple(message.string)
        expected = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            if string and placeholders(string) != expected:
                problems.append(f"{message.id!r} -> {string!r}: {sorted(placeholders(string))} != {sorted(expected)}")
    assert not problems, f"{locale} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_entries_and_babel_checks_pass(locale):
    cat = catalog(locale)
    assert not cat.fuzzy, f"{locale} catalog header is marked fuzzy"
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not fuzzy, f"{locale} catalog has fuzzy entries (gettext ignores them): {fuzzy}"
    errors = [f"{m.id!r}: {'; '.join(map(str, errs))}" for m, errs in cat.check()]
    assert not errors, f"{locale} catalog:\n" + "\n".join(errors)
