"""The archive of generated reports: files under REPORTS_DIR, a record for each.

A file is written under a temporary name and renamed into place, so a process killed halfway
leaves no half file under a real name; a temporary file it leaves is removed by a later write
once it is older than REPORT_STALLED_AFTER and no live process holds it. A record keeps its
size and SHA-256; a file missing or no longer matching shows as damaged and is not served.
Regenerating a report adds a version and marks the earlier one superseded, keeping its file.
"""

import fcntl
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from eldercare.extensions import db
from eldercare.models import utcnow
from eldercare.reports.models import Report, ReportKind, Source

log = logging.getLogger(__name__)

OK, MISSING, DAMAGED = "ok", "missing", "damaged"
TEMPORARY = ".writing-"  # the name's start of a file being written


def root() -> Path:
    return Path(current_app.config["REPORTS_DIR"])


def file_name(kind, scope_key, period, language, version) -> str:
    return f"{period}/{kind}-{scope_key}-{language}-v{version}.pdf"


def _write(relative: str, content: bytes) -> None:
    target = root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMPORARY, suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # until it is renamed: this file is being written
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
            os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def remove_leftovers() -> int:
    """Remove the temporary files that processes killed between writing and renaming left: those
    older than REPORT_STALLED_AFTER seconds that no process holds (a writer holds an flock on its
    file until it is renamed, and the kernel drops it with a killed process). Returns how many."""
    old = time.time() - current_app.config["REPORT_STALLED_AFTER"]
    removed = 0
    for path in root().glob(f"*/{TEMPORARY}*"):
        try:
            with path.open("rb") as leftover:
                if os.fstat(leftover.fileno()).st_mtime > old:
                    continue
                try:
                    fcntl.flock(leftover, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # still being written by a live process
                path.unlink()
        except FileNotFoundError:
            continue  # renamed into place, or removed by another process, meanwhile
        log.warning("Removed %s, a report's temporary file left by a process killed while writing it", path.name)
        removed += 1
    return removed


def store(content: bytes, *, kind: ReportKind, scope, period: str, language: str, pages: int, source: Source,
          made_by=None) -> Report:
    """Write the file and record it as the current version (flushed; the caller commits)."""
    remove_leftovers()
    for _attempt in range(3):
        latest = db.session.scalar(select(func.max(Report.version)).where(
            Report.kind == kind, Report.scope == scope.key, Report.period == period, Report.language == language))
        version = (latest or 0) + 1
        relative = file_name(kind.value, scope.key, period, language, version)
        report = Report(kind=kind, scope=scope.key, town_id=scope.town_id, facility_id=scope.facility_id,
                        period=period, language=language, version=version, source=source,
                        made_by_id=made_by.id if made_by is not None else None, path=relative,
                        size=len(content), sha256=hashlib.sha256(content).hexdigest(), pages=pages)
        try:
            with db.session.begin_nested():
                db.session.add(report)
                db.session.flush()
        except IntegrityError:
            continue  # another process took this version number at the same moment: take the next
        _write(relative, content)  # only once the version is ours, so no one else's file is overwritten
        db.session.execute(update(Report).where(
            Report.kind == kind, Report.scope == scope.key, Report.period == period, Report.language == language,
            Report.version < version, Report.superseded_at.is_(None)).values(superseded_at=utcnow()))
        return report
    raise RuntimeError("Could not number the report's version")


def status(report: Report) -> str:
    """ok, missing, or damaged (the file's SHA-256 no longer matches the record)."""
    path = root() / report.path
    if not path.is_file():
        return MISSING
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return OK if digest.hexdigest() == report.sha256 else DAMAGED


def path_of(report: Report) -> Path:
    return root() / report.path
