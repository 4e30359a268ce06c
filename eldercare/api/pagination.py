"""Lists in pages: `limit` items after an opaque `cursor`, in a stable order (by id), with the
link to the next page (`next`, null on the last page)."""

import base64
import binascii

from flask import request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates

from eldercare.extensions import db
from eldercare.models import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationError("Not a cursor from this API.") from error


class PageArgs(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64),
                           metadata={"description": "the `next_cursor` of the previous page"})

    @validates("cursor")
    def _cursor(self, value, **_kwargs):
        if value is not None:
            decode(value)


def page_schema(item_schema, name: str):
    """The schema of one page of `item_schema` items."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
        "next": fields.String(allow_none=True, required=True, metadata={"description": "URL of the next page"}),
    }, name=name)


def _page(page: list, more: bool, key: str) -> dict:
    cursor = encode(page[-1][key]) if more else None
    next_url = None
    if more:
        query = {name: value for name, value in request.args.items() if name != "cursor"}
        next_url = url_for(request.endpoint, **request.view_args, **query, cursor=cursor, _external=True)
    return {"items": page, "next_cursor": cursor, "next": next_url}


def paginate(items: list[dict], args: dict, key: str = "id") -> dict:
    """One page of `items` (dicts with an id under `key`), sorted by id, after args["cursor"]."""
    after = decode(args["cursor"]) if args.get("cursor") else 0
    rest = sorted((item for item in items if item[key] > after), key=lambda item: item[key])
    page = rest[: args["limit"]]
    return _page(page, len(rest) > len(page), key)


def paginate_query(query, id_column, args: dict) -> dict:
    """One page of the rows of `query` (a SELECT with `id_column` among its columns, as "id"),
    by id after args["cursor"]: only the page's rows are read (one more to know if there is a next)."""
    after = decode(args["cursor"]) if args.get("cursor") else 0
    rows = db.session.execute(query.where(id_column > after).order_by(id_column).limit(args["limit"] + 1)).all()
    page = [row._asdict() for row in rows[: args["limit"]]]
    return _page(page, len(rows) > len(page), "id")
