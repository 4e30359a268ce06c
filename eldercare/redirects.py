"""Where a page may send the browser next: only a path on this site.

Every `next`, `back` or return parameter goes through `safe_path`. Browsers forgive a lot in a
Location header (they drop tabs and newlines, read a backslash as a slash, and take `//host` as
another site), so anything that could be read as another host is refused, before and after
percent-decoding, and so is anything with a control or space character in it.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import redirect, url_for


def _looks_like_another_site(path: str) -> bool:
    if not path.startswith("/") or path.startswith(("//", "/\\")) or "\\" in path:
        return True
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in path):
        return True
    parts = urlsplit(path)
    return bool(parts.scheme or parts.netloc)


def safe_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (with its query), else None."""
    if not target or len(target) > 2000:
        return None
    decoded = target
    for _ in range(3):  # /%252F/evil.example decodes twice to //evil.example
        if _looks_like_another_site(decoded):
            return None
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            return target
    return None


def redirect_back(target: str | None, default_endpoint: str = "facilities.home", **values):
    """Redirect to `target` when it is safe, else to `default_endpoint`."""
    return redirect(safe_path(target) or url_for(default_endpoint, **values))
