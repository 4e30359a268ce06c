"""Issue 14, point 7: the board serves a manager in a hurry (search, the filter kept after an
action, one date format, state colours readable with white text)."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from eldercare.dashboard.charts import STATE_COLOURS
from eldercare.facilities import services as bed_services
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post

CSS = Path(__file__).parents[1] / "eldercare" / "static" / "app.css"
DARK_TEXT = {"needs_cleaning": "#102a43"}  # the one state written in dark ink (app.css)


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_known_values():
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#f08c00", "#ffffff"), 1) == 2.5  # the old 预留 colour the issue measured
    assert round(contrast("#868e96", "#ffffff"), 1) == 3.3  # the old 停用 colour


def test_every_state_colour_in_app_css_reads_at_4_5_to_1():
    css = CSS.read_text()
    assert re.search(r"\.tile\.state-needs_cleaning[^{]*\{\s*color:\s*#102a43", css)
    for state in STATE_COLOURS:
        colour = re.search(rf"--{state}:\s*(#[0-9a-fA-F]{{6}})\b", css).group(1)
        ink = DARK_TEXT.get(state, "#ffffff")
        assert contrast(colour, ink) >= 4.5, (state, colour, round(contrast(colour, ink), 2))


@pytest.fixture
def board(db, facility, manager):
    room = factories.room(facility, "101")
    beds = [factories.bed(facility, code=code, room=room) for code in ("101-1", "101-2", "102-1")]
    bed_services.admit(manager, beds[0], factories.elder(name="王桂英"), on=local_today())
    db.session.commit()
    return beds


def _tiles(page):
    return re.findall(r'data-testid="bed-([^"]+)"', page)


def test_search_by_bed_code_or_resident_name(client, facility, manager, board):
    login(client, manager)
    url = f"/facilities/{facility.id}/board"
    assert _tiles(client.get(url + "?q=102").get_data(as_text=True)) == ["102-1"]
    assert _tiles(client.get(url + "?q=桂英").get_data(as_text=True)) == ["101-1"]
    assert _tiles(client.get(url + "?q=%20101-2%20").get_data(as_text=True)) == ["101-2"]
    page = client.get(url + "?q=nobody").get_data(as_text=True)
    assert _tiles(page) == [] and 'value="nobody"' in page
    assert client.get(url + "?q=" + "x" * 65).status_code == 400


def test_search_by_name_finds_nothing_for_who_cannot_see_names(client, facility, bureau_staff, board):
    login(client, bureau_staff)
    page = client.get(f"/facilities/{facility.id}/board?q=桂英").get_data(as_text=True)
    assert _tiles(page) == [] and "王桂英" not in page


def test_the_filter_is_kept_from_the_board_to_the_bed_and_back_after_an_action(client, facility, manager, board):
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board?state=vacant&q=101").get_data(as_text=True)
    link = re.search(rf'href="(/beds/{board[1].id}[^"]*)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"state": ["vacant"], "q": ["101"]}
    bed_page = client.get(link).get_data(as_text=True)
    back = re.search(rf'href="(/facilities/{facility.id}/board[^"]*)"', bed_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(back).query) == {"state": ["vacant"], "q": ["101"]}
    action = re.search(rf'action="(/beds/{board[1].id}/hold[^"]*)"', bed_page).group(1).replace("&amp;", "&")
    response = post(client, action, {"hours": 24, "note": ""})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"state": ["vacant"], "q": ["101"]}


def test_the_bed_page_drops_filters_the_board_would_refuse(client, facility, manager, board):
    login(client, manager)
    page = client.get(f"/beds/{board[1].id}?state=nonsense&care_type=nursing").get_data(as_text=True)
    back = re.search(rf'href="(/facilities/{facility.id}/board[^"]*)"', page).group(1)
    assert parse_qs(urlsplit(back).query) == {"care_type": ["nursing"]}


def test_the_board_and_bed_page_write_dates_one_way(client, facility, manager, board):
    login(client, manager)
    today = local_today().isoformat()
    page = client.get(f"/beds/{board[0].id}").get_data(as_text=True)
    assert today in page and not re.search(r"\d{4}年", page)  # not 2026年11月30日 beside 2026-11-30 12:00
    board_page = client.get(f"/facilities/{facility.id}/board").get_data(as_text=True)
    assert re.search(r'data-testid="last-changed">\d{4}-\d\d-\d\d \d\d:\d\d<', board_page)
