"""The statements SQLite and PostgreSQL spell differently."""
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert(table):
    """INSERT that supports on_conflict_do_nothing/do_update on both dialects."""
    return (postgresql.insert if dialect_name() == "postgresql" else sqlite.insert)(table)
