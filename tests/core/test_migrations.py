"""The schema comes from the Alembic migrations, and they agree with the models."""
import uuid
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from core import create_app
from core.extensions import db
from tests.conftest import DATABASE_URL

pytestmark = pytest.mark.committing


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: a new SQLite file, or a new PostgreSQL database."""
    if DATABASE_URL.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrated.sqlite3"
        return
    name = f"pufa_migrations_{uuid.uuid4().hex[:8]}"
    url = DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def migrated(url):
    """A connection to the database at `url`, upgraded by the migrations."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade()
        try:
            with db.engine.connect() as conn:
                yield conn
        finally:
            db.engine.dispose()


def test_migrations_build_exactly_the_models(empty_database):
    with migrated(empty_database) as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_migrations_store_tables_as_the_models_do(tmp_path):
    """Alembic does not compare storage options: SQLite's WITHOUT ROWID tables (the
    points tallies, written by every answer) must come from the migrations too. On
    SQLite whatever the suite's database, since the option is SQLite's."""
    with migrated(f"sqlite:///{tmp_path}/migrated.sqlite3") as conn:
        without_rowid = {name for name, sql in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
                         if "WITHOUT ROWID" in sql.upper()}
    modelled = {t.name for t in db.metadata.sorted_tables if t.dialect_options["sqlite"].get("with_rowid") is False}
    assert modelled == {"points_tally", "points_daily"}
    assert without_rowid == modelled
