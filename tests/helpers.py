import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from accounts import tokens
from core import create_app
from core.extensions import db


class ApiClient:
    """Calls /api/v1 with JSON and, once `as_user` is set, a bearer token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def as_user(self, user) -> "ApiClient":
        other = ApiClient(self.client)
        other.token = tokens.issue(user.id)[0]
        return other

    def _headers(self, headers):
        # Requests share the test's session (Flask reuses the pushed app context);
        # expire it so each request reads the database as a fresh request would.
        db.session.expire_all()
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(headers or {})
        return h

    def get(self, path, headers=None, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path, json=None, headers=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(headers), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(headers), **kw)


def app_of_its_own(tmp_path, **config):
    """A separate app on a new SQLite file (schema from the models), for settings the
    shared test app does not have."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/own.sqlite3",
                      "SECRET_KEY": "own-app-secret-key-0123456789abcdef", **config})
    with app.app_context():
        db.create_all()
    return app


@contextmanager
def new_database(directory, prefix: str = "pufa_test"):
    """A database of its own, empty: a new SQLite file in `directory` on the SQLite pass,
    a new PostgreSQL database (dropped afterwards) on the PostgreSQL pass."""
    from tests.conftest import DATABASE_URL

    if DATABASE_URL.startswith("sqlite"):
        yield f"sqlite:///{directory}/{uuid.uuid4().hex[:8]}.sqlite3"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
