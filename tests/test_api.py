"""The JSON API: tokens, resources, errors as problem+json, limits, and the 20-way race on one
bed through POST /api/v1/stays (on SQLite and PostgreSQL like the rest of the suite)."""

import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.auth import tokens
from eldercare.auth.models import Role
from eldercare.facilities import services
from eldercare.facilities.models import BedKind, CareType, FacilityType, Stay
from eldercare.models import utcnow
from eldercare.placements import workflow
from eldercare.placements.models import Application
from eldercare.residents.models import Elder
from eldercare.timekeeping import local_today
from tests import factories
from tests.api_helpers import bearer, token_for
from tests.conftest import login

PROBLEM = "application/problem+json"


def test_a_token_for_a_user_name_and_password_is_stored_hashed_and_expires(app, db, client, manager):
    response = client.post("/api/v1/tokens", json={"username": "manager1", "password": factories.PASSWORD})
    assert response.status_code == 201, response.json
    secret = response.json["token"]
    record = db.session.get(tokens.ApiToken, response.json["id"])
    assert secret not in (record.digest, record.hint) and len(record.digest) == 64
    days = (record.expires_at - utcnow()).total_seconds() / 86400
    assert 29.9 < days <= 30
    assert "set-cookie" not in {k.lower() for k in response.headers.keys()}
    assert client.get("/api/v1/facilities", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/facilities", headers=bearer(secret + "x")).status_code == 401


def test_wrong_password_is_401_and_throttled_like_the_login_form(app, client, manager):
    for _ in range(5):
        response = client.post("/api/v1/tokens", json={"username": "manager1", "password": "wrong"})
        assert response.status_code == 401 and response.content_type == PROBLEM
    response = client.post("/api/v1/tokens", json={"username": "manager1", "password": factories.PASSWORD})
    assert response.status_code == 429 and response.content_type == PROBLEM


def test_token_lifetime_is_configurable_and_capped(app, client, manager):
    app.config["API_TOKEN_DAYS"] = 7
    try:
        response = client.post("/api/v1/tokens", json={"username": "manager1", "password": factories.PASSWORD})
        assert response.status_code == 201
        response = client.post("/api/v1/tokens", json={"username": "manager1", "password": factories.PASSWORD,
                                                       "days": 8})
        assert response.status_code == 422 and response.content_type == PROBLEM
    finally:
        app.config["API_TOKEN_DAYS"] = 30


def test_tokens_are_listed_and_revoked_by_their_owner_and_all_by_an_administrator(app, db, client, manager,
                                                                                  bureau_admin, bureau_staff):
    first, second = token_for(manager), token_for(manager)
    listed = client.get("/api/v1/tokens", headers=bearer(first)).json["items"]
    assert [t["active"] for t in listed] == [True, True] and all("token" not in t for t in listed)
    staff_token = token_for(bureau_staff)
    # Someone else's token is not there for them (404), and staff may not list others' (403).
    assert client.delete(f"/api/v1/tokens/{listed[1]['id']}", headers=bearer(staff_token)).status_code == 404
    assert client.get(f"/api/v1/tokens?user_id={manager.id}", headers=bearer(staff_token)).status_code == 403
    assert client.delete(f"/api/v1/tokens/{listed[1]['id']}", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/facilities", headers=bearer(second)).status_code == 401
    admin_token = token_for(bureau_admin)
    assert client.get(f"/api/v1/tokens?user_id={manager.id}", headers=bearer(admin_token)).status_code == 200
    response = client.post(f"/api/v1/users/{manager.id}/tokens/revoke", json={}, headers=bearer(admin_token))
    assert response.json == {"revoked": 1}
    assert client.get("/api/v1/facilities", headers=bearer(first)).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "api_token.revoke")) == 2


def test_an_expired_token_or_a_deactivated_user_gets_401(app, db, client, manager):
    secret = token_for(manager)
    record = db.session.scalar(select(tokens.ApiToken))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/facilities", headers=bearer(secret)).status_code == 401
    secret = token_for(manager)
    manager.active = False
    db.session.commit()
    assert client.get("/api/v1/facilities", headers=bearer(secret)).status_code == 401


def test_the_api_ignores_a_session_cookie_and_sets_none(app, client, manager):
    login(client, manager)
    assert client.get("/facilities").status_code == 200  # the page knows the session
    response = client.get("/api/v1/facilities")
    assert response.status_code == 401  # the API does not
    assert "Set-Cookie" not in response.headers
    # No CSRF token needed, because no cookie is read: a token alone does it.
    bed = factories.bed(manager.facilities[0])
    response = client.post(f"/api/v1/beds/{bed.id}/hold", json={"hours": 2}, headers=bearer(token_for(manager)))
    assert response.status_code == 200 and response.json["bed"]["state"] == "on_hold"


def test_facilities_carry_the_ratio_counts_and_filter_by_town_and_type(app, db, client, facility, town,
                                                                      bureau_staff):
    factories.bed(facility, care_type=CareType.nursing)
    factories.bed(facility, care_type=CareType.ordinary)
    factories.bed(facility, kind=BedKind.day_care, care_type=CareType.ordinary)
    resident_bed = factories.bed(facility, care_type=CareType.ordinary)
    db.session.add(Stay(elder_id=factories.elder().id, bed_id=resident_bed.id, start_on=date(2024, 1, 1)))
    factories.facility(town, name="助餐点", type=FacilityType.meal_point)
    db.session.commit()
    headers = bearer(token_for(bureau_staff))
    items = client.get("/api/v1/facilities?type=private_home", headers=headers).json["items"]
    assert items == [{
        "id": facility.id, "name": facility.name, "type": "private_home", "town": town.name,
        "beds_total": 3, "beds_nursing": 1, "beds_day_care": 1, "beds_family_care": 0, "beds_occupied": 1,
        "beds_vacant": 3, "last_changed_at": items[0]["last_changed_at"],
    }]
    assert items[0]["last_changed_at"].endswith("+00:00")
    assert len(client.get("/api/v1/facilities", headers=headers).json["items"]) == 2
    assert client.get("/api/v1/facilities?town=nowhere", headers=headers).json["items"] == []
    assert client.get("/api/v1/facilities?type=castle", headers=headers).status_code == 422


def test_lists_are_paginated_with_a_cursor_in_a_stable_order(app, db, client, facility, manager):
    room = factories.room(facility, "3")
    beds = [factories.bed(facility, code=f"3-{i:02d}", room=room) for i in range(1, 8)]
    headers = bearer(token_for(manager))
    seen, url = [], f"/api/v1/facilities/{facility.id}/beds?limit=3"
    while url:
        page = client.get(url, headers=headers).json
        seen += [b["id"] for b in page["items"]]
        url = page["next"]
    assert seen == sorted(b.id for b in beds)
    first = client.get(f"/api/v1/facilities/{facility.id}/beds?limit=3", headers=headers).json
    assert first["items"][0] == {"id": beds[0].id, "code": "3-01", "room": "3", "kind": "institution",
                                 "care_type": "nursing", "state": "vacant", "open_to_public": False}
    response = client.get(f"/api/v1/facilities/{facility.id}/beds?cursor=garbage", headers=headers)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "cursor"
    assert client.get(f"/api/v1/facilities/{facility.id}/beds?limit=0", headers=headers).status_code == 422


def test_register_an_elder_derives_birth_date_and_sex_and_masks_the_id(app, db, client, manager, bureau_staff):
    headers = bearer(token_for(manager))
    body = {"name": "王秀英", "id_number": "11010519491231002X", "category": "dibao", "living_alone": True}
    response = client.post("/api/v1/elders", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["birth_date"] == "1949-12-31" and response.json["sex"] == "female"
    assert response.json["id_number"] == "110105********002X"
    assert response.json["category"] == "dibao" and response.json["living_alone"] is True
    # Registered already: 409; the bureau learns the id, a manager whose home the elder is not in does not.
    again = client.post("/api/v1/elders", json=body, headers=headers)
    assert again.status_code == 409 and again.content_type == PROBLEM and "existing_id" not in again.json
    staff = client.post("/api/v1/elders", json=body, headers=bearer(token_for(bureau_staff)))
    assert staff.status_code == 409 and staff.json["existing_id"] == response.json["id"]
    bad = client.post("/api/v1/elders", json={**body, "id_number": "340524198001010013"}, headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "id_number"
    assert "check" in bad.json["errors"][0]["detail"] or "校验" in bad.json["errors"][0]["detail"]
    assert db.session.scalar(select(func.count()).select_from(Elder)) == 1


def test_admit_discharge_transfer_away_and_back_through_stays(app, db, client, facility, manager):
    bed, other_bed = factories.bed(facility), factories.bed(facility)
    elder = factories.elder()
    headers = bearer(token_for(manager))
    today = local_today().isoformat()
    response = client.post("/api/v1/stays", json={"bed_id": bed.id, "elder_id": elder.id, "start_on": today},
                           headers=headers)
    assert response.status_code == 201, response.json
    stay_id = response.json["id"]
    taken = client.post("/api/v1/stays", json={"bed_id": bed.id, "elder_id": factories.elder().id,
                                               "start_on": today}, headers=headers)
    assert taken.status_code == 409 and taken.content_type == PROBLEM and taken.json["detail"]
    twice = client.post("/api/v1/stays", json={"bed_id": other_bed.id, "elder_id": elder.id, "start_on": today},
                        headers=headers)
    assert twice.status_code == 409
    away = client.post(f"/api/v1/stays/{stay_id}/away", json={"away": "hospital"}, headers=headers)
    assert away.status_code == 200 and away.json["away"] == "hospital"
    assert client.post(f"/api/v1/stays/{stay_id}/back", json={}, headers=headers).json["away"] is None
    moved = client.post(f"/api/v1/stays/{stay_id}/transfer", json={"to_bed_id": other_bed.id, "on": today},
                        headers=headers)
    assert moved.status_code == 200 and moved.json["bed_id"] == other_bed.id
    ended = client.post(f"/api/v1/stays/{moved.json['id']}/discharge", json={"end_on": today}, headers=headers)
    assert ended.status_code == 200 and ended.json["end_on"] == today
    again = client.post(f"/api/v1/stays/{moved.json['id']}/discharge", json={"end_on": today}, headers=headers)
    assert again.status_code == 409
    cleaned = client.post(f"/api/v1/beds/{other_bed.id}/clean", json={}, headers=headers)
    assert cleaned.json["bed"]["state"] == "vacant"
    unknown = client.post("/api/v1/stays", json={"bed_id": bed.id, "elder_id": 999999, "start_on": today},
                          headers=headers)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "elder_id"
    # Someone staying in another home is not found by number either (their name would be in the 409).
    elsewhere = factories.elder(name="别处住户")
    other_home = factories.facility(facility.town)
    db.session.add(Stay(elder_id=elsewhere.id, bed_id=factories.bed(other_home).id, start_on=date(2024, 1, 1)))
    db.session.commit()
    hidden = client.post("/api/v1/stays", json={"bed_id": bed.id, "elder_id": elsewhere.id, "start_on": today},
                         headers=headers)
    assert hidden.status_code == 422 and "别处住户" not in hidden.get_data(as_text=True)


def test_care_ratio_and_occupancy_come_from_the_dashboards_figures(app, db, client, facility, town, bureau_staff):
    for care in (CareType.nursing, CareType.nursing, CareType.nursing, CareType.ordinary):
        factories.bed(facility, care_type=care)
    headers = bearer(token_for(bureau_staff))
    city = client.get("/api/v1/stats/care-ratio", headers=headers).json
    assert city == {"scope": {"level": "city", "id": None, "name": None}, "year": local_today().year,
                    "nursing_beds": 3, "total_beds": 4, "ratio": 0.75, "target": 0.74, "shortfall": 0,
                    "meets_target": True}
    one = client.get(f"/api/v1/stats/care-ratio?facility={facility.id}", headers=headers).json
    assert one["scope"]["level"] == "facility" and one["total_beds"] == 4
    assert client.get(f"/api/v1/stats/care-ratio?town={town.id}", headers=headers).json["nursing_beds"] == 3
    assert client.get("/api/v1/stats/care-ratio?town=999999", headers=headers).status_code == 404
    both = client.get(f"/api/v1/stats/care-ratio?town={town.id}&facility={facility.id}", headers=headers)
    assert both.status_code == 422
    occupancy = client.get(f"/api/v1/stats/occupancy?facility={facility.id}", headers=headers).json
    assert occupancy["total_beds"] == 4 and occupancy["by_state"]["vacant"] == 4 and occupancy["vacancy_rate"] == 1


def test_open_beds_need_no_token_and_show_nothing_personal(app, db, client, facility):
    factories.bed(facility, open_to_public=True)
    factories.bed(facility, care_type=CareType.ordinary, open_to_public=True)
    factories.bed(facility)
    response = client.get("/api/v1/open-beds")
    assert response.status_code == 200
    item, = response.json["items"]
    assert item["facility_id"] == facility.id and (item["open_nursing"], item["open_ordinary"]) == (1, 1)
    assert set(item) == {"facility_id", "name", "town", "type", "open_nursing", "open_ordinary", "updated_at"}


def test_errors_are_problem_documents_never_pages(app, client, manager):
    headers = bearer(token_for(manager))
    for method, url, kwargs, status in [
        ("get", "/api/v1/no-such-thing", {}, 404),
        ("put", "/api/v1/facilities", {}, 405),
        ("post", "/api/v1/stays", {"data": "{not json", "content_type": "application/json"}, 400),
        ("post", "/api/v1/stays", {"json": {"bed_id": 1, "elder_id": 1, "start_on": "2024-01-01", "x": 1}}, 422),
        ("get", "/api/v1/facilities/999999/beds", {}, 404),
    ]:
        response = getattr(client, method)(url, headers=headers, **kwargs)
        assert response.status_code == status, (url, response.status_code)
        assert response.content_type == PROBLEM and response.json["status"] == status
        assert "<html" not in response.get_data(as_text=True).lower()
    unknown = client.post("/api/v1/stays", json={"bed_id": 1, "elder_id": 1, "start_on": "2024-01-01", "x": 1},
                          headers=headers).json
    assert {"location": "json", "field": "x", "detail": "Unknown field."} in unknown["errors"]


def test_a_body_over_the_limit_is_413(app, client, manager):
    headers = bearer(token_for(manager))
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/elders", data=big, content_type="application/json", headers=headers)
    assert response.status_code == 413 and response.content_type == PROBLEM
    app.config["API_MAX_BODY_BYTES"] = 100
    try:
        response = client.post("/api/v1/elders", json={"name": "x" * 200, "id_number": "1"}, headers=headers)
        assert response.status_code == 413
    finally:
        app.config["API_MAX_BODY_BYTES"] = 10 * 1024 * 1024


def test_a_crash_is_a_problem_document_without_a_trace(app, client, manager, monkeypatch):
    from eldercare.api import facilities as resource

    def boom(*_args):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(resource.queries, "bed_counts", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/api/v1/facilities", headers=bearer(token_for(manager)))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500 and response.content_type == PROBLEM
    assert "secret detail" not in response.get_data(as_text=True)


def test_the_docs_page_is_served_by_the_app_in_both_languages(app, client):
    zh = client.get("/api/v1/docs", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    en = client.get("/api/v1/docs?lang=en").get_data(as_text=True)
    assert "http://" not in zh.replace("http://localhost", "") and "https://" not in zh
    assert "/api/v1/stays" in zh and "POST" in en
    assert zh != en
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/stats/care-ratio" in spec["paths"]


THREADS = 20


def test_twenty_managers_post_one_bed_at_once_one_wins(app, db, facility):
    managers = [factories.user(f"m{i}", Role.facility_manager, facilities=[facility]) for i in range(THREADS)]
    secrets = [token_for(m) for m in managers]
    bed = factories.bed(facility)
    elders = [factories.elder() for _ in range(THREADS)]
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    statuses, lock = [], threading.Lock()

    def attempt(secret, elder_id):
        client = app.test_client()
        with app.app_context():
            barrier.wait()
            response = client.post("/api/v1/stays", headers=bearer(secret),
                                   json={"bed_id": bed.id, "elder_id": elder_id, "start_on": local_today().isoformat()})
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(s, e.id)) for s, e in zip(secrets, elders, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert sorted(statuses) == [201] + [409] * (THREADS - 1), statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.bed_id == bed.id,
                                                                          Stay.end_on.is_(None))) == 1


APPLICATION = {"name": "孙玉兰", "id_number": "11010519491231002X", "category": "dibao", "severe_disability": True,
               "relation": "女儿", "contact_name": "孙丽", "contact_phone": "13900000017"}


def test_an_application_from_draft_to_admission_through_the_api(app, db, client, facility, manager, family,
                                                                bureau_staff):
    bed = factories.bed(facility, care_type=CareType.nursing, open_to_public=True)
    as_family, as_bureau, as_manager = (bearer(token_for(u)) for u in (family, bureau_staff, manager))
    created = client.post("/api/v1/applications", json=APPLICATION, headers=as_family)
    assert created.status_code == 201, created.json
    application = created.json
    assert application["status"] == "draft" and application["elder_id"] is None
    assert application["id_number"] == "110105********002X" and application["birth_date"] == "1949-12-31"
    assert "submit" in application["actions"]
    url = f"/api/v1/applications/{application['id']}"
    no_consent = client.post(f"{url}/submit", json={"consent": False}, headers=as_family)
    assert no_consent.status_code == 422 and no_consent.content_type == PROBLEM
    assert client.post(f"{url}/submit", json={"consent": True}, headers=as_family).json["status"] == "submitted"
    # The family cannot review; the bureau cannot submit for the family.
    assert client.post(f"{url}/approve", json={}, headers=as_family).status_code == 403
    assert client.post(f"{url}/submit", json={"consent": True}, headers=as_bureau).status_code == 403
    taken_up = client.post(f"{url}/start-review", json={}, headers=as_bureau).json
    assert taken_up["status"] == "under_review" and taken_up["elder_id"] is not None
    # The bureau assesses the applicant on its page (a nursing-type bed is offered only after that).
    workflow.assess(bureau_staff, db.session.get(Application, application["id"]), self_care=20, mobility=10,
                    mental=20, perception=10, coma=False, dementia_or_psychiatric=False, risk_events_30d=0)
    db.session.commit()
    assert client.post(f"{url}/offer", json={"bed_id": bed.id}, headers=as_bureau).status_code == 409
    assert client.post(f"{url}/approve", json={}, headers=as_bureau).json["status"] == "approved"
    offered = client.post(f"{url}/offer", json={"bed_id": bed.id, "hours": 24}, headers=as_bureau).json
    assert offered["status"] == "offered" and offered["offered_bed_id"] == bed.id
    taken_back = client.post(f"{url}/withdraw-offer", json={"reason": "床位需检修"}, headers=as_bureau).json
    assert taken_back["status"] == "approved" and taken_back["offered_bed_id"] is None
    assert client.post(f"{url}/offer", json={"bed_id": bed.id}, headers=as_bureau).json["status"] == "offered"
    assert client.post(f"{url}/accept", json={}, headers=as_family).json["status"] == "accepted"
    admitted = client.post(f"{url}/admit", json={"on": local_today().isoformat()}, headers=as_manager).json
    assert admitted["status"] == "admitted" and admitted["stay_id"] is not None
    assert [e["action"] for e in admitted["events"]] == ["submit", "start_review", "approve", "offer",
                                                         "withdraw_offer", "offer", "accept", "admit"]
    listed = client.get("/api/v1/applications", headers=as_family).json["items"]
    assert [a["id"] for a in listed] == [application["id"]]
    assert client.get("/api/v1/applications?status=admitted", headers=as_bureau).json["items"][0]["id"] == \
        application["id"]


def test_a_family_sees_and_changes_only_its_own_applications(app, db, client, family):
    other = factories.user("family2", Role.family)
    theirs = factories.application(other)
    mine = factories.application(family)
    headers = bearer(token_for(family))
    assert client.get(f"/api/v1/applications/{theirs.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/applications/{theirs.id}/withdraw", json={}, headers=headers).status_code == 404
    assert client.put(f"/api/v1/applications/{theirs.id}", json=APPLICATION, headers=headers).status_code == 404
    changed = client.put(f"/api/v1/applications/{mine.id}", json={**APPLICATION, "name": "改名"}, headers=headers)
    assert changed.status_code == 200 and changed.json["elder_name"] == "改名"
    assert [a["id"] for a in client.get("/api/v1/applications", headers=headers).json["items"]] == [mine.id]


def test_a_new_password_ends_the_accounts_api_tokens(db, client, family, bureau_admin):
    from eldercare.auth import services as accounts

    mine, reset = token_for(family), token_for(family)
    assert client.get("/api/v1/applications", headers=bearer(mine)).status_code == 200
    accounts.change_password(family, current=factories.PASSWORD, new="a much longer passphrase")
    db.session.commit()
    assert client.get("/api/v1/applications", headers=bearer(mine)).status_code == 401
    assert client.get("/api/v1/applications", headers=bearer(reset)).status_code == 401
    fresh = token_for(family)
    accounts.reset_password(bureau_admin, family, "another long passphrase")
    db.session.commit()
    assert client.get("/api/v1/applications", headers=bearer(fresh)).status_code == 401


def test_a_misspelt_query_field_is_refused_not_ignored(app, db, client, bureau_staff, facility, town):
    headers = bearer(token_for(bureau_staff))
    for url, field in (("/api/v1/facilities?twon=x", "twon"), ("/api/v1/stats/care-ratio?facilty=1", "facilty"),
                       ("/api/v1/open-beds?limit=5&x=1", "x"),
                       (f"/api/v1/facilities/{facility.id}/beds?room=1", "room")):
        response = client.get(url, headers=headers)
        assert response.status_code == 422, url
        assert response.mimetype == "application/problem+json"
        assert response.json["errors"] == [{"location": "query", "field": field, "detail": "Unknown field."}]
    # The fields a route declares, and the language, are read as before.
    assert client.get(f"/api/v1/facilities?town={town.name}&limit=5&lang=en", headers=headers).status_code == 200
    assert client.get(f"/api/v1/stats/care-ratio?facility={facility.id}", headers=headers).json["total_beds"] == 0


def test_an_answer_is_in_the_language_asked_for_else_the_token_owners(app, db, client, facility, manager):
    bed = factories.bed(facility)
    services.admit(manager, bed, factories.elder(), on=local_today())
    manager.locale = "en"
    headers = bearer(token_for(manager))
    body = {"bed_id": bed.id, "elder_id": factories.elder().id, "start_on": local_today().isoformat()}

    def detail(url, **extra):
        response = client.post(url, json=body, headers={**headers, **extra})
        assert response.status_code == 409
        return response.json["detail"]

    english = detail("/api/v1/stays", **{"Accept-Language": "zh-CN"})  # the account's language wins
    chinese = detail("/api/v1/stays?lang=zh")  # the language asked for wins over the account's
    assert english.isascii() and not chinese.isascii()
    manager.locale = None
    db.session.commit()
    assert not detail("/api/v1/stays", **{"Accept-Language": "zh-CN"}).isascii()
    assert detail("/api/v1/stays", **{"Accept-Language": "en"}).isascii()
