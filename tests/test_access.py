"""Walk every route as every role and check the answer: allowed, 403, or off to the login page.

A new route fails this test until it is added to ROUTES, so no page goes out unchecked."""

from datetime import date

import pytest

from eldercare.auth.models import Role
from eldercare.facilities.models import FacilityType, Stay
from eldercare.placements.models import Status
from tests import factories
from tests.conftest import csrf_token, login

ROLES = ["anonymous", "bureau_admin", "bureau_staff", "manager", "other_manager", "family", "assistant"]
EVERYONE = set(ROLES) - {"anonymous"}
STAFF = {"bureau_admin", "bureau_staff", "manager"}  # 'manager' manages the facility in the URL
MANAGER = {"manager"}
BUREAU = {"bureau_admin", "bureau_staff"}
# The family who made the application in the URL; for the town assistant, one made on an elder's behalf in their town.
FAMILY = {"family", "assistant"}

# endpoint -> (method, url template, roles allowed; public routes allow "anonymous")
ROUTES = {
    "auth.login": ("GET", "/login", set(ROLES)),
    "auth.logout": ("POST", "/logout", EVERYONE),
    "auth.set_language": ("POST", "/language/en", set(ROLES)),
    "auth.users": ("GET", "/users", {"bureau_admin"}),
    "auth.account": ("GET", "/users/{account}", {"bureau_admin"}),
    "auth.set_active": ("POST", "/users/{account}/active", {"bureau_admin"}),
    "auth.change_password": ("GET", "/account/password", EVERYONE),
    "assignments.user_facilities": ("GET", "/users/{account}/facilities", {"bureau_admin"}),
    "placements.mark_notifications_read": ("POST", "/notifications/read", EVERYONE),
    "facilities.home": ("GET", "/", EVERYONE),
    "facilities.index": ("GET", "/facilities", STAFF | {"other_manager"}),
    "facilities.board": ("GET", "/facilities/{facility}/board", STAFF),
    "facilities.rooms": ("GET", "/facilities/{facility}/rooms", STAFF),
    "facilities.census": ("GET", "/facilities/{facility}/census", STAFF),
    "facilities.bed": ("GET", "/beds/{bed}", STAFF),
    "facilities.admit": ("GET", "/facilities/{facility}/admit", MANAGER),
    "facilities.discharge": ("POST", "/beds/{bed}/discharge", MANAGER),
    "facilities.transfer": ("POST", "/beds/{bed}/transfer", MANAGER),
    "facilities.away": ("POST", "/beds/{bed}/away", MANAGER),
    "facilities.clean": ("POST", "/beds/{bed}/clean", MANAGER),
    "facilities.out_of_service": ("POST", "/beds/{bed}/out-of-service", MANAGER),
    "facilities.return_to_service": ("POST", "/beds/{bed}/return-to-service", MANAGER),
    "facilities.care_type": ("POST", "/beds/{bed}/care-type", MANAGER),
    "facilities.hold": ("POST", "/beds/{bed}/hold", MANAGER),
    "facilities.retire": ("POST", "/beds/{bed}/retire", MANAGER),
    "facilities.release_hold": ("POST", "/beds/{bed}/release-hold", MANAGER),
    "facilities.meals": ("GET", "/facilities/{meal_point}/meals", STAFF),
    "bed_files.import_beds": ("GET", "/facilities/{facility}/beds/import", MANAGER),
    "bed_files.confirm_import": ("POST", "/facilities/{facility}/beds/import/confirm", MANAGER),
    "bed_files.export_beds": ("GET", "/facilities/{facility}/beds/export.csv", STAFF),
    "dashboard.index": ("GET", "/dashboard", BUREAU),
    "dashboard.town": ("GET", "/dashboard/towns/{town}", BUREAU),
    "dashboard.planner": ("GET", "/dashboard/planner", BUREAU),
    "dashboard.export": ("GET", "/dashboard/towns.xlsx", BUREAU),
    "dashboard.trends": ("GET", "/dashboard/trends", BUREAU),
    "dashboard.target": ("GET", "/dashboard/target", BUREAU),
    "facilities.open_to_public": ("POST", "/beds/{bed}/open", MANAGER),
    "auth.register": ("GET", "/register", set(ROLES)),
    "placements.open_beds": ("GET", "/open-beds", set(ROLES)),
    "placements.open_home": ("GET", "/open-beds/{facility}", set(ROLES)),
    "placements.notifications": ("GET", "/notifications", EVERYONE),
    "placements.index": ("GET", "/applications", FAMILY),
    "placements.new": ("GET", "/applications/new", FAMILY),
    "placements.edit": ("GET", "/applications/{application}/edit", FAMILY),
    "placements.show": ("GET", "/applications/{application}", FAMILY | BUREAU | MANAGER),
    "placements.review": ("GET", "/review", BUREAU),
    "placements.beds_for": ("GET", "/applications/{application}/beds", BUREAU),
    "placements.weights": ("GET", "/review/weights", BUREAU),
    "placements.groups": ("POST", "/review/groups", {"bureau_admin"}),
    "placements.withdraw_offer": ("POST", "/applications/{application}/withdraw-offer", BUREAU),
    "placements.match": ("GET", "/beds/{bed}/match", BUREAU),
    "placements.assess": ("GET", "/applications/{application}/assess", BUREAU),
    "facilities.assess": ("GET", "/beds/{resident_bed}/assess", MANAGER),
    "residents.identity_cases": ("GET", "/residents/identity-cases", BUREAU),
    "residents.resolve_identity_case": ("POST", "/residents/identity-cases/{case}", BUREAU),
    "placements.reveal_id": ("POST", "/applications/{application}/reveal-id", BUREAU),
    "placements.start_review": ("POST", "/applications/{application}/review", BUREAU),
    "placements.approve": ("POST", "/applications/{application}/approve", BUREAU),
    "placements.reject": ("POST", "/applications/{application}/reject", BUREAU),
    "placements.request_info": ("POST", "/applications/{application}/request-info", BUREAU),
    "placements.offer": ("POST", "/applications/{application}/offer", BUREAU),
    "placements.submit": ("POST", "/applications/{application}/submit", FAMILY),
    "placements.accept": ("POST", "/applications/{application}/accept", FAMILY),
    "placements.decline": ("POST", "/applications/{application}/decline", FAMILY),
    "placements.admit": ("POST", "/applications/{application}/admit", BUREAU | MANAGER),
    "placements.withdraw": ("POST", "/applications/{application}/withdraw", FAMILY),
    "caregivers.roster": ("GET", "/facilities/{facility}/caregivers", STAFF),
    "caregivers.hire": ("GET", "/facilities/{facility}/caregivers/new", MANAGER),
    "caregivers.show": ("GET", "/caregivers/{caregiver}", STAFF),
    "caregivers.reveal_id": ("POST", "/caregivers/{caregiver}/reveal-id", BUREAU),
    "caregivers.update_employment": ("POST", "/caregivers/{caregiver}/employment", MANAGER),
    "caregivers.change_status": ("POST", "/caregivers/{caregiver}/status", MANAGER),
    "caregivers.pre_job": ("POST", "/caregivers/{caregiver}/pre-job", MANAGER),
    "caregivers.add_certificate": ("POST", "/caregivers/{caregiver}/certificates", MANAGER),
    "caregivers.correct_certificate": ("POST", "/certificates/{certificate}/correct", MANAGER),
    "caregivers.revoke_certificate": ("POST", "/certificates/{certificate}/revoke", MANAGER),
    "caregivers.training": ("GET", "/facilities/{facility}/training", STAFF),
    "caregivers.import_roster": ("GET", "/facilities/{facility}/caregivers/import", MANAGER),
    "caregivers.confirm_import": ("POST", "/facilities/{facility}/caregivers/import/confirm", MANAGER),
    "caregivers.export_roster": ("GET", "/facilities/{facility}/caregivers/export.xlsx", STAFF),
    "caregivers.pay_bands": ("GET", "/caregivers/pay-bands", BUREAU),
}
ROUTES.update({
    "reports.index": ("GET", "/reports", BUREAU | {"manager", "other_manager"}),
    "reports.order": ("POST", "/reports/order", BUREAU | {"manager", "other_manager"}),  # then each scope's check
    "reports.job": ("GET", "/reports/jobs/{report_job}", BUREAU | MANAGER),
    "reports.download": ("GET", "/reports/{report}/file", BUREAU | MANAGER),
})
ROUTES.update({
    "ops.healthz": ("GET", "/healthz", set(ROLES)),  # health checks: no login (tests/test_ops.py)
    "ops.readyz": ("GET", "/readyz", set(ROLES)),
})
ROUTES.update({  # the facility registry, town assistants' towns and applications' documents (issue 12)
    "registry.index": ("GET", "/registry", BUREAU),
    "registry.new": ("GET", "/registry/new", {"bureau_admin"}),
    "registry.edit": ("GET", "/registry/{facility}", {"bureau_admin"}),
    "registry.change_type": ("POST", "/registry/{facility}/type", {"bureau_admin"}),
    "registry.close": ("POST", "/registry/{facility}/close", {"bureau_admin"}),
    "assignments.user_town": ("GET", "/users/{assistant_account}/town", {"bureau_admin"}),
    "documents.attach": ("POST", "/applications/{application}/documents", FAMILY),
    "documents.show": ("GET", "/documents/{document}", FAMILY | BUREAU | MANAGER),
    "documents.remove": ("POST", "/documents/{document}/remove", FAMILY),
})
# Routes whose POST side needs its own check (GET checked above).
POSTS = {
    "facilities.admit": ("/facilities/{facility}/admit", MANAGER),
    "facilities.rooms": ("/facilities/{facility}/rooms", MANAGER),
    "auth.users": ("/users", {"bureau_admin"}),
    "auth.account": ("/users/{account}", {"bureau_admin"}),
    "auth.change_password": ("/account/password", EVERYONE),
    "assignments.user_facilities": ("/users/{account}/facilities", {"bureau_admin"}),
    "facilities.meals": ("/facilities/{meal_point}/meals", MANAGER),
    "bed_files.import_beds": ("/facilities/{facility}/beds/import", MANAGER),
    "placements.new": ("/applications/new", FAMILY),
    "placements.edit": ("/applications/{application}/edit", FAMILY),
    "placements.assess": ("/applications/{application}/assess", BUREAU),
    "facilities.assess": ("/beds/{resident_bed}/assess", MANAGER),
    "auth.register": ("/register", set(ROLES)),  # logged-in users are sent home
    "placements.weights": ("/review/weights", {"bureau_admin"}),
    "dashboard.target": ("/dashboard/target", {"bureau_admin"}),
    "caregivers.hire": ("/facilities/{facility}/caregivers/new", MANAGER),
    "caregivers.training": ("/facilities/{facility}/training", MANAGER),
    "caregivers.import_roster": ("/facilities/{facility}/caregivers/import", MANAGER),
    "caregivers.pay_bands": ("/caregivers/pay-bands", {"bureau_admin"}),
    "registry.new": ("/registry/new", {"bureau_admin"}),
    "registry.edit": ("/registry/{facility}", {"bureau_admin"}),
    "assignments.user_town": ("/users/{assistant_account}/town", {"bureau_admin"}),
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint != "static" and not rule.rule.startswith("/api/")}  # test_api_access.py
    assert endpoints == set(ROUTES)


def answer(response) -> str:
    if response.status_code in (403, 404):
        return "403"  # refused; other families' applications answer 404, so ids reveal nothing
    if response.status_code == 302 and "/login?next=" in response.headers["Location"]:
        return "login"  # Flask-Login's redirect for anonymous visitors
    assert response.status_code < 500, response.status_code
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_on_every_route(app, db, client, role, facility, town):
    other = factories.facility(town, name="别的养老院", type=FacilityType.public_home)
    meal_point = factories.facility(town, name="助餐点", type=FacilityType.meal_point)
    bed = factories.bed(facility)
    offered = factories.bed(facility, code="OFFER-1")
    resident = factories.elder(name="住户")
    resident_bed = factories.bed(facility, code="R-1")
    db.session.add(Stay(elder_id=resident.id, bed_id=resident_bed.id, start_on=date(2024, 1, 1)))
    users = {
        "bureau_admin": (Role.bureau_admin, []), "bureau_staff": (Role.bureau_staff, []),
        "manager": (Role.facility_manager, [facility, meal_point]), "other_manager": (Role.facility_manager, [other]),
        "family": (Role.family, []), "assistant": (Role.town_assistant, []),
    }
    owner = factories.user("owner", Role.family) if role != "family" else None
    me = None
    if role != "anonymous":
        kind, facilities = users[role]
        me = factories.user(role, kind, facilities=facilities, town=town if role == "assistant" else None)
    application = factories.application(owner or me, offered_bed=offered, status=Status.accepted,
                                        assistant_town_id=town.id if role == "assistant" else None)
    if me is not None:
        login(client, me)
    account = factories.user("another_manager", Role.facility_manager)  # administered on the accounts pages
    ids = {"facility": facility.id, "bed": bed.id, "meal_point": meal_point.id, "town": town.id, "account": account.id,
           "application": application.id, "resident_bed": resident_bed.id,
           "case": factories.identity_case(resident).id,
           "assistant_account": factories.user("another_assistant", Role.town_assistant, town=town).id,
           "document": factories.document(application).id}
    ids["caregiver"], ids["certificate"] = factories.caregiver_with_certificate(facility)
    ids["report"], ids["report_job"] = factories.report_and_job(facility)
    db.session.commit()  # a refused request rolls back: what the routes need must be committed first
    wrong = []
    checks = [(endpoint, method, url, allowed) for endpoint, (method, url, allowed) in ROUTES.items()]
    checks += [(endpoint, "POST", url, allowed) for endpoint, (url, allowed) in POSTS.items()]
    for endpoint, method, url, allowed in checks:
        if endpoint == "auth.logout":
            continue  # checked last: it ends the session
        expected = "allowed" if role in allowed else ("login" if role == "anonymous" else "403")
        url = url.format(**ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client)})
        got = answer(response)
        if got != expected:
            wrong.append(f"{method} {url}: expected {expected}, got {got} ({response.status_code})")
    assert wrong == []
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert answer(response) == ("login" if role == "anonymous" else "allowed")
