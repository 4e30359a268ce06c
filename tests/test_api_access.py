"""Walk every /api/v1 route as every role, as tests/test_access.py does for the pages: allowed;
401 without a token; 403 for a role that may never do it; 404, not 403, for a record of
another facility or family (an id reveals nothing).

A new API route fails `test_every_api_route_is_in_the_table` until it is added here."""

import io
from datetime import date

import pytest

from eldercare.auth.models import Role
from eldercare.auth.tokens import ApiToken
from eldercare.facilities.models import FacilityType, Stay
from eldercare.placements.models import Status
from tests import factories
from tests.api_helpers import bearer, token_for

ROLES = ["anonymous", "bureau_admin", "bureau_staff", "manager", "other_manager", "family"]
EVERYONE = set(ROLES) - {"anonymous"}
STAFF = {"bureau_admin", "bureau_staff", "manager", "other_manager"}
BUREAU = {"bureau_admin", "bureau_staff"}
FAMILY = {"family"}  # the family who made the application in the URL
MANAGER = {"manager"}  # 'manager' manages the facility in the URL; 'other_manager' gets 404 there
HIDDEN_FROM_OTHER_MANAGER = {"other_manager"}
PUBLIC = set(ROLES)

TODAY = date.today().isoformat()
BEDS_FILE = "床位号,床位类型\nF-1,护理型\n"  # sent as a multipart upload
APPLICATION = {"name": "孙玉兰", "id_number": "11010519491231002X", "relation": "女儿", "contact_name": "孙丽",
               "contact_phone": "13900000017"}

# endpoint -> (method, url, json body or None, roles allowed, roles answered 404)
ROUTES = {
    "api-docs.openapi_json": ("GET", "/api/v1/openapi.json", None, PUBLIC, set()),
    "api.docs": ("GET", "/api/v1/docs", None, PUBLIC, set()),
    "api.open_beds": ("GET", "/api/v1/open-beds", None, PUBLIC, set()),
    "api.create_token": ("POST", "/api/v1/tokens", {"username": "manager", "password": factories.PASSWORD},
                         PUBLIC, set()),
    "api.list_tokens": ("GET", "/api/v1/tokens", None, EVERYONE, set()),
    "api.revoke_token": ("DELETE", "/api/v1/tokens/{spare_token}", None, MANAGER, EVERYONE - MANAGER),
    "api.list_facilities": ("GET", "/api/v1/facilities", None, STAFF, set()),
    "api.list_beds": ("GET", "/api/v1/facilities/{facility}/beds", None, BUREAU | MANAGER,
                      HIDDEN_FROM_OTHER_MANAGER),
    "api.import_beds": ("POST", "/api/v1/facilities/{facility}/beds/import", BEDS_FILE, MANAGER,
                        HIDDEN_FROM_OTHER_MANAGER),
    "api.export_beds": ("GET", "/api/v1/facilities/{facility}/beds/export", None, BUREAU | MANAGER,
                        HIDDEN_FROM_OTHER_MANAGER),
    "api.register_elder": ("POST", "/api/v1/elders", {"name": "钱老", "id_number": "11010519491231002X"}, STAFF,
                           set()),
    "api.care_ratio": ("GET", "/api/v1/stats/care-ratio", None, BUREAU, set()),
    "api.occupancy": ("GET", "/api/v1/stats/occupancy", None, BUREAU, set()),
    "api.admit": ("POST", "/api/v1/stays", {"bed_id": "{bed}", "elder_id": "{elder}", "start_on": TODAY}, MANAGER,
                  HIDDEN_FROM_OTHER_MANAGER),
    "api.away": ("POST", "/api/v1/stays/{stay}/away", {"away": "leave"}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.back": ("POST", "/api/v1/stays/{stay}/back", {}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.transfer": ("POST", "/api/v1/stays/{stay}/transfer", {"to_bed_id": "{spare_bed}", "on": TODAY}, MANAGER,
                     HIDDEN_FROM_OTHER_MANAGER),
    "api.discharge": ("POST", "/api/v1/stays/{stay}/discharge", {"end_on": TODAY}, MANAGER,
                      HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_hold": ("POST", "/api/v1/beds/{bed}/hold", {"hours": 2}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_release": ("POST", "/api/v1/beds/{bed}/release", {}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_clean": ("POST", "/api/v1/beds/{bed}/clean", {}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_out_of_service": ("POST", "/api/v1/beds/{bed}/out-of-service", {}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_return_to_service": ("POST", "/api/v1/beds/{bed}/return-to-service", {}, MANAGER,
                                  HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_care_type": ("POST", "/api/v1/beds/{bed}/care-type", {"care_type": "ordinary"}, MANAGER,
                          HIDDEN_FROM_OTHER_MANAGER),
    "api.bed_open": ("POST", "/api/v1/beds/{bed}/open", {"open_to_public": True}, MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.list_applications": ("GET", "/api/v1/applications", None, FAMILY | BUREAU, set()),
    "api.create_application": ("POST", "/api/v1/applications", APPLICATION, FAMILY, set()),
    "api.get_application": ("GET", "/api/v1/applications/{application}", None, FAMILY | BUREAU | MANAGER,
                            HIDDEN_FROM_OTHER_MANAGER),
    "api.update_application": ("PUT", "/api/v1/applications/{application}", APPLICATION, FAMILY, set()),
    "api.application_start_review": ("POST", "/api/v1/applications/{application}/start-review", {}, BUREAU, set()),
    "api.application_approve": ("POST", "/api/v1/applications/{application}/approve", {}, BUREAU, set()),
    "api.application_reject": ("POST", "/api/v1/applications/{application}/reject", {"reason": "不符合条件"}, BUREAU,
                               set()),
    "api.application_request_info": ("POST", "/api/v1/applications/{application}/request-info",
                                     {"reason": "请补充材料"}, BUREAU, set()),
    "api.application_offer": ("POST", "/api/v1/applications/{application}/offer", {"bed_id": "{bed}"}, BUREAU,
                              set()),
    "api.application_admit": ("POST", "/api/v1/applications/{application}/admit", {"on": TODAY},
                              BUREAU | MANAGER, HIDDEN_FROM_OTHER_MANAGER),
    "api.application_submit": ("POST", "/api/v1/applications/{application}/submit", {"consent": True}, FAMILY,
                               set()),
    "api.application_accept": ("POST", "/api/v1/applications/{application}/accept", {}, FAMILY, set()),
    "api.application_decline": ("POST", "/api/v1/applications/{application}/decline", {}, FAMILY, set()),
    "api.application_withdraw": ("POST", "/api/v1/applications/{application}/withdraw", {}, FAMILY, set()),
    "api.application_withdraw_offer": ("POST", "/api/v1/applications/{application}/withdraw-offer",
                                       {"reason": "床位需检修"}, BUREAU, set()),  # after admit: it takes the bed back
    # Last: it ends the manager's own tokens.
    "api.revoke_user_tokens": ("POST", "/api/v1/users/{manager_user}/tokens/revoke", {}, MANAGER | {"bureau_admin"},
                               set()),
}


def test_every_api_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert endpoints == set(ROUTES)


def answer(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code in (401, 403, 404):
        assert response.content_type == "application/problem+json"
        return str(response.status_code)
    return "allowed"  # including a refused domain action (409, 422): access itself was granted


def fill(value, ids):
    if isinstance(value, dict):
        return {key: fill(v, ids) for key, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_on_every_api_route(app, db, client, role, facility, town):
    other = factories.facility(town, name="别的养老院", type=FacilityType.public_home)
    bed, spare_bed, resident_bed = factories.bed(facility), factories.bed(facility), factories.bed(facility)
    resident = factories.elder(name="住户")
    stay = Stay(elder_id=resident.id, bed_id=resident_bed.id, start_on=date(2024, 1, 1))
    db.session.add(stay)
    manager = factories.user("manager", Role.facility_manager, facilities=[facility])
    users = {"manager": manager,
             "bureau_admin": factories.user("bureau_admin", Role.bureau_admin),
             "bureau_staff": factories.user("bureau_staff", Role.bureau_staff),
             "other_manager": factories.user("other_manager", Role.facility_manager, facilities=[other]),
             "family": factories.user("family", Role.family)}
    owner = users["family"] if role == "family" else factories.user("owner", Role.family)
    application = factories.application(owner, offered_bed=factories.bed(facility, code="OFFER-1"),
                                        status=Status.accepted)
    spare_token = token_for(manager)
    spare_token_id = db.session.query(ApiToken.id).scalar()
    headers = bearer(token_for(users[role])) if role != "anonymous" else {}
    ids = {"facility": facility.id, "bed": bed.id, "spare_bed": spare_bed.id, "stay": stay.id,
           "elder": factories.elder().id, "spare_token": spare_token_id, "manager_user": manager.id,
           "application": application.id}
    assert spare_token
    wrong = []
    for method, url, body, allowed, hidden in ROUTES.values():
        if role == "anonymous":
            expected = "allowed" if role in allowed else "401"
        else:
            expected = "allowed" if role in allowed else ("404" if role in hidden else "403")
        url = url.format(**ids)
        if isinstance(body, str):
            response = client.open(url, method=method, headers=headers, content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(body.encode()), "beds.csv")})
        else:
            response = client.open(url, method=method, headers=headers,
                                   json=fill(body, ids) if body is not None else None)
        got = answer(response)
        if got != expected:
            wrong.append(f"{method} {url}: expected {expected}, got {got} ({response.status_code})")
    assert wrong == []
