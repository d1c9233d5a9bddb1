"""`flask backup create DIR`: a consistent snapshot of the database, the uploads and
their manifest."""
import os
import shutil
import sqlite3
import subprocess

from flask import current_app
from sqlalchemy import text

from backup import BackupError, database, manifest
from core.extensions import db
from core.timeutil import to_local, utcnow

DUMP = "database.dump"  # PostgreSQL, pg_dump's custom format (for pg_restore)
SQLITE = "database.sqlite3"


def create(directory: str) -> dict:
    """Write a backup into `directory` (new, or empty) and return its manifest; on
    failure leave nothing behind, since a half-written backup must not pass for one."""
    made = _claim(directory)
    try:
        return _write(directory)
    except BaseException:
        if made:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for name in os.listdir(directory):
                path = os.path.join(directory, name)
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.remove(path)
        raise


def _claim(directory: str) -> bool:
    """Refuse a directory that holds anything; create a missing one; either way readable by
    this user only (it holds everyone's personal data). Returns whether it was created."""
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise BackupError(f"{directory} 不是目录。")
        if os.listdir(directory):
            raise BackupError(f"{directory} 不是空目录：备份只写入新目录或空目录，不会覆盖或混入已有文件。")
        os.chmod(directory, 0o700)  # an empty directory made beforehand is usually readable by all
        return False
    os.makedirs(directory, mode=0o700)
    return True


def _write(directory: str) -> dict:
    created = utcnow()
    engine = db.engine
    kind = database.kind(engine)
    if kind == "postgresql":
        name, version, facts = DUMP, *_pg_dump(engine, os.path.join(directory, DUMP))
    else:
        name, version, facts = SQLITE, *_sqlite_copy(engine, os.path.join(directory, SQLITE))
    files = [manifest.entry(name, *manifest.hash_file(os.path.join(directory, name)))]
    # The uploads after the database: a photo's file is written before the row naming
    # it commits, so every file the snapshot's rows name is there to copy.
    uploads = _copy_uploads(current_app.config["UPLOAD_DIR"], directory)
    files += uploads
    made = {
        "format": manifest.FORMAT,
        "created_at": created.isoformat(timespec="seconds") + "Z",
        "created_at_beijing": to_local(created).isoformat(timespec="seconds"),
        "schema_revision": facts["schema_revision"],
        "database": {"kind": kind, "server_version": version, "file": name},
        "tables": facts["tables"],
        "points": facts["points"],
        "uploads": {"count": len(uploads), "bytes": sum(f["size"] for f in uploads)},
        "files": files,
    }
    manifest.write(directory, made)  # last: a directory without it is no backup
    return made


def _pg_dump(engine, target: str) -> tuple[str, dict]:
    """pg_dump reads the snapshot exported by a read-only repeatable-read transaction,
    whose own queries count the rows: the manifest describes exactly what was dumped,
    however busy the app servers are meanwhile."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            facts = database.facts(conn)
            version = database.server_version(conn)
            address, env = database.libpq_address(engine.url)
            done = subprocess.run(
                [database.pg_tool(conn, "pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={target}",
                 f"--dbname={address}"],
                env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()}")
    return version, facts


def _sqlite_copy(engine, target: str) -> tuple[str, dict]:
    """SQLite's online backup API, run inside the read transaction that counts the rows
    (WAL: writers carry on, and neither sees their commits)."""
    with engine.connect() as conn, conn.begin():
        facts = database.facts(conn)
        copy = sqlite3.connect(target)
        try:
            conn.connection.driver_connection.backup(copy)
        finally:
            copy.close()
        return database.server_version(conn), facts


def _copy_uploads(upload_dir: str, directory: str) -> list[dict]:
    """Every regular file under UPLOAD_DIR, copied to uploads/ and hashed on the way."""
    files = []
    if not os.path.isdir(upload_dir):
        return files
    for root, dirs, names in os.walk(upload_dir):
        dirs.sort()
        for name in sorted(names):
            source = os.path.join(root, name)
            if not os.path.isfile(source) or os.path.islink(source):
                continue
            relative = os.path.relpath(source, upload_dir).replace(os.sep, "/")
            target = os.path.join(directory, manifest.UPLOADS, *relative.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                files.append(manifest.entry(f"{manifest.UPLOADS}/{relative}", *manifest.copy_hashed(source, target)))
            except FileNotFoundError:  # a temp file that went between the listing and the copy
                continue
    return files
