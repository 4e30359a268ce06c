"""URL converters registered for the whole app.

`<int:...>` accepts only ids a database column can hold: PostgreSQL's integer ends at 2^31 - 1
(SQLite's at 2^63 - 1), and a larger number in a URL would make the query itself fail (a 500)
instead of answering 404 like any other id that does not exist.
"""

from flask import url_for
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_converters(app) -> None:
    """Call before any blueprint is registered: rules are compiled with the converters of the time."""
    app.url_map.converters["int"] = IdConverter


def link_pattern(endpoint: str, id_field: str, **values) -> str:
    """`url_for(endpoint, **{id_field: ...}, **values)` once, as a pattern with `{}` where the id
    goes (`pattern.format(bed_id)`), for a page linking hundreds of rows to one endpoint: url_for
    costs about 10 µs a link. The id is a path segment, so the first MAX_ID is the one replaced."""
    return url_for(endpoint, **{id_field: MAX_ID}, **values).replace(str(MAX_ID), "{}", 1)
