"""Units of work that write, and SQLite as the embedded default.

A unit of work that writes says so: `with writing():` or `@writes`. On SQLite only
such a unit takes the write lock, up front (`BEGIN IMMEDIATE`: upgrading a read
transaction later fails at once if another writer committed in between), and holds it
for the unit alone: the unit commits when it ends, before the response is built, and
work that needs no database (decoding an image, writing a file) stays outside it.
Every other transaction is a plain read. PostgreSQL runs the same code; its row locks
are taken by the statements themselves.

Every wait is bounded by DB_WAIT_SECONDS: the turn to write (below), SQLite's busy
timeout, PostgreSQL's lock_timeout, the pool's timeout. Running out raises
OperationalError or SQLAlchemy's TimeoutError, which core.errors answers with 503 `busy`
and Retry-After."""
import sqlite3
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.extensions import db

_writing: ContextVar[bool] = ContextVar("writing", default=False)

# SQLite lets one writer in at a time and makes the others poll for the lock with
# growing sleeps (1 ms, 2 ms, 5 ms … 100 ms), so a waiter often sleeps long past the
# moment it came free (measured: 8 threads answering got 3 % of hello's rate, the
# workers idle). The threads of one process take turns here instead, each woken the
# moment the previous unit ends; only the processes meet at SQLite's lock.
_sqlite_writers = threading.Lock()


@contextmanager
def writing():
    """Run the block as one write transaction of the app's session, committed at its
    end and rolled back if it raises. Nested units are part of the outer one."""
    if _writing.get():
        yield
        return
    session = db.session()
    if session.in_transaction():
        # End a read first: on SQLite its snapshot could not become a write.
        session.commit()
    queued = session.get_bind().dialect.name == "sqlite"
    if queued and not _sqlite_writers.acquire(timeout=current_app.config["DB_WAIT_SECONDS"]):
        raise PoolTimeout("no turn to write on SQLite within DB_WAIT_SECONDS")
    token = _writing.set(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)
        if queued:
            _sqlite_writers.release()


def in_unit() -> bool:
    """Whether the caller runs inside a unit of work that writes."""
    return _writing.get()


def writes(function):
    """Decorate a domain function that writes: it runs as one unit (see `writing`)."""

    @wraps(function)
    def unit(*args, **kwargs):
        with writing():
            return function(*args, **kwargs)

    return unit


def engine_options(uri: str, wait_seconds: float) -> dict:
    """Bounded waits: for SQLite's write lock (the driver's busy timeout), a row lock
    on PostgreSQL (lock_timeout), a connection from the pool."""
    if uri.startswith("sqlite"):
        if uri in ("sqlite://", "sqlite:///:memory:"):
            return {"connect_args": {"timeout": wait_seconds}}  # one connection, no pool
        return {"connect_args": {"timeout": wait_seconds}, "pool_timeout": wait_seconds}
    return {"connect_args": {"options": f"-c lock_timeout={int(wait_seconds * 1000)}"}, "pool_timeout": wait_seconds}


_installed = False


def install(app) -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _sqlite_pragmas)
        event.listen(Engine, "begin", _sqlite_begin)
        _installed = True
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first.
    app.teardown_appcontext(_end_read)


def _end_read(error) -> None:
    """End what a request left open, which is a read (every write ran in a unit that
    has ended), with COMMIT rather than the ROLLBACK closing the session would send:
    psycopg answers a ROLLBACK by dropping the connection's prepared statements
    (DEALLOCATE ALL, one more round trip), so the next requests would plan theirs again."""
    session = db.session()
    if error is None and session.in_transaction() and not _writing.get():
        try:
            session.commit()
        except DBAPIError:
            session.rollback()


def _sqlite_pragmas(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # WAL lets readers run beside the writer; the driver's own transaction handling
    # is replaced by _sqlite_begin.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Pages read through a memory map: a connection whose cache another connection's
    # commit invalidated re-reads its pages from the OS page cache almost for free.
    cur.execute("PRAGMA mmap_size=268435456")
    # Statement journals (savepoints, upserts) in memory, not in a temp file each.
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        statement = "BEGIN IMMEDIATE" if _writing.get() else "BEGIN"
        try:
            conn.connection.driver_connection.execute(statement)
        except sqlite3.Error as exc:  # the busy timeout ran out: as SQLAlchemy's own errors, for core.errors
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
