"""The compiled translation catalogs (.mo) are made from the .po files wherever the app starts,
so an install that skipped `pybabel compile` still shows the Chinese interface."""

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_if_stale(app) -> None:
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            partial = mo_path.with_name(f"messages.mo.{os.getpid()}")
            with partial.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=True)
            partial.replace(mo_path)  # atomic: another worker starting at once reads a whole file
        except OSError as error:
            app.logger.warning("Could not compile %s (%s): pages may show English only.", po_path, error)
