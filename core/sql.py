"""Small portable SQL helpers for the statements SQLite and PostgreSQL spell differently,
and for the hot paths, which run ready-compiled SQL text."""
import json
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import pysqlite

from core.extensions import db

_DIALECTS = {"sqlite": lambda: pysqlite.dialect(paramstyle="named"), "postgresql": psycopg.dialect}


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(table, dialect: str | None = None):
    """INSERT that supports on_conflict_do_nothing/do_update on both dialects."""
    return (postgresql.insert if (dialect or dialect_name()) == "postgresql" else sqlite.insert)(table)


def prepared(build):
    """Statements built and compiled to SQL text once per dialect.

    The hot paths (answering, paying points) run this text with exec_driver_sql and
    named parameters: no SQL expression is built, cached or compiled per request.
    The values they pass go through `Values` below, since the driver sees them raw."""

    @cache
    def compiled(dialect: str) -> SimpleNamespace:
        target = _DIALECTS[dialect]()
        return SimpleNamespace(**{name: Compiled(stmt.compile(dialect=target)) for name, stmt in vars(build(dialect)).items()})

    def get():
        return compiled(dialect_name())

    return get


class Compiled:
    """SQL text and the values of its literal parameters; call it with a connection."""

    __slots__ = ("text", "defaults")

    def __init__(self, compiled):
        self.text = str(compiled)
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}

    def __call__(self, conn, params):
        return conn.exec_driver_sql(self.text, {**self.defaults, **params})


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

    def read_json(self, value):
        return json.loads(value) if isinstance(value, str) else value


@cache
def _values(dialect: str) -> Values:
    return Values(dialect)


def values() -> Values:
    return _values(dialect_name())
