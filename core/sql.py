"""Small portable SQL helpers for the statements SQLite and PostgreSQL spell differently."""
from functools import cache

from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(table, dialect: str | None = None):
    """INSERT that supports on_conflict_do_nothing/do_update on both dialects."""
    return (postgresql.insert if (dialect or dialect_name()) == "postgresql" else sqlite.insert)(table)


def prepared(build):
    """Cache statements built once per dialect: the hot paths bind parameters into
    ready-made statements instead of building SQL expressions on every request."""
    per_dialect = cache(build)

    def get():
        return per_dialect(dialect_name())

    return get
