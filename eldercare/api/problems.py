"""Errors of the API as RFC 9457 problem details (application/problem+json).

Every error under /api/ leaves here: refused domain actions (their DomainError.status), bad
input with each field's error listed, and the HTTP errors of Flask itself (404, 405, 413,
429, 500), so a client never gets an HTML page or a stack trace.
"""

from http import HTTPStatus

from flask import jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"


class FieldErrorSchema(Schema):
    location = fields.String(required=True, metadata={"description": "json, query or path"})
    field = fields.String(required=True, metadata={"description": "dotted path of the field; empty for the whole body"})
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    existing_id = fields.Integer(metadata={"description": "409 on a registered ID number: the elder's id, "
                                                          "when the caller may see that elder"})
    rows = fields.List(fields.Dict(), metadata={"description": "an import with errors: every row with its errors"})


def problem(status: int, detail=None, *, errors=None, headers=None, **members):
    """A problem+json response; `detail` may be a lazy (translated) string."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    body.update(members)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    response.headers.extend(headers or {})
    return response


def field_errors(messages, location="json", prefix="") -> list[dict]:
    """webargs/marshmallow messages ({"name": ["..."], "nested": {"0": [...]}}) as a flat list."""
    if isinstance(messages, list | tuple):
        return [{"location": location, "field": prefix, "detail": str(m)} for m in messages]
    result = []
    for key, value in messages.items():
        name = "" if key == "_schema" else str(key)
        result += field_errors(value, location, f"{prefix}.{name}" if prefix and name else prefix or name)
    return result


def from_http_exception(error: HTTPException):
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = []
    for location, messages in (data.get("messages") or {}).items():
        errors += field_errors(messages, location)
    headers = {key: value for key, value in error.get_headers() if key.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="eldercare"'
    if code >= 500:
        detail = "Something went wrong on our side. Nothing was saved; please try again."
    elif errors:
        detail = "The request has errors in these fields." if code == 422 else "The request body is not valid JSON."
    else:
        detail = data.get("message") or error.description
    return problem(code, detail, errors=errors, headers=headers)
