"""Small portable SQL helpers for the statements SQLite and PostgreSQL spell differently,
and for the hot paths, which run ready-compiled SQL text."""
import json
import sqlite3
import threading
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.exc import DBAPIError

from core import sqlite_writer
from core.extensions import db

_DIALECTS = {"sqlite": lambda: pysqlite.dialect(paramstyle="named"), "postgresql": psycopg.dialect}


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(table, dialect: str | None = None):
    """INSERT that supports on_conflict_do_nothing/do_update on both dialects."""
    return (postgresql.insert if (dialect or dialect_name()) == "postgresql" else sqlite.insert)(table)


def prepared(build):
    """Statements built and compiled to SQL text once per dialect.

    The hot paths (answering, paying points) run this text on the driver's cursor with
    named parameters: no SQL expression is built, cached or compiled per request, and
    SQLAlchemy's per-statement bookkeeping is skipped. The values they pass go through
    `Values` below, since the driver sees them raw. Call the result with the driver
    connection to get the statements for its dialect."""

    @cache
    def compiled(dialect: str) -> SimpleNamespace:
        target = _DIALECTS[dialect]()
        dbapi = type(target).import_dbapi()
        return SimpleNamespace(**{name: Compiled(stmt.compile(dialect=target), dbapi) for name, stmt in vars(build(dialect)).items()})

    def get(raw):
        return compiled(driver_dialect(raw))

    return get


# Called with the text of every hot-path statement (tests count statements per request).
statement_listeners: list = []


class Compiled:
    """SQL text and the values of its literal parameters. Called with the driver's own
    connection (see `driver_connection`), inside the session's transaction; returns
    the driver's cursor."""

    __slots__ = ("text", "defaults", "dbapi")

    def __init__(self, compiled, dbapi):
        self.text = str(compiled)
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self.dbapi = dbapi

    def __call__(self, raw, params):
        params = {**self.defaults, **params}
        for listen in statement_listeners:
            listen(self.text)
        cursor = raw.cursor()
        try:
            cursor.execute(self.text, params)
        except self.dbapi.Error as exc:
            # The same exception SQLAlchemy would raise (IntegrityError, OperationalError, ...),
            # so the app's error handlers treat both paths alike.
            raise DBAPIError.instance(self.text, params, exc, self.dbapi.Error) from exc
        return cursor


def driver_connection():
    """The DBAPI connection under the session's current transaction (begun if need be)."""
    return db.session.connection().connection.driver_connection


def in_write_transaction(work, *args):
    """`work(conn, *args)` in a write transaction of a hot path, on a driver connection
    of the engine's pool, without the ORM session (whose bookkeeping costs more than
    the statements of an answer); returns what it returns. Committed when it returns,
    undone if it raises. `work` may use only `conn` (on SQLite the session's connection
    would queue behind it) and no request data: on SQLite it runs in the writer process
    (core.sqlite_writer, so it must be registered with `runs_in_writer`) or, without
    one, in another thread, batched with other requests' work into one transaction
    (GroupCommit)."""
    bind = db.engine
    if isinstance(bind, Connection):
        # The test suite binds everything to one connection in an outer transaction
        # (tests/conftest.py): join it through a savepoint, as the session does there.
        with bind.begin_nested():
            return work(bind.connection.driver_connection, *args)
    if bind.dialect.name == "sqlite":
        database = bind.url.database
        if database and database != ":memory:":
            result = sqlite_writer.client_for(database).run(work, args)
            if result is not sqlite_writer.WriterClient.NOT_RUN:
                return result
        return GroupCommit.of(bind).run(work, args)
    pooled = bind.raw_connection()
    raw = pooled.driver_connection  # psycopg begins by itself at the first statement
    try:
        result = work(raw, *args)
        _commit(bind, raw)
        return result
    except BaseException:
        raw.rollback()
        raise
    finally:
        pooled.close()


def _commit(bind, raw) -> None:
    try:
        raw.commit()
    except bind.dialect.dbapi.Error as exc:
        raise DBAPIError.instance("COMMIT", {}, exc, bind.dialect.dbapi.Error) from exc


class GroupCommit:
    """Write transactions of one process on SQLite, batched: the first thread to come
    runs its work; threads that come meanwhile queue theirs, and the next of them runs
    the whole queue in one transaction, each piece in a savepoint of its own, and hands
    every thread its result or its exception.

    SQLite lets one writer in at a time, so a transaction's length is what limits
    writes. Run one by one, each transaction pays for taking the write lock and for
    its commit (writing its pages to the WAL), and between its statements, each of
    which releases the GIL, it waits for the GIL behind the process's other threads
    while every other writer waits for it. A batch pays those once, and its threads
    wait without competing for the GIL."""

    _instances: dict = {}

    @classmethod
    def of(cls, engine) -> "GroupCommit":
        try:
            return cls._instances[engine]
        except KeyError:
            return cls._instances.setdefault(engine, cls(engine))

    def __init__(self, engine):
        self.engine = engine
        self.queue: list[Work] = []
        self.busy = False  # a thread is running a batch
        self.changed = threading.Condition()

    def run(self, work, args):
        job = Work(work, args)
        with self.changed:
            self.queue.append(job)
            while self.busy and not job.done:
                self.changed.wait()
            if job.done:  # run in another thread's batch
                return job.outcome()
            self.busy = True
            batch, self.queue = self.queue, []
        try:
            self.run_batch(batch)
        finally:
            with self.changed:
                self.busy = False
                self.changed.notify_all()
        return job.outcome()

    def run_batch(self, batch: list["Work"]) -> None:
        """Run `batch` in one transaction now (each piece's outcome on the piece); the
        SQLite writer process runs its batches with it too."""
        pooled = self.engine.raw_connection()
        raw = pooled.driver_connection
        try:
            try:
                begin_write = getattr(raw, "begin_write", None)
                begin_write() if begin_write else raw.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:  # e.g. still locked after busy_timeout: the app's 503
                raise DBAPIError.instance("BEGIN IMMEDIATE", {}, exc, sqlite3.Error) from exc
            shared = len(batch) > 1  # work alone needs no savepoint: a failure rolls all back
            for job in batch:
                if shared:
                    raw.execute("SAVEPOINT work")
                try:
                    job.result = job.work(raw, *job.args)
                except Exception as exc:
                    job.error = exc
                    if shared:
                        raw.execute("ROLLBACK TO work")
                if shared:
                    raw.execute("RELEASE work")
            if any(job.error is None for job in batch):
                _commit(self.engine, raw)
            else:
                raw.rollback()
        except BaseException as exc:
            raw.rollback()
            for job in batch:
                if job.error is None:
                    job.error = exc
            raise
        finally:
            pooled.close()
            for job in batch:
                job.done = True


class Work:
    """One piece of a batch: `work(conn, *args)`, and its result or error once run."""

    __slots__ = ("work", "args", "result", "error", "done")

    def __init__(self, work, args):
        self.work, self.args = work, args
        self.result = self.error = None
        self.done = False

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


def driver_dialect(raw) -> str:
    return "sqlite" if isinstance(raw, sqlite3.Connection) else "postgresql"


class Values:
    """Python values as the driver must see them when SQLAlchemy's types are bypassed,
    stored exactly as the ORM stores them (so ORM reads of the same rows agree)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"

    def json(self, value) -> str:
        return json.dumps(value)

    def time(self, value: datetime | None):
        if value is None or not self.sqlite:
            return value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date):
        return value.isoformat() if self.sqlite else value

    def read_time(self, value) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    def read_json(self, value):
        return json.loads(value) if isinstance(value, str) else value


@cache
def _values(dialect: str) -> Values:
    return Values(dialect)


def values(raw) -> Values:
    return _values(driver_dialect(raw))
