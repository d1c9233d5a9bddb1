"""Production fails closed: no start without a strong key, WeChat credentials, a
deliberate database and Redis; no development login there; cookies and headers locked
down."""
import pytest

from core import create_app
from core.config import ConfigError

STRONG_KEY = "k" * 48
METRICS_TOKEN = "metrics-token-0123456789abcdef-0123456789"
# Nothing listens there: nothing connects at start-up, and a rate limit Redis cannot
# count lets the request through.
REDIS_URL = "redis://127.0.0.1:9/0"
WECHAT = {"WECHAT_APPID": "wx0123456789abcdef", "WECHAT_SECRET": "s" * 32}


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The environment of a production deploy, each setting removable by the test."""
    for name in ("SECRET_KEY", "WECHAT_APPID", "WECHAT_SECRET", "DATABASE_URL", "ALLOW_SQLITE", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUFA_ENV", "production")
    monkeypatch.setenv("PUFA_INSTANCE", str(tmp_path))
    monkeypatch.setenv("METRICS_TOKEN", METRICS_TOKEN)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    return monkeypatch


def test_refuses_to_start_naming_every_problem(production, tmp_path):
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    assert "SECRET_KEY" in message and "WECHAT_APPID" in message and "SQLite" in message and "ALLOW_SQLITE=1" in message
    assert not (tmp_path / "secret_key").exists(), "production must not invent a key of its own"


def test_a_short_key_is_refused_alone(production):
    production.setenv("SECRET_KEY", "short-key")
    for name, value in WECHAT.items():
        production.setenv(name, value)
    production.setenv("ALLOW_SQLITE", "1")
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "SECRET_KEY" in str(refused.value) and "WECHAT" not in str(refused.value)


def test_development_login_does_not_exist_in_production(production, tmp_path):
    """The issue's case: a strong key but no WeChat credentials must not start, and
    even a test config that forces credentials off cannot bring the demo login back."""
    production.setenv("SECRET_KEY", STRONG_KEY)
    production.setenv("ALLOW_SQLITE", "1")
    with pytest.raises(ConfigError, match="WECHAT_APPID"):
        create_app()
    for name, value in WECHAT.items():
        production.setenv(name, value)
    # WeChat configured, but unreachable (a closed port on this machine).
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3", "WECHAT_API_BASE": "http://127.0.0.1:9"})
    with app.app_context():
        from core.extensions import db

        db.create_all()
    r = app.test_client().post("/api/v1/auth/login", json={"code": "demo-resident"})
    assert r.status_code == 503 and "token" not in r.get_json()


def test_sqlite_in_production_only_when_chosen(production, tmp_path):
    production.setenv("SECRET_KEY", STRONG_KEY)
    for name, value in WECHAT.items():
        production.setenv(name, value)
    with pytest.raises(ConfigError, match="SQLite"):
        create_app()
    production.setenv("ALLOW_SQLITE", "1")
    assert create_app().config["PRODUCTION"]


def test_production_admin_cookie_is_secure_httponly_lax(production, tmp_path):
    production.setenv("SECRET_KEY", STRONG_KEY)
    production.setenv("ALLOW_SQLITE", "1")
    for name, value in WECHAT.items():
        production.setenv(name, value)
    app = create_app()
    r = app.test_client().get("/admin/auth/login", base_url="https://pufa.example")
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_production_wants_redis_on_either_database(production, tmp_path, database):
    """Without Redis each worker keeps its own rate-limit counts and list of deleted
    accounts, and how many workers gunicorn runs is not the app's to know: SQLite too."""
    production.setenv("SECRET_KEY", STRONG_KEY)
    for name, value in WECHAT.items():
        production.setenv(name, value)
    production.setenv("ALLOW_SQLITE", "1")
    production.setenv("WEB_CONCURRENCY", "1")  # says nothing of gunicorn's --workers
    if database == "postgresql":
        production.setenv("DATABASE_URL", "postgresql://pufa@127.0.0.1:9/pufa")
    production.delenv("REDIS_URL")
    with pytest.raises(ConfigError, match="未设置 REDIS_URL") as refused:
        create_app()
    assert "SQLite 也不例外" in str(refused.value)
    production.setenv("REDIS_URL", REDIS_URL)
    if database == "sqlite":
        assert create_app().config["PRODUCTION"]
