"""The app's Jinja environment: Flask's, with a cheaper `row.key` for the plain dicts the reads return.

Jinja resolves `row.key` as an attribute first and as an item only after the AttributeError, so
every cell of a table of dicts (a board's 240 tiles, the dashboard's tables) paid for a raised
and caught exception. For a plain dict and a name that is no dict attribute the attribute lookup
can only fail, so the item is read first: the same result, without the exception.
"""

from flask.templating import Environment

_DICT_ATTRIBUTES = frozenset(dir(dict))


class PlainDataEnvironment(Environment):
    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)
