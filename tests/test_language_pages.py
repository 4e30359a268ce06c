"""Each language on its own (issue 14, point 2): every page a role may open, read in Chinese, shows
no English word, and read in English shows no Chinese sentence; only the data (names of people,
homes and towns), file formats and technical names may cross over."""

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import csrf_token, login
from tests.test_access import ROUTES

# Words the Chinese interface writes in Latin letters on purpose: file formats, the API's technical names.
TECHNICAL = {"CSV", "XLSX", "PDF", "JPEG", "PNG", "Excel", "API", "JSON", "HTTP", "OpenAPI", "MB", "SMS",
             "YYYY", "MM", "DD", "English", "Ctrl", "GB", "KB"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CHINESE_SENTENCE = re.compile(r"[\u4e00-\u9fff][^<>\n]{0,40}[，。；：！？]")
# Western punctuation touching a Chinese character: Chinese text uses ，；：（） and so on.
WESTERN_PUNCTUATION = re.compile(r"[\u4e00-\u9fff]\s?[,;:?!()]|[,;:?!()]\s?[\u4e00-\u9fff]")


class _Text(HTMLParser):
    """The text a reader sees: no scripts, styles, attributes or SVG (charts are checked apart)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


ROLES = ["bureau_admin", "manager", "family"]  # of the world fixture (conftest.py)


# Pages that list a file's accepted column names in both languages, as the import reads either.
BOTH_LANGUAGES_ON_PURPOSE = {"bed_files.import_beds", "caregivers.import_roster"}


def _pages(client, role, ids):
    for endpoint, (method, url, allowed) in sorted(ROUTES.items()):
        if method != "GET" or role not in allowed or endpoint.startswith("ops."):
            continue
        if endpoint in BOTH_LANGUAGES_ON_PURPOSE:
            continue
        response = client.get(url.format(**ids))
        if response.status_code == 200 and response.mimetype == "text/html":
            yield endpoint, visible_text(response.get_data(as_text=True))


def _data_words(db):
    """Latin words that are data, not interface: the factories' codes and names."""
    from sqlalchemy import text
    words = set()
    for table, column in (("bed", "code"), ("facility", "name"), ("town", "name"), ("caregiver", "name"),
                          ("user", "full_name"), ("room", "code"), ("certificate", "number"),
                          ("application_document", "name")):
        for (value,) in db.session.execute(text(f'SELECT {column} FROM "{table}"')):
            words.update(LATIN_WORD.findall(value or ""))
    return words


@pytest.mark.parametrize("role", ROLES)
def test_a_chinese_page_has_no_english_word_and_an_english_page_no_chinese_sentence(app, db, client, world, role):
    users, ids = world
    allowed = TECHNICAL | _data_words(db)
    login(client, users[role])
    english_on_chinese, chinese_on_english = {}, {}
    for endpoint, text in _pages(client, role, ids):
        words = set(LATIN_WORD.findall(text)) - allowed
        marks = [text[max(m.start() - 8, 0):m.end() + 8] for m in WESTERN_PUNCTUATION.finditer(text)]
        if words or marks:
            english_on_chinese[endpoint] = sorted(words)[:8] + marks[:6]
    client.post("/language/en", data={"csrf_token": csrf_token(client)})
    for endpoint, text in _pages(client, role, ids):
        sentences = CHINESE_SENTENCE.findall(text)
        if sentences:
            chinese_on_english[endpoint] = sentences[:3]
    assert english_on_chinese == {}, english_on_chinese
    assert chinese_on_english == {}, chinese_on_english
