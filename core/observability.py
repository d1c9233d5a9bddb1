"""What an operator sees of the running app: a request id on every request, one JSON
access-log line per request, Prometheus metrics at /metrics and slow SQL statements.

- The request id is the caller's `X-Request-ID` when it is a sane token (nginx's
  `$request_id`, a client's retry), else a new one; it goes back in the response's
  `X-Request-ID` (the error body stays `{code, message, details}` as API.md fixes it),
  into every line below and into app.logger's lines (a 500's traceback).
- The access log ("pufa.access", JSON lines on stdout) names the URL rule, never the
  path as sent, and the user by id: no query strings, bodies, tokens, codes or phone
  numbers reach it.
- /metrics answers only a scraper holding METRICS_TOKEN (Authorization: Bearer). In
  production that is the only way in, loopback included, and the app does not start
  without the token (core.config); in development a request on loopback talking to the
  app server directly is let in without one. Under gunicorn with several workers, set
  PROMETHEUS_MULTIPROC_DIR (an empty directory, before the server starts) so that the
  numbers are the sum over all workers, and `child_exit` (below) in gunicorn's config.
- A statement slower than SLOW_QUERY_MS is logged ("pufa.sql", JSON lines on stderr)
  with its text, never its parameters (they hold names and phone numbers)."""
import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, g, has_request_context, request
from flask.logging import default_handler
from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest,
)
from prometheus_client import multiprocess
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.pool import QueuePool

from core.extensions import db

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Labels must stay few: an unknown method or an unmatched path (a scanner's) is one label.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
_FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

# Each series' creation time is of no use here and doubles the page.
disable_created_metrics()

access_log = logging.getLogger("pufa.access")
sql_log = logging.getLogger("pufa.sql")

REQUESTS = Counter("pufa_http_requests", "Requests answered, by URL rule, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("pufa_http_request_duration_seconds", "Time from the request's first hook to its response, by URL rule.",
                    ["route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
# livesum: under several workers, the connections of the workers alive now, added up.
POOL_IN_USE = Gauge("pufa_db_pool_connections_in_use", "Database connections checked out of the pool.",
                    multiprocess_mode="livesum")
POOL_SIZE = Gauge("pufa_db_pool_size", "Connections the pool keeps (overflow beyond it is allowed).",
                  multiprocess_mode="livesum")
SLOW_QUERIES = Counter("pufa_db_slow_queries", "SQL statements slower than SLOW_QUERY_MS.")

bp = Blueprint("observability", __name__)
_to_json = json.JSONEncoder(separators=(",", ":")).encode  # ASCII whatever the stream; one encoder, not one a line
_children: dict[tuple, tuple] = {}  # (route, method, status) -> its counter's and histogram's children


def request_id() -> str | None:
    """The current request's id; None outside a request (a command)."""
    return request.environ.get(_ID) if has_request_context() else None


def init_app(app) -> None:
    app.wsgi_app = _identified(app.wsgi_app)
    # The last of the after-request hooks (Flask runs them in reverse): every answer,
    # an error's too, leaves with its id, and the latency covers the other hooks.
    app.after_request_funcs.setdefault(None, []).insert(0, _ender(app.config))
    app.register_blueprint(bp)
    _json_lines(access_log, "stdout")
    access_log.setLevel(logging.INFO)  # each app's ACCESS_LOG decides
    _json_lines(sql_log, "stderr")  # beside the app's other warnings, off a command's output
    if not any(isinstance(f, _RequestIdFilter) for f in default_handler.filters):
        default_handler.addFilter(_RequestIdFilter())
        default_handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s [%(request_id)s]: %(message)s"))
    with app.app_context():
        engine = db.engine
    _watch_pool(engine)
    if app.config["SLOW_QUERY_MS"] > 0:
        _watch_statements(engine, app.config)


_STARTED, _ID = "pufa.started", "pufa.request_id"


def _identified(wsgi_app):
    """The request's start and id, in its WSGI environ: before Flask's own work, and
    cheaper there than in a before-request hook."""

    def identified(environ, start_response):
        environ[_STARTED] = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID")
        environ[_ID] = incoming if incoming and _SANE_ID.fullmatch(incoming) else os.urandom(16).hex()
        return wsgi_app(environ, start_response)

    return identified


def _ender(config):
    def end(response):
        req = request._get_current_object()  # one context look-up, not one per attribute
        environ = req.environ
        started = environ.get(_STARTED)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        rid = environ.get(_ID) or environ.setdefault(_ID, os.urandom(16).hex())  # no WSGI: a test's request context
        response.headers[HEADER] = rid
        rule = req.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        method = req.method if req.method in _METHODS else "OTHER"
        status = response.status_code
        key = (route, method, status)
        if (pair := _children.get(key)) is None:
            pair = _children[key] = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route))
        pair[0].inc()
        pair[1].observe(elapsed)
        # A scrape every few seconds would drown the log; a refused one is worth a line.
        if config["ACCESS_LOG"] and not (route == "/metrics" and status == 200):
            ctx_g = g._get_current_object()
            line = _to_json({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "request_id": rid,
                "method": method,
                "route": rule.rule if rule is not None else None,
                "status": status,
                "latency_ms": round(elapsed * 1000, 2),
                "user_id": _api_user_id(ctx_g),
                "admin_id": _panel_user_id(ctx_g),
                "remote_addr": req.remote_addr,
            })
            # Logger.info would also walk the stack for the caller's file and line.
            access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, None, None))
        return response

    return end


def _api_user_id(ctx_g) -> int | None:
    principal = ctx_g.get("flask_httpauth_user")  # api.auth's Principal, set by a verified token
    return getattr(principal, "id", None)


def _panel_user_id(ctx_g) -> int | None:
    user = ctx_g.get("_login_user")  # Flask-Login's, when the panel loaded it
    if user is None:
        return None
    # The identity key, not `.id`: after a commit the instance is expired and reading
    # an attribute would query the database again.
    state = sa_inspect(user, raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


@bp.get("/metrics")
def metrics():
    if not _may_scrape():
        abort(403)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def _may_scrape() -> bool:
    config = current_app.config
    token = config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    if config["PRODUCTION"]:  # the token or nothing: any local process is on loopback too
        return False
    # Loopback only when straight from the peer: through a proxy (nginx on the same
    # machine) the peer is loopback whoever asked, so any forwarding header needs the token.
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _watch_pool(engine) -> None:
    if isinstance(engine.pool, QueuePool):  # PostgreSQL's and an SQLite file's
        POOL_SIZE.set(engine.pool.size())
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())
    event.listen(engine, "detach", lambda *_: POOL_IN_USE.dec())  # leaves the pool, never checked in


def _watch_statements(engine, config) -> None:
    """Time each statement where the dialect hands it to the driver: one call a
    statement, where the cursor events would cost two and the dispatch around them."""
    dialect = engine.dialect
    for name in ("do_execute", "do_executemany", "do_execute_no_params"):
        event.listen(engine, name, _timed(getattr(dialect, name), config))


def _timed(run, config):
    def timed(cursor, statement, *rest):
        begun = time.perf_counter()
        run(cursor, statement, *rest)
        if (ms := (time.perf_counter() - begun) * 1000) >= config["SLOW_QUERY_MS"] > 0:
            _slow(statement, ms, config["SLOW_QUERY_MS"])
        return True  # run: SQLAlchemy does not run it again

    return timed


def _slow(statement: str, ms: float, threshold: float) -> None:
    SLOW_QUERIES.inc()
    sql_log.warning(_to_json({
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "event": "slow_query",
        "request_id": request_id(),
        "duration_ms": round(ms, 1),
        "threshold_ms": threshold,
        # The text with its placeholders; the parameters are personal data.
        "statement": " ".join(statement.split())[:2000],
    }))


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id() or "-"
        return True


class _LinesHandler(logging.Handler):
    """Each record's message as one line on the process's stdout or stderr as it is now
    (gunicorn's workers inherit them; systemd's journal collects both). The message is
    the line: no formatter to run."""

    def __init__(self, stream_name: str):
        super().__init__()
        self.stream_name = stream_name

    def emit(self, record):
        try:
            stream = getattr(sys, self.stream_name)
            stream.write(record.getMessage() + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def _json_lines(logger: logging.Logger, stream_name: str) -> None:
    if not any(isinstance(h, _LinesHandler) for h in logger.handlers):
        logger.addHandler(_LinesHandler(stream_name))


def child_exit(server, worker) -> None:
    """gunicorn's `child_exit` hook, in its config file: `from core.observability import
    child_exit`. A dead worker's connections leave the pool gauges' sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
