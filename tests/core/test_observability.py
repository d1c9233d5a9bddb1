"""What an operator sees: request ids, one JSON access-log line a request that holds no
secret, /metrics for a token holder or loopback only, slow statements without their
parameters (core.observability)."""
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.helpers import ApiClient, app_of_its_own

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
TOKEN = "metrics-token-0123456789abcdef-0123456789"


def access_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "pufa.access"]


def slow_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "pufa.sql"]


def sample(client, name: str, **labels) -> float:
    """A value from /metrics as a loopback scraper reads it (0 when the series is absent)."""
    r = client.get("/metrics")
    assert r.status_code == 200, r.status_code
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_the_callers_request_id_comes_back(api):
    r = api.get("/healthz", headers={"X-Request-ID": "nginx-5f2b.9_c"})
    assert r.headers["X-Request-ID"] == "nginx-5f2b.9_c"


def test_a_request_without_a_sane_id_gets_a_new_one_errors_included(api):
    ids = set()
    for incoming in (None, "", "has spaces", "<script>", "x" * 65, "../etc/passwd", "café"):
        r = api.get("/me", headers={"X-Request-ID": incoming} if incoming is not None else {})
        assert r.status_code == 401
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"]), (incoming, r.headers["X-Request-ID"])
        ids.add(r.headers["X-Request-ID"])
        # The error body stays the contract's three fields.
        assert set(r.get_json()) == {"code", "message", "details"}
    assert len(ids) == 7


def test_one_access_line_a_request_with_the_route_and_no_secret(api, caplog):
    caplog.set_level("INFO", logger="pufa.access")
    login = api.post("/auth/login", json={"code": "dev-code-7f3a91"})
    token, user_id = login.get_json()["token"], login.get_json()["user"]["id"]
    me = ApiClient(api.client)
    me.token = token
    before = datetime.utcnow()
    r = api.client.get("/api/v1/quizzes/987654?phone=13912345678&code=dev-code-7f3a91",
                       headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"})
    assert r.status_code == 404
    me.patch("/me", json={"real_name": "王秀英"})

    lines = access_lines(caplog)
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("POST", "/api/v1/auth/login", 200),
        ("GET", "/api/v1/quizzes/<int(max=2147483647):quiz_id>", 404),
        ("PATCH", "/api/v1/me", 200),
    ]
    login_line, quiz_line, patch_line = lines
    assert login_line["user_id"] is None
    assert quiz_line["request_id"] == "trace-42" and quiz_line["user_id"] == user_id and patch_line["user_id"] == user_id
    assert quiz_line["remote_addr"] == "127.0.0.1" and quiz_line["admin_id"] is None
    assert isinstance(quiz_line["latency_ms"], float) and 0 <= quiz_line["latency_ms"] < 10_000
    logged_at = datetime.fromisoformat(quiz_line["time"])
    assert logged_at.utcoffset() == timedelta(0) and abs(logged_at.replace(tzinfo=None) - before) < timedelta(minutes=1)
    raw = json.dumps(lines, ensure_ascii=False)
    for secret in (token, "dev-code-7f3a91", "13912345678", "987654", "phone", "王秀英", "real_name"):
        assert secret not in raw


def test_the_access_log_can_be_switched_off(app, api, caplog, monkeypatch):
    caplog.set_level("INFO", logger="pufa.access")
    monkeypatch.setitem(app.config, "ACCESS_LOG", False)
    api.get("/healthz")
    assert access_lines(caplog) == []
    monkeypatch.setitem(app.config, "ACCESS_LOG", True)
    api.get("/healthz")
    assert len(access_lines(caplog)) == 1


def test_an_unmatched_path_is_logged_without_it(client, caplog):
    caplog.set_level("INFO", logger="pufa.access")
    assert client.get("/wp-login.php/13912345678").status_code == 404
    (line,) = access_lines(caplog)
    assert line["route"] is None and "13912345678" not in json.dumps(line)


def test_metrics_refused_from_outside_without_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": TOKEN}).status_code == 403
    # Loopback as the peer, but a proxy's header: whoever asked is elsewhere.
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        assert client.get("/metrics", headers={header: "127.0.0.1"}).status_code == 403, header
    served = client.get("/metrics", environ_base=outside, headers={"Authorization": f"Bearer {TOKEN}"})
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("text/plain")
    assert "pufa_http_requests_total" in served.get_data(as_text=True)
    assert client.get("/metrics").status_code == 200  # straight from loopback
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer "}).status_code == 403


def test_metrics_behind_a_proxy_count_the_forwarded_address(tmp_path):
    own = app_of_its_own(tmp_path, PROXY_COUNT=1, METRICS_TOKEN=TOKEN)
    client = own.test_client()
    nginx = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", environ_base=nginx, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert client.get("/metrics", environ_base=nginx, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    assert client.get("/metrics", environ_base=nginx, headers={
        "X-Forwarded-For": "203.0.113.7", "Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_counts_and_latencies_grow_with_requests(client, api):
    series = {"route": "/api/v1/me", "method": "GET", "status": "401"}
    counted = sample(client, "pufa_http_requests_total", **series)
    timed = sample(client, "pufa_http_request_duration_seconds_count", route="/api/v1/me")
    api.get("/me")
    api.get("/me")
    assert sample(client, "pufa_http_requests_total", **series) == counted + 2
    assert sample(client, "pufa_http_request_duration_seconds_count", route="/api/v1/me") == timed + 2
    # This test's connection is checked out of a pool of at least one.
    assert sample(client, "pufa_db_pool_size") >= 1
    assert sample(client, "pufa_db_pool_connections_in_use") >= 1


def test_a_slow_statement_is_logged_with_its_request_id_and_no_parameters(app, api, make, caplog, monkeypatch):
    caplog.set_level("WARNING", logger="pufa.sql")
    me = api.as_user(make.user())
    assert me.patch("/me", json={"real_name": "王秀英"}).status_code == 200
    assert slow_lines(caplog) == []  # well under the default 200 ms

    monkeypatch.setitem(app.config, "SLOW_QUERY_MS", 0.000001)
    r = me.patch("/me", json={"real_name": "李桂兰"}, headers={"X-Request-ID": "slow-2"})
    assert r.status_code == 200 and r.get_json()["real_name"] == "李桂兰"
    lines = slow_lines(caplog)
    assert {x["request_id"] for x in lines} == {"slow-2"}
    (update,) = [x for x in lines if x["statement"].startswith("UPDATE app_user SET")]
    assert "real_name=" in update["statement"].replace(" ", "") and update["duration_ms"] >= 0
    assert "李桂兰" not in json.dumps(lines, ensure_ascii=False)


def test_metrics_in_production_want_the_token_even_from_loopback(app, client, monkeypatch):
    """In production any process on the machine is on loopback too: the token or a 403."""
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers=bearer).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}, headers=bearer).status_code == 200
    assert client.get("/metrics", headers={**bearer, "X-Forwarded-For": "203.0.113.7"}).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")  # never started so, but closed all the same
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_metrics_in_development_open_to_loopback_without_a_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    assert not app.config["PRODUCTION"]
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 403


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """A production environment that starts, but for what a test takes away."""
    for name in ("DATABASE_URL", "METRICS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUFA_ENV", "production")
    monkeypatch.setenv("PUFA_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setenv("WECHAT_SECRET", "s" * 32)
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # required; nothing connects at start-up
    return monkeypatch


@pytest.mark.parametrize("token", [None, "letmein"])
def test_production_does_not_start_without_a_strong_metrics_token(production_env, token):
    from core import create_app
    from core.config import ConfigError

    if token is not None:
        production_env.setenv("METRICS_TOKEN", token)
    with pytest.raises(ConfigError, match="METRICS_TOKEN 未设置或太短") as refused:
        create_app()
    assert "Authorization: Bearer" in str(refused.value)
    production_env.setenv("METRICS_TOKEN", TOKEN)
    assert create_app().config["PRODUCTION"]


MULTIPROCESS = """
import os
from core import create_app
from core.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "multiprocess-test-secret-0123456789"})
with app.app_context():
    db.create_all()
client = app.test_client()
for _ in range(3):
    client.get("/api/v1/me")
pid = os.fork()
if pid == 0:  # a second worker
    for _ in range(4):
        client.get("/api/v1/me")
    os._exit(0)
os.waitpid(pid, 0)
print(client.get("/metrics").get_data(as_text=True))
"""


def test_several_workers_count_as_one_with_a_multiprocess_dir(tmp_path):
    (tmp_path / "metrics").mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "ACCESS_LOG": "0", "PUFA_INSTANCE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", MULTIPROCESS], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    counts = {s.labels["status"]: s.value for f in text_string_to_metric_families(out.stdout) for s in f.samples
              if s.name == "pufa_http_requests_total" and s.labels.get("route") == "/api/v1/me"}
    assert counts == {"401": 7.0}
