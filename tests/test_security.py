"""Issue 11: redirects, secrets, sessions, passwords, throttles and headers."""

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

import config
from eldercare import create_app
from eldercare.auth import passwords, services, sessions
from eldercare.auth.models import Role, User
from eldercare.notifications import Notification
from eldercare.redirects import safe_path
from tests import factories
from tests.conftest import csrf_token, login, post

ROOT = Path(__file__).resolve().parent.parent


def try_login(client, username, password, **kwargs):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)}, **kwargs)


# 1. Redirects ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", "/\r\n/evil.example", "http://evil.example/", "https:evil.example", "javascript:alert(1)",
    "evil.example", " /facilities", "/%09/evil.example", "/%2F/evil.example", "/%252F%252Fevil.example",
    "/%5Cevil.example", "/%0d%0aSet-Cookie:x=1", "/\u2028/evil.example", "", None,
])
def test_safe_path_refuses_anything_that_leaves_the_site(target):
    assert safe_path(target) is None


@pytest.mark.parametrize("target", ["/", "/facilities", "/facilities?town=%E5%A6%82&type=", "/applications/3"])
def test_safe_path_keeps_paths_on_this_site(target):
    assert safe_path(target) == target


@pytest.mark.parametrize("next_", ["/%09/evil.example", "/%0a", "%2F%2Fevil.example", "/%5C/evil.example",
                                   "https://evil.example"])
def test_login_never_redirects_off_site_nor_fails(client, manager, next_):
    response = client.post(f"/login?next={next_}", data={"username": manager.username, "password": factories.PASSWORD,
                                                          "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_keeps_a_next_page_on_this_site(client, manager, facility):
    response = client.post("/login?next=/facilities%3Ftown%3D1", data={
        "username": manager.username, "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/facilities?town=1"


@pytest.mark.parametrize("next_", ["/\t/evil.example", "/\nx", "//evil.example", "/\\evil.example"])
def test_language_switch_stays_on_the_site(client, next_):
    response = post(client, "/language/en", {"next": next_})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# 2. Secrets ---------------------------------------------------------------------------------

@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("ELDERCARE_CONFIG", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_default_configuration_is_production_and_needs_a_secret(clean_environment):
    clean_environment.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("key", ["dev-only-not-secret", "change-me", "short-key-123", "x" * 31])
def test_production_refuses_public_or_short_keys(clean_environment, key):
    clean_environment.setenv("DATABASE_URL", "sqlite://")
    clean_environment.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_real_key_and_warns_about_memory_limits(clean_environment, caplog):
    clean_environment.setenv("DATABASE_URL", "sqlite://")
    clean_environment.setenv("SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.config["ALLOW_DEMO_SEED"]
    assert "RATELIMIT_STORAGE_URI is memory://" in caplog.text


def test_development_makes_its_own_random_key_once(clean_environment, tmp_path):
    clean_environment.setattr(config, "BASE_DIR", tmp_path)
    first, second = config.DevelopmentConfig().SECRET_KEY, config.DevelopmentConfig().SECRET_KEY
    assert first == second and len(first) >= 32 and first not in config.PUBLIC_KEYS
    assert oct((tmp_path / "instance" / "development-secret-key").stat().st_mode & 0o777) == "0o600"


def test_a_cookie_signed_with_the_old_public_key_opens_nothing(app, client, bureau_admin):
    forger = create_app("test", SECRET_KEY="dev-only-not-secret")
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    client.set_cookie("session", serializer.dumps({"_user_id": str(bureau_admin.id), "_fresh": True}))
    response = client.get("/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_seed_demo_refuses_a_database_with_real_accounts(runner, db):
    factories.user("zhang.san", Role.bureau_admin)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "zhang.san" in result.output
    from eldercare.facilities.models import Facility
    assert db.session.scalar(select(func.count()).select_from(Facility)) == 0


# 3. Sessions --------------------------------------------------------------------------------

def _copy_session(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_copied_cookie_stops_working_after_logout(app, client, manager):
    login(client, manager)
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/facilities").status_code == 200
    post(client, "/logout")
    assert thief.get("/facilities").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """The sessions module's clock, moved by hand."""
    now = [time.time()]
    monkeypatch.setattr(sessions, "time", types.SimpleNamespace(time=lambda: now[0]))
    return now


def test_a_session_ends_after_30_idle_minutes(client, manager, clock):
    login(client, manager)
    clock[0] += 29 * 60
    assert client.get("/facilities").status_code == 200  # activity moves the idle clock on
    clock[0] += 29 * 60
    assert client.get("/facilities").status_code == 200
    clock[0] += 31 * 60
    assert client.get("/facilities").status_code == 302


def test_a_session_ends_12_hours_after_login_however_busy(client, manager, clock):
    login(client, manager)
    for _ in range(35):  # 11 h 40 min of a request every 20 minutes
        clock[0] += 20 * 60
        assert client.get("/facilities").status_code == 200
    clock[0] += 21 * 60
    assert client.get("/facilities").status_code == 302


def test_changing_the_password_ends_the_other_sessions(app, db, client, manager):
    login(client, manager)
    laptop = app.test_client()
    login(laptop, manager)
    response = post(client, "/account/password", {"current": factories.PASSWORD, "password": "a new long passphrase",
                                                  "confirm": "a new long passphrase"})
    assert response.status_code == 302
    assert client.get("/facilities").status_code == 200
    assert laptop.get("/facilities").status_code == 302
    db.session.expire_all()
    assert manager.check_password("a new long passphrase")


@pytest.mark.parametrize("fields, message", [
    ({"current": "wrong password", "password": "a new long passphrase", "confirm": "a new long passphrase"},
     "current password"),
    ({"current": factories.PASSWORD, "password": "short", "confirm": "short"}, "10"),
    ({"current": factories.PASSWORD, "password": "1234567890", "confirm": "1234567890"}, "easy to guess"),
    ({"current": factories.PASSWORD, "password": "a new long passphrase", "confirm": "another"}, "differ"),
])
def test_a_refused_password_change_changes_nothing(app, db, client, manager, fields, message):
    login(client, manager)
    post(client, "/language/en")
    response = post(client, "/account/password", fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert manager.check_password(factories.PASSWORD)


def test_admin_resets_a_password_and_deactivates_an_account(app, db, client, bureau_admin, manager):
    victim = app.test_client()
    login(victim, manager)
    login(client, bureau_admin)
    assert post(client, f"/users/{manager.id}", {"password": "reset by the bureau"}).status_code == 302
    assert victim.get("/facilities").status_code == 302
    login(victim, manager, password="reset by the bureau")
    assert post(client, f"/users/{manager.id}/active", {"active": "0"}).status_code == 302
    assert victim.get("/facilities").status_code == 302
    assert try_login(victim, manager.username, "reset by the bureau").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, manager.id) is not None and not manager.active  # never deleted
    assert post(client, f"/users/{manager.id}/active", {"active": "1"}).status_code == 302
    login(victim, manager, password="reset by the bureau")


def test_admin_cannot_deactivate_their_own_account(db, client, bureau_admin):
    login(client, bureau_admin)
    post(client, f"/users/{bureau_admin.id}/active", {"active": "0"})
    db.session.expire_all()
    assert bureau_admin.active and client.get("/users").status_code == 200


# 4. Passwords -------------------------------------------------------------------------------

@pytest.mark.parametrize("password, username, phone", [
    ("short", "", None), ("123456789", "", None), ("1234567890", "", None), ("qwertyuiop", "", None),
    ("woaini1314", "", None), ("aaaaaaaaaaaa", "", None), ("zhang.san.x", "zhang.san.x", None),
    ("13800000000", "13800000000", "13800000000"), ("13800000000ab", "x", "13800000000"), ("x" * 129, "", None),
])
def test_weak_passwords_are_refused(password, username, phone):
    assert passwords.problem(password, username=username, phone=phone) is not None


@pytest.mark.parametrize("password", ["eldercare-demo", "correct horse battery", "如皋的春天来了2026"])
def test_good_passwords_pass(password):
    assert passwords.problem(password, username="family", phone="13800000000") is None


def test_registration_refuses_a_weak_password(db, client):
    response = post(client, "/register", {"full_name": "李红", "phone": "13900000017", "password": "13900000017",
                                          "confirm": "13900000017"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# 5. Throttles -------------------------------------------------------------------------------

def test_password_spraying_from_one_address_is_throttled(client, db):
    for n in range(20):
        assert try_login(client, f"user{n}", "Spring2024!x").status_code == 200
    assert try_login(client, "user99", "Spring2024!x").status_code == 429


def test_one_user_name_is_throttled_from_any_address(client, manager):
    for n in range(5):
        response = try_login(client, manager.username, "nope", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 200
    assert try_login(client, manager.username, factories.PASSWORD,
                     environ_base={"REMOTE_ADDR": "10.0.0.99"}).status_code == 429


def test_the_login_form_and_api_token_requests_count_together(client, manager):
    for _ in range(3):
        assert try_login(client, manager.username, "nope").status_code == 200
    for _ in range(2):
        assert client.post("/api/v1/tokens", json={"username": manager.username, "password": "nope"}).status_code == 401
    assert client.post("/api/v1/tokens", json={"username": manager.username,
                                               "password": factories.PASSWORD}).status_code == 429
    assert try_login(client, manager.username, factories.PASSWORD).status_code == 429


def test_registration_is_throttled_per_address(client, db):
    for n in range(5):
        post(client, "/register", {"full_name": "李红", "phone": f"1390000001{n}", "password": "a long passphrase",
                                   "confirm": "a long passphrase"})
    response = post(client, "/register", {"full_name": "李红", "phone": "13900000019",
                                          "password": "a long passphrase", "confirm": "a long passphrase"})
    assert response.status_code == 429


def test_password_changes_are_throttled(client, manager):
    login(client, manager)
    for _ in range(5):
        assert post(client, "/account/password", {"current": "wrong"}).status_code == 422
    assert post(client, "/account/password", {"current": "wrong"}).status_code == 429


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_login_limits_are_shared_through_redis_by_separate_processes(database_url):
    """Two processes (two app servers) count failed logins together in Redis."""
    prefix = f"eldercare-test-{uuid.uuid4().hex}"
    script = (
        "import sys\n"
        "from eldercare import create_app\n"
        "app = create_app('test', SQLALCHEMY_DATABASE_URI=sys.argv[1], WTF_CSRF_ENABLED=False,\n"
        "                 RATELIMIT_STORAGE_URI='redis://127.0.0.1:6379', RATELIMIT_KEY_PREFIX=sys.argv[2])\n"
        "client = app.test_client()\n"
        "print(' '.join(str(client.post('/login', data={'username': 'nobody', 'password': 'not this one'})"
        ".status_code) for _ in range(int(sys.argv[3]))))\n"
    )

    def run(times):
        result = subprocess.run([sys.executable, "-c", script, database_url, prefix, str(times)], cwd=ROOT,
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.split()

    try:
        assert run(5) == ["200"] * 5
        assert run(1) == ["429"]
    finally:
        import redis

        connection = redis.Redis(host="127.0.0.1", port=6379)
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)


def test_login_takes_as_long_for_an_unknown_user(db):
    user = factories.user("real.user", Role.bureau_staff)
    user.set_password("a real long password")  # the production hash, not the fast one of the factories
    db.session.commit()

    def timed(username):
        durations = []
        for _ in range(5):
            start = time.perf_counter()
            assert services.authenticate(username, "not the password") is None
            durations.append(time.perf_counter() - start)
        return statistics.median(durations)

    known, unknown = timed("real.user"), timed("nobody.here")
    assert 0.5 < unknown / known < 2, (known, unknown)


def test_registration_does_not_reveal_a_taken_phone(db, client):
    fields = {"full_name": "李红", "phone": "13900000017", "password": "a long passphrase",
              "confirm": "a long passphrase"}
    first = post(client, "/register", fields)
    again = post(client, "/register", {**fields, "full_name": "别人", "password": "another passphrase",
                                       "confirm": "another passphrase"})
    assert (first.status_code, first.headers["Location"]) == (again.status_code, again.headers["Location"])
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    owner = db.session.scalar(select(User))
    assert owner.full_name == "李红" and owner.check_password("a long passphrase")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == owner.id))
    login(client, owner, password="a long passphrase")


# 6. Headers and GET that changes nothing ----------------------------------------------------------

@pytest.mark.parametrize("url", ["/login", "/open-beds", "/nowhere", "/static/app.css"])
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Werkzeug" not in response.headers.get("Server", "") and "Python" not in response.headers.get("Server", "")
    if not url.startswith("/static"):
        assert response.headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_any_template():
    inline = re.compile(r"\son[a-z]+\s*=|<script(?![^>]*\ssrc=)|javascript:", re.IGNORECASE)
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
                 if inline.search(path.read_text())]
    assert offenders == []


def test_the_script_is_served_by_the_app(client):
    response = client.get("/static/app.js")
    assert response.status_code == 200 and "data-confirm" in response.get_data(as_text=True)


def test_reading_messages_marks_nothing_read_until_asked(db, client, family):
    from eldercare.notifications import notify, unread_count

    notify(family, "你好")
    db.session.commit()
    login(client, family)
    assert client.get("/notifications").status_code == 200
    assert unread_count(family.id) == 1
    assert post(client, "/notifications/read").status_code == 302
    assert unread_count(family.id) == 0


# 9. Catalogs wherever the app runs ---------------------------------------------------------------

def test_missing_or_stale_catalogs_are_compiled_at_start_up(app, tmp_path, monkeypatch):
    import shutil

    from babel.messages.mofile import read_mo

    from eldercare import catalogs

    for po in catalogs.TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        target = tmp_path / po.relative_to(catalogs.TRANSLATIONS)
        target.parent.mkdir(parents=True)
        shutil.copy(po, target)
    monkeypatch.setattr(catalogs, "TRANSLATIONS", tmp_path)
    catalogs.compile_if_stale(app)
    with (tmp_path / "zh" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        assert read_mo(mo).get("Log in").string == "登录"
    stale = tmp_path / "en" / "LC_MESSAGES" / "messages.mo"
    os.utime(stale, (0, 0))
    catalogs.compile_if_stale(app)
    assert stale.stat().st_mtime > 0


def test_production_under_gunicorn_names_no_server_version(database_url, tmp_path):
    """The real production server: Chinese pages, the headers, and a Server header without a version."""
    import secrets
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ELDERCARE_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": database_url}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", "1", "-b", f"127.0.0.1:{port}",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer")
        assert response.headers.get_all("Server") == ["gunicorn"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<title>登录" in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
