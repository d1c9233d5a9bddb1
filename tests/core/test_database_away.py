"""The database away (restarting, unreachable) answers 503 service_unavailable with
Retry-After; a bounded wait that ran out stays 503 busy. tests/cluster restarts a real
PostgreSQL under two app servers."""
import socket
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from accounts import tokens
from core import create_app
from core.errors import database_away


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def test_an_unreachable_database_is_a_503_service_unavailable_in_chinese():
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone",
                      "SECRET_KEY": "own-app-secret-key-0123456789abcdef", "RATELIMIT_ENABLED": False})
    with app.app_context():
        headers = {"Authorization": f"Bearer {tokens.issue(1)[0]}"}
    client = app.test_client()
    for r in (client.get("/api/v1/me", headers=headers), client.patch("/api/v1/me", json={"nickname": "新"}, headers=headers)):
        assert (r.status_code, r.get_json()) == (503, {"code": "service_unavailable", "message": "服务暂时不可用，请稍后再试。", "details": {}})
        assert r.headers["Retry-After"] == "1"


def _wrapped(cls, orig, invalidated=False):
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("error, away", [
    (_wrapped(OperationalError, psycopg.OperationalError("connection failed: Connection refused")), True),
    (_wrapped(OperationalError, pg.AdminShutdown("terminating connection due to administrator command")), True),
    (_wrapped(OperationalError, pg.CannotConnectNow("the database system is starting up")), True),
    (_wrapped(InterfaceError, psycopg.InterfaceError("the connection is closed"), invalidated=True), True),
    (_wrapped(OperationalError, pg.LockNotAvailable("canceling statement due to lock timeout")), False),
    (_wrapped(OperationalError, pg.QueryCanceled("canceling statement due to statement timeout")), False),
    (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), False),
    (PoolTimeout("QueuePool limit of size 5 overflow 10 reached"), False),
])
def test_away_is_told_from_busy(error, away):
    assert database_away(error) is away
