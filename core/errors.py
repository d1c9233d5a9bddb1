"""One error format for the whole API: {"code", "message", "details"}."""
import os

from apiflask import HTTPError
from flask import render_template, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.domain_errors import (
    Conflict, DomainError, Expired, Forbidden, Invalid, NotFound, Unauthenticated, Unavailable, UpstreamFailed,
)
from core.extensions import db

DEFAULTS = {
    400: ("bad_request", "请求内容不是有效的 JSON 或格式有误，请检查后重试。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "没有权限进行此操作。"),
    404: ("not_found", "请求的内容不存在。"),
    405: ("method_not_allowed", "不支持此请求方式。"),
    409: ("conflict", "操作与当前状态冲突，请刷新后重试。"),
    413: ("payload_too_large", "上传的内容过大。"),
    415: ("unsupported_media_type", "请以 JSON 格式提交。"),
    422: ("validation_error", "提交的内容有误，请检查后重试。"),
    429: ("too_many_requests", "操作太频繁，请稍后再试。"),
    500: ("internal_error", "服务器出了点问题，请稍后再试。"),
    502: ("upstream_error", "微信服务暂时不可用，请稍后再试。"),
    503: ("service_unavailable", "服务繁忙，请稍后再试。"),
}


class ApiError(HTTPError):
    """An HTTP error with a stable machine-readable code and a Chinese message, for the
    web layer (rate limits, auth); the domain raises core.domain_errors instead."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(status, message=message, detail=details or {}, extra_data={"code": code})


# The one place a domain error's kind becomes an HTTP status.
STATUS_OF_KIND = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Expired: 410,
    Invalid: 422,
    UpstreamFailed: 502,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF_KIND:
            return STATUS_OF_KIND[kind]
    return 500  # a DomainError of no kind is a bug, not the client's fault


def as_http(error: HTTPError | DomainError) -> HTTPError:
    """The HTTP error a domain error answers as (an HTTP error stays itself)."""
    if isinstance(error, DomainError):
        answer = ApiError(status_of(error), error.code, error.message, error.details)
        if answer.status_code == 503:
            answer.headers = {"Retry-After": "1"}  # busy or down for now: the phone tries again
        return answer
    return error


def error_body(error: HTTPError) -> dict:
    default_code, default_message = DEFAULTS.get(error.status_code, ("error", "请求失败。"))
    code = error.extra_data.get("code") or default_code
    # Library errors carry English messages; residents get the Chinese text.
    message = error.message if "code" in error.extra_data else default_message
    details = error.detail or {}
    if error.status_code == 422 and "code" not in error.extra_data:
        details = _flatten_validation(details)
    return {"code": code, "message": message, "details": details}


# The panel's error pages: a heading and what to do, in the clerk's words.
PANEL_PAGES = {
    400: ("页面已过期", "页面已过期或请求无效（常见于页面打开太久），请返回刷新后重试。"),
    403: ("没有权限", "当前账号没有权限查看此页面或进行此操作。如需使用，请联系管理员分配权限。"),
    404: ("页面不存在", "要打开的页面不存在：可能是地址有误，或者内容已被删除。"),
    405: ("无法这样操作", "不支持此请求方式，请从页面上的按钮或链接进入。"),
    500: ("服务器出错", "服务器出了点问题，请稍后再试；多次出现请联系技术人员。"),
}


def panel_error_page(status: int, message: str | None = None):
    """The panel's styled error page (a web page, where the API answers JSON); `message`
    replaces the general one when the error says what went wrong."""
    title, general = PANEL_PAGES[status]
    html = render_template("panel_error.html", status=status, title=title, message=message or general)
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def _flatten_validation(detail: dict) -> dict:
    """APIFlask nests marshmallow errors by location ({"json": {...}}); the client
    wants the offending fields."""
    fields: dict = {}
    for location, errors in detail.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


def _raised_by_json_decoder(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.endswith(os.path.join("json", "decoder.py"))


def register(app) -> None:
    @app.error_processor
    def process(error: HTTPError):
        if error.status_code == 413 and request.path.startswith("/api/"):
            # A body over MAX_CONTENT_LENGTH: the same answer as a photo over its own limit.
            error = ApiError(422, "file_too_large", "上传的文件过大：图片不能超过 10 MB。")
        if not request.path.startswith("/api/") and error.status_code in PANEL_PAGES:
            # The admin panel is a web page: give it a page, not JSON. A domain error's
            # own message (it has a code) says more than the general one.
            said = error_body(error)["message"] if "code" in error.extra_data else None
            return panel_error_page(error.status_code, said)
        return error_body(error), error.status_code, error.headers

    @app.errorhandler(DomainError)
    def domain(error: DomainError):
        return process(as_http(error))

    @app.errorhandler(RecursionError)
    def nested_too_deep(error):
        # webargs passes on the RecursionError of json.loads for a body nested deeper than
        # Python's recursion limit: bad JSON, the client's 400. Any other one is a bug.
        if not _raised_by_json_decoder(error):
            raise error
        return process(HTTPError(400))

    @app.errorhandler(IntegrityError)
    def integrity(error):
        # A constraint caught a duplicate or a race the service did not foresee.
        db.session.rollback()
        return process(ApiError(409, "conflict", DEFAULTS[409][1]))

    @app.errorhandler(DataError)
    def data(error):
        # A value the database cannot store (a NUL character, a number out of range).
        db.session.rollback()
        return process(ApiError(422, "validation_error", "提交的内容包含无法保存的值。"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def busy(error):
        # A bounded wait ran out (core.transactions): busy. The database away (restarting,
        # unreachable, its connection broken): unavailable for now. Either way the phone
        # retries once, after Retry-After, and the app needs no restart: SQLAlchemy drops
        # the pool's connections on a disconnect and the next request opens new ones.
        db.session.rollback()
        if database_away(error):
            app.logger.warning("database unavailable: %s", error)
            answer = ApiError(503, "service_unavailable", "服务暂时不可用，请稍后再试。")
        elif isinstance(error, InterfaceError):
            raise error  # the driver misused: a bug, a 500
        else:
            app.logger.warning("database busy: %s", error)
            answer = ApiError(503, "busy", "服务繁忙，请稍后再试。")
        answer.headers = {"Retry-After": "1"}
        return process(answer)


def database_away(error: Exception) -> bool:
    """Whether a database error says the server is not there (rather than a lock or a
    pooled connection waited for too long): a connection that broke or could not be made,
    or PostgreSQL shutting down or starting up (SQLSTATE class 08 and 57P)."""
    if not isinstance(error, DBAPIError):
        return False  # the pool's own timeout: busy
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", "") or ""  # psycopg's; None when no server answered
    return hasattr(error.orig, "sqlstate") and (not sqlstate or sqlstate.startswith(("08", "57P")))
