"""HTML to PDF with WeasyPrint, fetching nothing but the application's own static files.

A report's HTML is rendered from the application's data, and names in it (a facility, a town)
are typed by people; the URL fetcher therefore refuses every address except files under the
static folder, so a template (or anything that slipped into one) can never make the server
read another file or reach the network.
"""

import gc
import logging
import mimetypes
import shutil
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

# The Chinese typeface reports are set in: Debian's fonts-noto-cjk.
CJK_FONT = "Noto Sans CJK SC"
STATIC_SCHEME = "static:"


class FetchRefused(ValueError):
    pass


def static_fetcher(static_dir: Path):
    """A WeasyPrint URL fetcher that serves `static:NAME` from `static_dir`, inline `data:`
    URLs, and refuses everything else (WeasyPrint then leaves the resource out and logs it)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_dir).resolve()

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)  # inline, no I/O
            if not url.startswith(STATIC_SCHEME):
                raise FetchRefused(f"Reports may load only the application's static files, not {url!r}")
            target = (root / unquote(urlparse(url).path).lstrip("/")).resolve()
            if not target.is_relative_to(root) or not target.is_file():
                raise FetchRefused(f"No such static file: {url!r}")
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": mime})

    return StaticFilesOnly(allowed_protocols=("data",))


# The font files found, asked of fontconfig once per process (fc-match takes tens of milliseconds,
# a few percent of a report); a missing font is asked again, and warned about, every time.
_found: dict[str, str] = {}


def installed_font(family: str = CJK_FONT) -> str | None:
    """The file fontconfig would use for `family`, or None (with a warning) when it is missing."""
    if family in _found:
        return _found[family]
    fc_match = shutil.which("fc-match")
    found = None
    if fc_match:
        result = subprocess.run([fc_match, "--format=%{family}\n%{file}", family], capture_output=True, text=True)
        names, _, path = result.stdout.partition("\n")
        if family in names.split(","):
            found = path
    if found is None:
        log.warning("The font %s is not installed (Debian package fonts-noto-cjk): Chinese text in PDF "
                    "reports will be set in a fallback font or missing.", family)
    else:
        _found[family] = found
    return found


_fonts = threading.local()


def font_config():
    """This thread's fontconfig configuration and Pango font map, kept for its next reports: WeasyPrint
    otherwise makes a new one for each document, loading fontconfig's configuration and opening the
    font files again (about 0.03 CPU-s of a --scale 1 city report). One per thread, as a Pango font
    map is not to be shared between threads; the same PDF either way."""
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


_freezes = threading.local()


@contextmanager
def objects_left_out():
    """Leave the process's objects out of the garbage collector's walks for the block (gc.freeze) and
    bring them back at its end (gc.unfreeze), once for nested blocks (a report's making, its PDF).
    When something else froze them already (an app server's worker freezes what starting made,
    wsgi.py), nothing is frozen or thawed: they stay out of the walks after a report too, and what
    the worker made since is not kept frozen for good."""
    depth = getattr(_freezes, "depth", 0)
    if depth == 0 and gc.get_freeze_count():
        yield
        return
    gc.freeze()
    _freezes.depth = depth + 1
    try:
        yield
    finally:
        _freezes.depth = depth
        if depth == 0:
            gc.unfreeze()


def render(html: str, static_dir: Path, *, progress=None) -> tuple[bytes, int]:
    """The PDF of `html` and its number of pages."""
    from weasyprint import HTML

    # Layout allocates millions of objects, and each time that sets off a full collection the
    # collector walked every object of the process too (the application's, the locale data, the
    # ORM's): a quarter to a third of WeasyPrint's time for the city's report at --scale 10.
    # Frozen, those are left out of the collections until the PDF is written; the laid-out
    # document, a web of reference cycles (about 190,000 objects), is then collected here, so its
    # memory comes back at once and its collection does not fall on whatever runs next (a page,
    # another report). Another thread's unfreeze only brings back the usual collections.
    with objects_left_out():
        document = HTML(string=html, base_url=STATIC_SCHEME,
                        url_fetcher=static_fetcher(static_dir)).render(font_config=font_config())
        if progress:
            progress()
        content, pages = document.write_pdf(), len(document.pages)
        del document
        gc.collect()
    return content, pages
