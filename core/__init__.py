"""The application factory."""
import os
import sqlite3
import time

from apiflask import APIFlask
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core import config
from core.extensions import csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> APIFlask:
    app = APIFlask(
        __name__, title="普法积分小程序接口", version="1.0.0",
        spec_path="/openapi.json", docs_path="/docs", instance_path=os.path.abspath(os.environ.get("PUFA_INSTANCE", "instance")),
    )
    app.config.from_mapping(config.from_env(app.instance_path))
    register_settings(app)
    if test_config:
        app.config.update(test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_settings(app: APIFlask) -> None:
    from core import docs
    from points.rules import rules_from_env
    from quiz_bank.quizzes import QUIZ_SIZES

    docs.configure(app)

    app.config.update(
        # No pre-ping: it costs a round trip on every request; a connection the server
        # dropped fails one request with 503 (retry) and is then replaced.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_recycle": 1800},
        POINTS_RULES=rules_from_env(),
        QUIZ_SIZES=dict(QUIZ_SIZES),
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        # OpenAPI
        VALIDATION_ERROR_STATUS_CODE=422,
        VALIDATION_ERROR_SCHEMA=_error_schema(),
        HTTP_ERROR_SCHEMA=_error_schema(),
        AUTO_404_RESPONSE=True,
        VALIDATION_ERROR_DESCRIPTION="提交的内容有误",
        AUTH_ERROR_DESCRIPTION="未登录或令牌无效",
        SUCCESS_DESCRIPTION="成功",
        NOT_FOUND_DESCRIPTION="不存在",
        INFO={"description": "乡镇普法学习积分小程序后端接口。所有错误均返回 {code, message, details}。"},
        # Flask-Admin and the panel
        FLASK_ADMIN_SWATCH="cerulean",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        WTF_CSRF_TIME_LIMIT=None,
    )


def _error_schema() -> dict:
    return {
        "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "details": {"type": "object"},
        },
        "type": "object",
    }


def register_extensions(app: APIFlask) -> None:
    from core.sessions import PanelOnlySessionInterface

    app.session_interface = PanelOnlySessionInterface()
    import accounts.models  # noqa: F401  (every model known to Alembic)
    import points.models  # noqa: F401
    import quiz_bank.models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # WAL lets readers run beside the writer; busy_timeout waits for the lock instead
    # of failing; the driver's own transaction handling is replaced by ours below.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A transaction that will write takes the write lock up front: upgrading a read
    # transaction later fails at once if another writer committed in between. Requests
    # that change data write; the lock is taken at their first statement, after the
    # request has been authenticated and validated.
    writes = conn.get_execution_options().get("sqlite_immediate") or (
        has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"))
    if not writes:
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


def register_blueprints(app: APIFlask) -> None:
    from admin import init_admin
    from api import bp as api_bp
    from core.docs import bp as docs_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(docs_bp)
    init_admin(app)


def register_errorhandlers(app: APIFlask) -> None:
    from core import errors

    errors.register(app)


def register_commands(app: APIFlask) -> None:
    from core.cli import register

    register(app)
