"""Backups: one .tar.gz holding a consistent copy of the database and the app's file folders
(the reports archive and the applications' documents).

`flask --app wsgi backup create [--out FILE]` and `flask --app wsgi backup restore FILE`.

- SQLite: the online backup API copies the database page by page while the app keeps running
  (a consistent snapshot, WAL included).
- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot of every table, sequences
  included), restored with `pg_restore`. Both must be of the server's major version.
- The folders (REPORTS_DIR, DOCUMENTS_DIR) are copied after the database: a report or document
  recorded in the copy always has its file in the copy (a file without a record is harmless).

A restore goes into an empty database only (no tables at all: a new `createdb` or a new
SQLite file) and empty or missing folders; anything else is refused and left untouched.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from eldercare import cache

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
POSTGRES_MEMBER = "database.pgdump"
FOLDERS = {"reports": "REPORTS_DIR", "documents": "DOCUMENTS_DIR"}  # member in the archive: app setting


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


def _kind(url) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"no backup method for {backend} databases")
    return backend


def _sqlite_path(url) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def _libpq(url) -> tuple[str, dict]:
    """A libpq connection URI without the password, and the environment carrying it (so it
    never shows in the process list)."""
    url = make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _tables(url) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def folders_of(config) -> dict[str, Path]:
    """The app's file folders by their name in the archive."""
    return {member: Path(config[key]) for member, key in FOLDERS.items() if config.get(key)}


def create(url, folders: dict, out: Path) -> Path:
    """Write the backup of the database at `url` and of `folders` ({name in the archive: path})
    to `out` (made via a temporary file and a rename, so `out` is either whole or absent)."""
    kind = _kind(url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eldercare-backup-") as work:
        work = Path(work)
        if kind == "sqlite":
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"no SQLite database at {source}")
            member = SQLITE_MEMBER
            with sqlite3.connect(source) as src, sqlite3.connect(work / member) as dest:
                src.backup(dest)
            src.close()
            dest.close()
        else:
            member = POSTGRES_MEMBER
            uri, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(work / member),
                  uri], env)
        manifest = {"format": FORMAT, "database": kind, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database_file": member}
        (work / MANIFEST).write_text(json.dumps(manifest))
        partial = out.with_name(f".{out.name}.partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / MANIFEST, MANIFEST)
            archive.add(work / member, member)
            for member, folder in folders.items():
                if Path(folder).is_dir():
                    archive.add(folder, member)
        os.replace(partial, out)
    return out


def _safe_members(archive: tarfile.TarFile):
    """Regular files and folders with relative paths inside the archive only."""
    for member in archive.getmembers():
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"unexpected member in the backup: {member.name}")
    return archive.getmembers()


def restore(path: Path, url, folders: dict) -> dict:
    """Restore the backup at `path` into the empty database at `url` and the empty `folders`."""
    kind = _kind(url)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if kind == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and _tables(url):
            raise BackupError("the database is not empty: restore into a new database (a new SQLite file)")
    elif _tables(url):
        raise BackupError("the database is not empty: restore into a new database (createdb)")
    for folder in map(Path, folders.values()):
        if folder.is_dir() and any(folder.iterdir()):
            raise BackupError(f"the folder {folder} is not empty")
    with tempfile.TemporaryDirectory(prefix="eldercare-restore-") as work, tarfile.open(path, "r:gz") as archive:
        work = Path(work)
        archive.extractall(work, members=_safe_members(archive), filter="data")
        try:
            manifest = json.loads((work / MANIFEST).read_text())
        except (OSError, ValueError) as error:
            raise BackupError("not an eldercare backup (no manifest)") from error
        if manifest.get("format") != FORMAT or manifest.get("database") != kind:
            raise BackupError(f"this backup holds a {manifest.get('database')} database; the target is {kind}")
        member = work / manifest["database_file"]
        if kind == "sqlite":
            target.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(member) as src, sqlite3.connect(target) as dest:
                src.backup(dest)
            src.close()
            dest.close()
        else:
            uri, env = _libpq(url)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  "--dbname", uri, str(member)], env)
        for member, folder in folders.items():
            if (work / member).is_dir():
                Path(folder).mkdir(parents=True, exist_ok=True)
                shutil.copytree(work / member, folder, dirs_exist_ok=True)
    engine = create_engine(url)
    with engine.begin() as connection:
        cache.start_timeline(connection)  # pages kept in Redis for the copy that went on are never served
    engine.dispose()
    return manifest


@click.group("backup")
def backup_group():
    """Back up the database, the reports archive and the documents, or restore them."""


@backup_group.command("create")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write (default: instance/backups/eldercare-<UTC time>.tar.gz)")
@with_appcontext
def create_command(out):
    """Write a consistent backup while the app keeps running."""
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = Path(current_app.instance_path) / "backups" / f"eldercare-{stamp}.tar.gz"
    try:
        written = create(current_app.config["SQLALCHEMY_DATABASE_URI"], folders_of(current_app.config), out)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written: {written} ({written.stat().st_size:,} bytes)")


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file):
    """Restore FILE into this (empty) database and (empty) reports and documents folders."""
    try:
        manifest = restore(file, current_app.config["SQLALCHEMY_DATABASE_URI"], folders_of(current_app.config))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored the backup of {manifest['created_at']}.")
