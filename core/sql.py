"""The statements SQLite and PostgreSQL spell differently."""
from sqlalchemy import Integer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from core.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(table):
    """INSERT that supports on_conflict_do_nothing/do_update on both dialects."""
    return (postgresql.insert if dialect_name() == "postgresql" else sqlite.insert)(table)


class days_since(FunctionElement):
    """Whole days from `earlier` to `later` (two naive UTC datetimes), never negative."""

    type = Integer()
    inherit_cache = True


@compiles(days_since, "postgresql")
def _days_since_pg(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"GREATEST(0, FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400))::integer"


@compiles(days_since, "sqlite")
def _days_since_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"MAX(0, CAST(julianday({later}) - julianday({earlier}) AS INTEGER))"
