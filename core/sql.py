"""The statements SQLite and PostgreSQL spell differently."""
from sqlalchemy import Integer, any_, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from core.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def planned_for_parameters() -> None:
    """PostgreSQL: plan this transaction's statements for their parameters, also once
    prepared (SET LOCAL plan_cache_mode, until the transaction ends). psycopg prepares a
    statement from its fifth run, and a prepared statement's generic plan knows neither
    the town nor the period it reads: a town's top 50 of a district's year went through
    the town index and read all of the town's 16,004 rows (239 ms, against 1.8 ms from
    the top of the board). Only where such a plan was seen: set for every statement it
    cost the answer endpoint a tenth of its throughput (bench/RESULTS.md). SQLite plans
    every statement afresh."""
    if dialect_name() == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


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



def in_ids(column, ids):
    """SQL: `column` is one of the ids the select `ids` returns. On PostgreSQL as
    `column = ANY(array(ids))`, which its planner estimates from the column's statistics
    and can drive an index with, even inside an OR: `column IN (ids)` there becomes a hashed
    filter estimated at half the table (a town's 24,000 people of a district's million were
    planned as 260,000, and every join from them went wrong)."""
    if dialect_name() == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids)
