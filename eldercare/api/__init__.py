"""The JSON API under /api/v1: one blueprint over the same policy and services as the pages.

A route parses JSON with a marshmallow schema (flask-smorest, which also writes the OpenAPI
document from the same code, at /api/v1/openapi.json), asks eldercare/auth/policy.py exactly as
the page does, calls the same service and commits once (form_actions.run_json); errors are
problem+json (problems.py). Callers present a bearer token (POST /api/v1/tokens); the API reads
no session cookie and sets none (access.py).
"""

import flask_smorest

from eldercare.api import problems
from eldercare.api.access import PagesOnlySessions, is_api_request, user_from_bearer
from eldercare.api.blueprint import bp
from eldercare.models import MAX_ID
from eldercare.routing import IdConverter

SPEC = {
    "API_TITLE": "Eldercare beds API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Beds, figures and placements of the Rugao civil-affairs bureau's eldercare "
                                "system. Get a token with POST /api/v1/tokens and send it as "
                                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    },
}


class Api(flask_smorest.Api):
    """flask-smorest's Api with problem+json errors, for API requests only."""

    ERROR_SCHEMA = problems.ProblemSchema

    def handle_http_exception(self, error):
        if is_api_request():
            return problems.from_http_exception(error)
        return error  # pages keep Flask's own answer for codes they have no handler for

    def _register_responses(self):
        # flask-smorest documents error responses as application/json; ours are problem+json.
        super()._register_responses()
        for response in self.spec.components.responses_lazy.values():
            if "content" in response:
                response["content"] = {problems.MEDIA_TYPE: response["content"][self.DEFAULT_RESPONSE_CONTENT_TYPE]}


def init_app(app) -> None:
    from eldercare.api import applications, bed_files, docs, elders, facilities, stats, stays, tokens  # noqa: F401
    from eldercare.extensions import csrf, login_manager

    for key, value in SPEC.items():
        app.config.setdefault(key, value)
    api = Api(app)
    # <int:> ids are bounded app-wide (eldercare/routing.py); the document says so.
    api.register_converter(IdConverter, lambda _converter: {"type": "integer", "minimum": 0, "maximum": MAX_ID})
    api.register_blueprint(bp)
    # Cookies are ignored under /api/, so no request there can ride a browser's session.
    csrf.exempt(bp)
    app.session_interface = PagesOnlySessions(app.session_interface)
    login_manager.request_loader(user_from_bearer)


def problem_for(error):
    """The app's error handlers answer API requests with this (see register_errorhandlers)."""
    return problems.from_http_exception(error)
