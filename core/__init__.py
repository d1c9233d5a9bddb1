"""The application factory."""
import os
import sys

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config, transactions
from core.extensions import csrf, db, login_manager, migrate
from core.ratelimit import limiter


def create_app(test_config: dict | None = None) -> APIFlask:
    app = APIFlask(
        __name__, title="普法积分小程序接口", version="1.0.0",
        spec_path="/openapi.json", docs_path=None,  # core.docs serves /docs
        instance_path=os.path.abspath(os.environ.get("PUFA_INSTANCE", "instance")),
    )
    app.config.from_mapping(config.from_env(app.instance_path))
    register_settings(app)
    if test_config:
        app.config.update(test_config)
    if sys.argv[1:2] != ["doctor"]:  # `flask doctor` diagnoses the unsafe configuration it runs on
        config.refuse_unsafe_production(app.config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_middleware(app)
    return app


def register_settings(app: APIFlask) -> None:
    from points.rules import rules_from_env
    from quiz_bank.quizzes import QUIZ_SIZES

    # Chinese as UTF-8, not \uXXXX escapes: readable, and half the bytes on a phone.
    app.json.ensure_ascii = False

    app.config.update(
        # No pre-ping: it costs a round trip on every request; a connection the server
        # dropped fails one request with 503 (retry) and is then replaced.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_recycle": 1800},
        POINTS_RULES=rules_from_env(),
        QUIZ_SIZES=dict(QUIZ_SIZES),
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        # OpenAPI
        # Swagger UI 4 (swagger-ui-bundle, served by /docs) reads OpenAPI 3.0, not 3.1.
        OPENAPI_VERSION="3.0.3",
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
    import quiz_bank.exams.models  # noqa: F401
    import statutes.models  # noqa: F401
    import activities.models  # noqa: F401
    import reports.models  # noqa: F401
    import learning.models  # noqa: F401
    import api.idempotency  # noqa: F401
    from accounts import revocation

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"], **transactions.engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DB_WAIT_SECONDS"]),
    }
    db.init_app(app)
    transactions.install(app)
    revocation.init_app(app)  # deleted accounts' tokens refused (accounts.revocation)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: APIFlask) -> None:
    from api.checkin_link import bp as checkin_link_bp
    from admin import init_admin
    from api import bp as api_bp
    from api.media import media_bp
    from core import security
    from core.docs import bp as docs_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(media_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(checkin_link_bp)  # /c/<token>, the projector's link QR
    security.init_app(app, inline_handlers=init_admin(app))


def register_middleware(app: APIFlask) -> None:
    from core import observability

    observability.init_app(app)  # request ids, access log, /metrics, slow statements
    if app.config["PROXY_COUNT"]:  # outermost: every layer sees the phone's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])


def register_errorhandlers(app: APIFlask) -> None:
    from core import errors

    errors.register(app)


def register_commands(app: APIFlask) -> None:
    from backup.cli import register as register_backup
    from core.cli import register

    register(app)
    register_backup(app)
