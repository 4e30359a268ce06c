"""Two app servers behave as one: two gunicorn instances on two ports against one PostgreSQL
and one Redis. Selected with `-m servers`; skipped on SQLite. About 15 s."""

import os
import re
import uuid

import pytest
import redis

from bench import servers
from bench.client import Browser
from eldercare.auth.models import Role
from tests import factories

pytestmark = pytest.mark.servers
REDIS = "redis://127.0.0.1:6379"


@pytest.fixture
def two_servers(app, db, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two app servers share one PostgreSQL; SQLite is one file for one machine")
    redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()  # Redis must run (.ci/run starts it)
    prefix = f"eldercare-test-{uuid.uuid4().hex[:8]}"
    env = servers.production_env(db.engine.url.render_as_string(hide_password=False),
                                 RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX=prefix,
                                 REPORTS_DIR=tmp_path / "reports", DOCUMENTS_DIR=tmp_path / "documents")
    ports = [servers.free_port(), servers.free_port()]
    logs = [open(tmp_path / f"server-{port}.log", "wb") for port in ports]
    processes = [servers.start(port, env, workers=1, log=log) for port, log in zip(ports, logs, strict=True)]
    try:
        for port, process in zip(ports, processes, strict=True):
            servers.wait_ready(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            servers.stop(process)
        for log in logs:
            log.close()
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_two_servers_behave_as_one(app, db, two_servers):
    a, b = two_servers
    town = factories.town()
    facility = factories.facility(town)
    beds = [factories.bed(facility) for _ in range(3)]
    manager = factories.user("manager1", Role.facility_manager, facilities=[facility])
    factories.user("staff1", Role.bureau_staff)
    factories.user("someone", Role.bureau_staff)
    db.session.commit()
    facility_id, bed_id, other_bed_id = facility.id, beds[0].id, beds[1].id

    # A bed change through A shows in B's figures at B's next request (B's memo was warm).
    token = Browser(b).request("POST", "/api/v1/tokens", json_body={
        "username": "staff1", "password": factories.PASSWORD}).json()["token"]
    bureau_on_b = Browser(b)
    auth = {"Authorization": f"Bearer {token}"}

    def figures_on_b():
        response = bureau_on_b.get(f"/api/v1/stats/occupancy?facility={facility_id}", headers=auth)
        assert response.status == 200, response.text
        return response.json()["by_state"]

    before = figures_on_b()
    assert before["vacant"] == 3 and before["out_of_service"] == 0
    assert figures_on_b() == before  # served from B's memo

    manager_on_a = Browser(a)
    assert manager_on_a.login("manager1", factories.PASSWORD).status == 302
    done = manager_on_a.post_form(f"/beds/{bed_id}/out-of-service")
    assert done.status == 302, done.text[:300]
    after = figures_on_b()
    assert after["vacant"] == 2 and after["out_of_service"] == 1

    # A session made on A is valid on B; logging out on A ends it on B too.
    on_b = Browser(b)
    on_b.cookies = dict(manager_on_a.cookies)
    board = on_b.get(f"/facilities/{facility_id}/board")
    assert board.status == 200, board.status
    assert manager.full_name in board.text or "manager1" in board.text
    # B keeps the board rendered; a change through A is on it at B's next view.
    assert on_b.get(f"/facilities/{facility_id}/board").text.count('data-state="out_of_service"') == 1
    assert manager_on_a.post_form(f"/beds/{other_bed_id}/out-of-service").status == 302
    assert on_b.get(f"/facilities/{facility_id}/board").text.count('data-state="out_of_service"') == 2
    # A bed page rendered by A is served by B from Redis, its forms carrying B's reader's token.
    third = beds[2].id
    assert manager_on_a.get(f"/beds/{third}").status == 200
    page = on_b.get(f"/beds/{third}").text
    tokens = set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page))
    assert tokens == {on_b.csrf}, tokens
    assert on_b.post_form(f"/beds/{third}/out-of-service").status == 302
    assert manager_on_a.post_form("/logout").status == 302
    replay = Browser(b)
    replay.cookies = dict(on_b.cookies)  # the cookie B last set, still signed and unexpired
    gone = replay.get(f"/facilities/{facility_id}/board")
    assert gone.status == 302 and "/login" in gone.headers["Location"]

    # Login throttling counts across both servers (Redis): the limit is 5 failures per user name.
    limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
    answers = []
    for attempt in range(limit + 1):
        server = (a, b)[attempt % 2]
        answers.append(Browser(server).login("someone", "wrong-password-1").status)
    assert answers[:limit] == [200] * limit, answers
    assert answers[limit] == 429, answers
    # ... and refuses even the right password on the other server now
    assert Browser((a, b)[(limit + 1) % 2]).login("someone", factories.PASSWORD).status == 429
    assert os.environ.get("TEST_DATABASE_URL")


def test_figures_agree_on_two_servers_after_changes_on_either(app, db, two_servers):
    """Both servers' memos warm; beds change through one server, then the other: each server's care
    ratio (city and towns) and facility list equal a count in SQL after every change."""
    from eldercare.facilities.models import FacilityType
    from eldercare.timekeeping import local_today
    from tests.test_cache import assert_api_figures_are_fresh

    servers = two_servers
    homes = [factories.facility(factories.town()),
             factories.facility(factories.town("东陈镇", code="320682101"), type=FacilityType.public_home)]
    beds = [[factories.bed(home) for _ in range(3)] for home in homes]
    factories.user("manager1", Role.facility_manager, facilities=homes)
    factories.user("staff1", Role.bureau_staff)
    elder_ids = [factories.elder().id, factories.elder().id]
    db.session.commit()
    auth = {name: {"Authorization": "Bearer " + Browser(servers[0]).request("POST", "/api/v1/tokens", json_body={
        "username": name, "password": factories.PASSWORD}).json()["token"]} for name in ("staff1", "manager1")}

    def check_both():
        db.session.commit()  # read the database afresh
        for server in servers:
            def get(path, server=server):
                response = Browser(server).get(path, headers=auth["staff1"])
                assert response.status == 200, response.text
                return response.json()
            assert_api_figures_are_fresh(get)

    def post(server, path, body):
        response = Browser(server).request("POST", path, json_body=body, headers=auth["manager1"])
        assert response.status in (200, 201), response.text
        return response.json()

    today = local_today().isoformat()
    check_both()
    stay = post(servers[0], "/api/v1/stays", {"bed_id": beds[0][0].id, "elder_id": elder_ids[0], "start_on": today})
    check_both()
    moved = post(servers[1], f"/api/v1/stays/{stay['id']}/transfer", {"to_bed_id": beds[0][1].id, "on": today})
    check_both()
    post(servers[1], "/api/v1/stays", {"bed_id": beds[1][2].id, "elder_id": elder_ids[1], "start_on": today})
    check_both()
    post(servers[0], f"/api/v1/stays/{moved['id']}/discharge", {"end_on": today})
    check_both()
