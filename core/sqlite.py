"""SQLite as the embedded default: WAL, and write transactions that take the write
lock up front, waiting for it in fine steps."""
import sqlite3
import time

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _pragmas)
        event.listen(Engine, "begin", _begin)
        _installed = True


def _pragmas(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # WAL lets readers run beside the writer; busy_timeout waits for the lock instead
    # of failing; the driver's own transaction handling is replaced by _begin.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A transaction that will write takes the write lock up front: upgrading a read
    # transaction later fails at once if another writer committed in between. Requests
    # that change data write; the lock is taken at their first statement, after the
    # request has been authenticated and validated.
    if not (has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")):
        conn.exec_driver_sql("BEGIN")
        return
    # SQLite's own busy handler sleeps 1, 2, 5, 10… ms between tries, which under load
    # costs more than the transactions themselves: wait here in much finer steps.
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    deadline, pause = time.monotonic() + 10, 0.00005
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
    finally:
        cursor.execute("PRAGMA busy_timeout=10000")
