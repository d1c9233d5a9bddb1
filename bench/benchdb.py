"""Preparing a benchmark database, shared by bench/prepare.py, bench/exam_prepare.py
and bench/checkin_prepare.py.

    t0 = benchdb.start(url)              # environment for the app, then an empty database
    app = create_app()
    with app.app_context():
        shipped = benchdb.create_schema(db, bank=True)   # Alembic schema (+ shipped bank)
        ...                                              # the benchmark's own rows
        benchdb.finish(db)               # VACUUM ANALYZE on PostgreSQL, no connection left
    benchdb.write_json(path, out)

The app's modules are imported inside the functions, so that the caller can put the
repository root on sys.path first."""
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def recreate_database(url: str) -> None:
    """PostgreSQL: drop the database named in the URL (if it exists) and create it again;
    its name must contain "bench" (the test suite's `test` database is refused).
    SQLite: delete the file (and its -wal, -shm, -journal) and create its directory."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    if not url.startswith(("postgresql://", "postgres://")):
        raise SystemExit(f"unsupported database URL: {url}")
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name or name == "test":
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start(url: str) -> float:
    """Point the app at `url` (DATABASE_URL; RATELIMIT_ENABLED=0 unless set), require
    SECRET_KEY, and recreate the database. Returns the start time (time.monotonic())."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    if not os.environ.get("SECRET_KEY"):
        raise SystemExit("set SECRET_KEY (the server must use the same one)")
    t0 = time.monotonic()
    recreate_database(url)
    return t0


def fast_commits(db) -> None:
    """Only this script's connections: start_quiz commits once per quiz, and waiting
    for a WAL flush on each would make preparing slow. The server's connections keep
    the database's settings."""
    if db.engine.dialect.name != "postgresql":
        return
    from sqlalchemy import event

    @event.listens_for(db.engine, "connect")
    def _no_sync_commit(dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute("SET synchronous_commit TO off")
        dbapi_connection.commit()


def create_schema(db, bank: bool) -> dict | None:
    """In an app context: fast commits for this process, the schema by Alembic
    (= FLASK_APP=wsgi.py flask db upgrade) and, with `bank`, the shipped question bank
    (quiz_bank.loader.load_bank; not committed). Returns load_bank's counts, or None."""
    from flask_migrate import upgrade

    fast_commits(db)
    upgrade()
    if not bank:
        return None
    from quiz_bank.loader import load_bank

    return load_bank()


def finish(db) -> None:
    """In an app context, once everything is committed: on PostgreSQL, statistics and
    visibility map as autovacuum would leave them, so that autovacuum does not start on
    these fresh tables during the run; then no connection is left open."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    db.engine.dispose()


def write_json(path: str, data) -> Path:
    """`data` as JSON (UTF-8, not ASCII-escaped) to `path`, creating its directory."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out
