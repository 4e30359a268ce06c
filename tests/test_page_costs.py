"""What pages do to stay cheap under load (issue 15 point 6) gives the same pages: templates
translate through a catalog bound once per render, a board links its tiles through one url
pattern instead of a url_for per bed, and `row.key` on a plain dict reads the key first."""

import re
from collections import OrderedDict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string, url_for
from flask_babel import force_locale, format_datetime
from jinja2 import Environment

from eldercare.facilities import services as bed_services
from eldercare.facilities.models import CareType
from eldercare.models import MAX_ID
from eldercare.routing import link_pattern
from eldercare.timekeeping import local_minute, local_today
from tests import factories
from tests.conftest import csrf_token, login

PAGE = ("{{ _('Room %(code)s', code='<b>') }}|{{ ngettext('%(num)s bed short', '%(num)s beds short', 3) }}"
        "|{{ _('The target for %(year)s is now %(percent)s%%.', year=2026, percent=74) }}|{{ _('Log out') }}")


def test_templates_translate_escape_and_format_as_jinja_newstyle_gettext(app):
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(PAGE).split("|") == [
            "Room &lt;b&gt;", "3 beds short", "The target for 2026 is now 74%.", "Log out"]
    with app.test_request_context("/"), force_locale("zh"):
        room, short, target, log_out = render_template_string(PAGE).split("|")
    assert room == "房间 &lt;b&gt;" and short.startswith("缺 3 ")
    assert target.startswith("2026 年") and "74%" in target and "%%" not in target
    assert log_out != "Log out"


def test_a_render_inside_force_locale_uses_that_language_not_the_requests(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Log out') }}") != "Log out"  # the default, Chinese
        with force_locale("en"):
            assert render_template_string("{{ _('Log out') }}") == "Log out"
        assert render_template_string("{{ _('Log out') }}") != "Log out"


@pytest.mark.parametrize("values", [
    {}, {"state": "vacant"}, {"state": "vacant", "q": f"{MAX_ID} {{x}} & 王"}, {"care_type": "nursing", "open": "1"},
])
def test_a_link_pattern_gives_what_url_for_gives(app, values):
    with app.test_request_context("/"):
        pattern = link_pattern("facilities.bed", "bed_id", **values)
        for bed_id in (1, 42, MAX_ID):
            assert pattern.format(bed_id) == url_for("facilities.bed", bed_id=bed_id, **values)


def test_every_tile_on_the_board_links_to_its_own_bed_with_the_filters(client, db, facility, manager):
    room = factories.room(facility, "3")
    beds = [factories.bed(facility, code=f"3-0{n}", room=room) for n in range(1, 4)]
    db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board?state=vacant&q=3-").get_data(as_text=True)
    links = {code: (int(bed_id), query)
             for bed_id, query, code in re.findall(r'href="/beds/(\d+)([^"]*)" data-testid="bed-([^"]+)"', page)}
    assert links == {bed.code: (bed.id, "?state=vacant&amp;q=3-") for bed in beds}


def test_a_dicts_keys_read_as_attributes_exactly_as_in_jinja(app):
    row = {"state": "vacant", "items": "key", "none": None}
    templates = ["{{ row.state }}", "{{ row.none }}", "{{ row.items is callable }}", "{{ row.missing is defined }}",
                 "{{ ordered.state }}", "{{ ordered.items is callable }}"]
    values = {"row": row, "ordered": OrderedDict(row)}
    plain = Environment(autoescape=True)
    for source in templates:
        assert app.jinja_env.from_string(source).render(values) == plain.from_string(source).render(values)
    assert app.jinja_env.from_string(templates[0]).render(values) == "vacant"
    assert app.jinja_env.from_string(templates[2]).render(values) == "True"  # the method, as Jinja gives


def test_the_transfer_form_lists_the_vacant_beds_beside_a_resident_only(client, db, facility, manager, bureau_staff):
    room = factories.room(facility, "5")
    occupied, vacant, other = (factories.bed(facility, code=f"5-0{n}", room=room, care_type=care)
                               for n, care in ((1, CareType.ordinary), (2, CareType.nursing), (3, CareType.ordinary)))
    bed_services.admit(manager, occupied, factories.elder(), on=local_today())
    db.session.commit()
    login(client, manager)
    page = client.get(f"/beds/{occupied.id}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert sorted(options) == sorted([(str(vacant.id), "5-02 · 护理型"), (str(other.id), "5-03 · 普通型")])
    assert 'name="to_bed_id"' not in client.get(f"/beds/{vacant.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, bureau_staff)
    assert 'name="to_bed_id"' not in client.get(f"/beds/{occupied.id}").get_data(as_text=True)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_moments_print_as_flask_babel_prints_them_on_the_bureaus_clock(app, language):
    moments = [datetime(2026, 1, 1, 16, 30), datetime(2026, 6, 30, 23, 59, 59), datetime(2026, 12, 31, 15, 59),
               datetime(2026, 3, 1, 2, 5, tzinfo=ZoneInfo("Asia/Shanghai")), datetime(2025, 11, 2, 7, 0, tzinfo=UTC)]
    with app.test_request_context("/"), force_locale(language):
        for moment in moments:
            assert local_minute(moment) == format_datetime(moment, "yyyy-MM-dd HH:mm")
        assert render_template_string("{% from 'macros.html' import datetime %}{{ datetime(m) }}|{{ datetime(None) }}",
                                      m=moments[0]) == "2026-01-02 00:30|—"
