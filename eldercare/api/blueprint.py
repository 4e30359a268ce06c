"""The one blueprint of the API; the resource modules add their routes to it."""

from flask import abort, current_app, request
from flask_smorest import Blueprint


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
