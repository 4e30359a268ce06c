"""The one blueprint of the API; the resource modules add their routes to it."""

from functools import cache

from flask import abort, current_app, request
from flask_smorest import Blueprint
from flask_smorest import abort as abort_with


def N_(text: str) -> str:
    """Marks an operation's summary for the catalogs: the OpenAPI document keeps the English,
    the docs page shows it in the reader's language."""
    return text


bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Eldercare beds API, version 1")


@bp.before_request
def limit_body():
    """Bodies over API_MAX_BODY_BYTES get 413, whether announced or found while reading."""
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > request.max_content_length:
        abort(413)


# Read by every route (eldercare.select_locale): the language of the messages.
COMMON_QUERY_FIELDS = frozenset({"lang"})


@cache
def _query_fields(view) -> frozenset[str]:
    """The query fields a route's schemas declare (flask-smorest keeps them on the view)."""
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return COMMON_QUERY_FIELDS | {field.data_key or name for p in parameters if p["in"] == "query"
                                  for name, field in p["schema"]().fields.items()}


@bp.before_request
def refuse_unknown_query_fields():
    """A misspelt query field (?twon=) is refused with 422, as a misspelt body field is, instead
    of answering as if it had not been asked."""
    unknown = sorted(set(request.args) - _query_fields(current_app.view_functions[request.endpoint]))
    if unknown:
        abort_with(422, messages={"query": {name: ["Unknown field."] for name in unknown}})
