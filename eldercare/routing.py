"""URL converters registered for the whole app.

`<int:...>` accepts only ids a database column can hold (eldercare.models.MAX_ID): a larger
number in a URL would make the query itself fail (a 500) instead of answering 404 like any other
id that does not exist.
"""

from flask import abort, request, url_for
from werkzeug.routing import IntegerConverter

from eldercare.models import MAX_ID, possible_id

PER_PAGE = 50  # rows of a long list on one page: facilities, homes with open beds, applications


class IdConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_converters(app) -> None:
    """Call before any blueprint is registered: rules are compiled with the converters of the time."""
    app.url_map.converters["int"] = IdConverter


def id_asked(name: str) -> int | None:
    """The id a query argument names (`?town=3`), None without a number; 404 for a number no row can
    have (0, negative, past MAX_ID), as `<int:...>` in a path answers, instead of a failed query."""
    value = request.args.get(name, type=int)
    if value is not None and not possible_id(value):
        abort(404)
    return value


def page_asked(count: int) -> tuple[int, int]:
    """The page of a list of `count` rows that ?page= asks for, kept within the list (a page past the
    end shows the last; anything but a number, the first), and how many pages of PER_PAGE it takes."""
    pages = max(1, -(-count // PER_PAGE))
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


def page_rows(rows: list, page: int) -> list:
    return rows[(page - 1) * PER_PAGE:page * PER_PAGE]


def link_pattern(endpoint: str, id_field: str, **values) -> str:
    """`url_for(endpoint, **{id_field: ...}, **values)` once, as a pattern with `{}` where the id
    goes (`pattern.format(bed_id)`), for a page linking hundreds of rows to one endpoint: url_for
    costs about 10 µs a link. The id is a path segment, so the first MAX_ID is the one replaced."""
    return url_for(endpoint, **{id_field: MAX_ID}, **values).replace(str(MAX_ID), "{}", 1)
