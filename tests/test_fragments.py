"""Pages kept rendered (eldercare.cache `rendered`, `rendered_per_facility`): every change is on the
next view, each reader gets their own view, language and CSRF token, and the memory they take is
bounded. And a session's cookie is sent again only when the session changes."""

import re
from datetime import date

import pytest

from eldercare import cache
from eldercare.auth import sessions
from eldercare.facilities import queries, services
from eldercare.facilities.models import CareType, Room
from eldercare.placements import workflow
from eldercare.placements.models import Status
from tests import factories
from tests.conftest import CSRF_META, login, post

HIDDEN_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def test_board_and_bed_page_show_a_change_at_once(app, db, client, manager, facility):
    room = factories.room(facility, code="101")
    bed = factories.bed(facility, code="A-1", room=room)
    db.session.commit()
    login(client, manager)
    board, page = f"/facilities/{facility.id}/board", f"/beds/{bed.id}"
    for _ in range(2):  # the second view is served from memory
        assert 'data-state="vacant"' in client.get(board).get_data(as_text=True)
        assert "张三丰" not in client.get(page).get_data(as_text=True)
    services.admit(manager, bed, factories.elder(name="张三丰"), on=date(2026, 1, 5))
    db.session.commit()
    assert 'data-state="occupied"' in client.get(board).get_data(as_text=True)
    assert "张三丰" in client.get(page).get_data(as_text=True)
    db.session.get(Room, room.id).code = "102"  # a room renamed moves its home's figures too
    db.session.commit()
    assert 'id="room-102"' in client.get(board).get_data(as_text=True)


def test_an_accepted_offer_is_on_the_kept_bed_page(app, db, client, manager, bureau_staff, family, facility):
    bed = factories.bed(facility, code="OPEN-1", care_type=CareType.ordinary, open_to_public=True)
    application = factories.application(family, status=Status.approved)
    workflow.offer(bureau_staff, application, bed)
    db.session.commit()
    login(client, manager)
    before = client.get(f"/beds/{bed.id}").get_data(as_text=True)
    assert 'data-testid="admit-offer"' not in before
    workflow.accept(family, db.session.get(type(application), application.id))  # no bed row changes
    db.session.commit()
    assert 'data-testid="admit-offer"' in client.get(f"/beds/{bed.id}").get_data(as_text=True)


def test_each_reader_gets_their_own_view_language_and_token(app, db, client, manager, bureau_staff, facility):
    bed = factories.bed(facility, code="A-1")
    services.admit(manager, bed, factories.elder(name="李四"), on=date(2026, 1, 5))
    db.session.commit()
    second = app.test_client()
    login(client, manager)
    login(second, factories.user("manager2", manager.role, facilities=[facility]))
    post(second, "/language/en")
    bureau = app.test_client()
    login(bureau, bureau_staff)

    pages = {name: c.get(f"/beds/{bed.id}").get_data(as_text=True)
             for name, c in (("manager", client), ("manager_en", second), ("bureau", bureau))}
    assert "李四" in pages["manager"] and "Discharge" in pages["manager_en"] and "办理退住" in pages["manager"]
    assert "李四" not in pages["bureau"] and 'data-testid="discharge"' not in pages["bureau"]
    for name in ("manager", "manager_en"):
        tokens = set(HIDDEN_TOKEN.findall(pages[name]))
        assert tokens == {CSRF_META.search(pages[name]).group(1)}, name  # the reader's own token in every form
    assert HIDDEN_TOKEN.findall(pages["manager"])[0] != HIDDEN_TOKEN.findall(pages["manager_en"])[0]

    # A form from the kept page works for the second reader, with the token it carries.
    token = HIDDEN_TOKEN.findall(pages["manager_en"])[0]
    response = second.post(f"/beds/{bed.id}/away", data={"away": "hospital", "csrf_token": token})
    assert response.status_code == 302
    assert '<option selected value="hospital">' in client.get(f"/beds/{bed.id}").get_data(as_text=True)


def test_a_search_is_served_fresh_and_kept_fragments_are_bounded(app, db, client, manager, facility, monkeypatch):
    factories.bed(facility, code="FIND-ME")
    factories.bed(facility, code="OTHER")
    db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/board?q=find").get_data(as_text=True)
    assert "FIND-ME" in page and 'data-testid="bed-OTHER"' not in page

    kept = cache._Fragments()
    monkeypatch.setattr(cache, "FRAGMENT_CHARS", 10)
    kept.put("a", 1, "xxxx", 4)
    kept.put("b", 1, "yyyy", 4)
    assert kept.get("a", 1) == "xxxx"  # a is now the most recently used
    kept.put("c", 1, "zzzz", 4)  # 12 characters: the least recently used (b) goes
    assert kept.get("b", 1) is None and kept.get("a", 1) == "xxxx" and kept.get("c", 1) == "zzzz"
    assert kept.get("a", 2) is None  # another version is not served
    assert kept.size == 8


def test_the_session_cookie_is_sent_again_once_a_minute(app, client, manager, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(sessions, "time", type("Clock", (), {"time": staticmethod(lambda: now[0])}))
    login(client, manager)
    assert "Set-Cookie" in client.get("/facilities").headers  # the first page keeps its CSRF secret
    assert "Set-Cookie" not in client.get("/facilities").headers  # nothing changed in the session
    now[0] += sessions.SEEN_EVERY
    assert "Set-Cookie" in client.get("/facilities").headers  # its last activity is written
    assert "Set-Cookie" not in client.get("/facilities").headers


REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379 (make test's CI starts one)")


def test_a_page_rendered_by_one_worker_is_served_by_the_others(app, db, client, manager, facility, monkeypatch):
    _redis_or_skip()
    monkeypatch.setitem(app.config, "FRAGMENT_STORE_URI", REDIS)
    for code in ("A-1", "A-2"):
        factories.bed(facility, code=code)
    db.session.commit()
    login(client, manager)
    board = f"/facilities/{facility.id}/board"
    def page():  # without its CSRF tokens (signed with the second they are made in)
        text = client.get(board).get_data(as_text=True)
        return re.sub(r'(csrf[-_]token"[^>]*?(?:content|value))="[^"]+"', r"\1", text)

    first = page()
    renders, board_of = [], queries.board
    monkeypatch.setattr(queries, "board", lambda *a, **k: renders.append(a) or board_of(*a, **k))
    monkeypatch.setattr(cache, "_fragments", cache._Fragments())  # another worker: nothing kept in its memory
    assert page() == first and not renders  # from Redis, not rendered again

    # What Redis holds is served only with the app's signature: a value written by anyone else is not.
    store = cache._shared._client()
    for name in store.scan_iter("eldercare:fragment:*"):
        store.set(name, b"<script>alert(1)</script>")
    monkeypatch.setattr(cache, "_fragments", cache._Fragments())
    assert page() == first and len(renders) == 1  # rendered again


def test_pages_are_served_when_the_fragment_store_is_down(app, db, client, manager, facility, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "FRAGMENT_STORE_URI", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(cache, "_shared", cache._SharedFragments())
    factories.bed(facility, code="A-1")
    db.session.commit()
    login(client, manager)
    assert 'data-testid="bed-A-1"' in client.get(f"/facilities/{facility.id}/board").get_data(as_text=True)
    assert "fragment store unreachable" in caplog.text
