"""Test setup: one schema per run; each test in a transaction rolled back at its end.

The database is SQLite by default; set TEST_DATABASE_URL to run on PostgreSQL.
Tests marked `committing` use real, separate connections (races) and clean up after."""
import os
import tempfile

import pytest
from flask import has_request_context
from sqlalchemy import event

from core import create_app, transactions
from core.extensions import db
from tests.factories import Factories

_tmp = tempfile.mkdtemp(prefix="pufa-test-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmp}/test.sqlite3"


def pytest_configure(config):
    config.addinivalue_line("markers", "committing: the test commits for real (concurrency); tables are emptied after it")


@pytest.fixture(scope="session")
def app():
    os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RATELIMIT_LOGIN": "10000 per minute",
        "RATELIMIT_ANSWER": "10000 per minute",
        "WECHAT_APPID": "",
        "WECHAT_SECRET": "",
        "UPLOAD_DIR": os.path.join(_tmp, "uploads"),
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
        # A process reads the deleted accounts at its first token check: done here, so
        # no test's statement count depends on being the first to check a token.
        app.extensions["pufa_revoked"].learn()
        event.listen(db.engine, "before_cursor_execute", _writes_only_in_units)
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Bind the app's session to one connection whose outer transaction is rolled back."""
    ctx = app.app_context()
    ctx.push()
    # The accounts a test deleted are forgotten with its data: ids come again in later tests.
    revoked = app.extensions["pufa_revoked"].local
    if request.node.get_closest_marker("committing"):
        yield
        db.session.remove()
        _empty_tables()
        revoked.clear()
        ctx.pop()
        return
    conn = db.engine.connect()
    outer = conn.begin()
    engines = db.engines
    original = engines[None]
    engines[None] = conn
    db.session.remove()
    db.session.configure(join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        engines[None] = original
        outer.rollback()
        conn.close()
        revoked.clear()
        ctx.pop()


def _writes_only_in_units(conn, cursor, statement, params, context, executemany):
    """A request writes only inside a unit of work that says so (core.transactions):
    on SQLite a write outside one would try to turn a read into a write and could fail
    at once under concurrent commits. Every test holds the app to it."""
    if has_request_context() and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") and not transactions.in_unit():
        raise AssertionError(f"a request wrote outside a unit of work: {statement[:80]}")


def _empty_tables():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def make(app):
    """Factories that build real rows (Faker data) in the test's database."""
    return Factories()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    """A test client speaking the mini-program API, optionally as a logged-in user."""
    from tests.helpers import ApiClient

    return ApiClient(client)


@pytest.fixture
def wechat(app):
    """The app logs in through a fake WeChat server on loopback (tests.accounts.fake_wechat)."""
    from tests.accounts.fake_wechat import FakeWeChat

    with FakeWeChat() as fake:
        saved = {k: app.config[k] for k in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_API_BASE", "WECHAT_TIMEOUT")}
        app.config.update(WECHAT_APPID=fake.appid, WECHAT_SECRET=fake.secret, WECHAT_API_BASE=fake.base_url, WECHAT_TIMEOUT=1.0)
        app.extensions.pop("pufa_wechat", None)
        yield fake
        app.config.update(saved)
        app.extensions.pop("pufa_wechat", None)


@pytest.fixture
def count_queries(app):
    """Counts SQL statements sent while the block runs."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def before(conn, cursor, statement, params, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
