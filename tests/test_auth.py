import pytest
from sqlalchemy import select

from config import ProductionConfig
from eldercare import create_app
from eldercare.auth.models import Role, User
from tests import factories
from tests.conftest import csrf_token, login, post


def try_login(client, username, password):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_login_and_logout(client, manager, facility):
    response = login(client, manager)
    assert response.headers["Location"].endswith("/")
    assert client.get("/", follow_redirects=False).headers["Location"].endswith(f"/facilities/{facility.id}/board")
    post(client, "/logout")
    assert client.get("/facilities").status_code == 302


def test_wrong_password_says_so(client, manager):
    response = try_login(client, "manager1", "wrong password")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wrong user name or password" in page or "用户名或密码错误" in page


def test_login_is_throttled_after_repeated_failures(client, manager):
    for _ in range(5):
        assert try_login(client, "manager1", "nope").status_code == 200
    assert try_login(client, "manager1", "nope").status_code == 429
    # even the right password waits now
    assert try_login(client, "manager1", factories.PASSWORD).status_code == 429


def test_successful_logins_are_not_counted(client, manager):
    for _ in range(7):
        assert try_login(client, "manager1", factories.PASSWORD).status_code == 302
        post(client, "/logout")


def test_no_redirect_to_another_site_after_login(client, manager):
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "manager1", "password": factories.PASSWORD,
                                 "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_samesite(client, manager):
    response = login(client, manager)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/eldercare")
    config = ProductionConfig()
    assert config.SESSION_COOKIE_SECURE is True and config.ALLOW_DEMO_SEED is False


def test_admin_creates_a_manager_account_then_assigns_facilities(db, client, bureau_admin, facility):
    login(client, bureau_admin)
    response = post(client, "/users", {"username": "zhang.san", "full_name": "张三", "role": "facility_manager",
                                       "password": "a long password"})
    user = db.session.scalar(select(User).where(User.username == "zhang.san"))
    assert response.status_code == 302 and response.headers["Location"] == f"/users/{user.id}/facilities"
    assert post(client, f"/users/{user.id}/facilities", {"facility_ids": [facility.id]}).status_code == 302
    db.session.expire_all()
    assert user.role == Role.facility_manager and [f.id for f in user.facilities] == [facility.id]
    assert user.password_hash != "a long password" and user.check_password("a long password")


@pytest.mark.parametrize("fields", [
    {"username": "x", "full_name": "短", "role": "family", "password": "a long password"},  # name too short
    {"username": "ok.name", "full_name": "好", "role": "family", "password": "short"},
    {"username": "ok.name", "full_name": "好", "role": "king", "password": "a long password"},
    {"username": "admin1", "full_name": "重复", "role": "family", "password": "a long password"},  # taken
])
def test_bad_account_forms_change_nothing(db, client, bureau_admin, fields):
    login(client, bureau_admin)
    before = db.session.scalar(select(User.id).order_by(User.id.desc()))
    response = post(client, "/users", fields)
    assert response.status_code == 422 and "error" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_language_switch(client, manager):
    login(client, manager)
    assert "退出" in client.get("/facilities").get_data(as_text=True)  # Chinese by default
    post(client, "/language/en", {"next": "/facilities"})
    assert "Log out" in client.get("/facilities").get_data(as_text=True)
