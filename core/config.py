"""Configuration from the environment, with working development defaults."""
import os
import secrets
from pathlib import Path

from accounts import wechat


def _instance_secret(instance_path: str) -> str:
    """Generate a secret once and keep it in instance/ so tokens survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def from_env(instance_path: str) -> dict:
    env = os.environ
    production = env.get("PUFA_ENV", "development") == "production"
    # In production a missing key is reported by production_problems, never invented.
    secret = env.get("SECRET_KEY") or ("" if production else _instance_secret(instance_path))
    db_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'pufa.sqlite3'}"
    if db_url.startswith("postgresql://") or db_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship.
        db_url = "postgresql+psycopg://" + db_url.split("://", 1)[1]
    redis_url = env.get("REDIS_URL")
    return {
        "PRODUCTION": production,
        # A small town may choose SQLite in production, but only on purpose.
        "ALLOW_SQLITE": env.get("ALLOW_SQLITE") == "1",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "WECHAT_APPID": env.get("WECHAT_APPID", ""),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", ""),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_TIMEOUT": float(env.get("WECHAT_TIMEOUT", "5")),
        # The projector's code (activities.checkin_codes): the mini-program page a
        # mini-program code opens, and which build (release, trial or develop).
        "CHECKIN_PAGE": env.get("CHECKIN_PAGE", "pages/checkin/checkin"),
        "WXACODE_ENV_VERSION": env.get("WXACODE_ENV_VERSION", "release"),
        # The site's address as phones reach it (https://pufa.example.gov.cn): without
        # WeChat credentials the projector shows a link QR to {PUBLIC_BASE_URL}/c/<token>.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "REDIS_URL": redis_url,
        # The longest a request waits for a lock or a connection before a 503 busy.
        "DB_WAIT_SECONDS": float(env.get("DB_WAIT_SECONDS", "5")),
        # The admin panel signs out a session left idle this long.
        "PERMANENT_SESSION_LIFETIME": _int("ADMIN_IDLE_MINUTES", 30) * 60,
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "ADMIN_REQUIRE_2FA": env.get("ADMIN_REQUIRE_2FA") == "1",
        # Failed panel logins allowed per address and per account before a lockout.
        "ADMIN_LOGIN_FAILURES": env.get("ADMIN_LOGIN_FAILURES", "5 per 15 minutes"),
        "ADMIN_LOGIN_FAILURES_PER_ADDRESS": env.get("ADMIN_LOGIN_FAILURES_PER_ADDRESS", "20 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": redis_url or "local://",  # core.ratelimit.LocalStorage
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_ANSWER": env.get("RATELIMIT_ANSWER", "60 per minute"),
        # Reverse proxies (TLS terminators) in front of the app: their X-Forwarded-For
        # names the phone, or every login would count against the proxy's address.
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        # Observability (core.observability): one JSON line per request on stdout; /metrics
        # for a scraper with this bearer token (required in production; in development,
        # without one, loopback only); statements slower than this many milliseconds
        # logged (0: none).
        "ACCESS_LOG": env.get("ACCESS_LOG", "1") != "0",
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "SLOW_QUERY_MS": float(env.get("SLOW_QUERY_MS", "200")),
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "TOKEN_TTL_SECONDS": _int("TOKEN_TTL_SECONDS", 7 * 24 * 3600),
        # Answers and submissions arriving this long after an exam's deadline still count
        # (the request was on its way); later ones get time_over.
        "EXAM_GRACE_SECONDS": _int("EXAM_GRACE_SECONDS", 30),
        # Flags on the results page, for review only (quiz_bank.exams.suspicion): a median
        # time per answer under this many seconds; answers alike another cadre's on at least
        # MIN_SHARED common questions, MATCH_PERCENT % of them, MIN_SAME_WRONG of them wrong.
        "EXAM_FLAG_MEDIAN_SECONDS": float(env.get("EXAM_FLAG_MEDIAN_SECONDS", "3")),
        "EXAM_FLAG_MIN_SHARED": _int("EXAM_FLAG_MIN_SHARED", 15),
        "EXAM_FLAG_MATCH_PERCENT": float(env.get("EXAM_FLAG_MATCH_PERCENT", "90")),
        "EXAM_FLAG_MIN_SAME_WRONG": _int("EXAM_FLAG_MIN_SAME_WRONG", 3),
        "RATELIMIT_BINDING": env.get("RATELIMIT_BINDING", "10 per hour"),
        # A check-in code is accepted this long after the projector stopped showing it.
        "CHECKIN_TOKEN_GRACE_SECONDS": _int("CHECKIN_TOKEN_GRACE_SECONDS", 60),
        # The most of a phone's reported location error that counts towards the geofence.
        "CHECKIN_MAX_ACCURACY_M": _int("CHECKIN_MAX_ACCURACY_M", 100),
        # Unclaimed redemptions are refunded after this many days (flask rewards expire).
        "REDEMPTION_EXPIRY_DAYS": _int("REDEMPTION_EXPIRY_DAYS", 14),
        # Check-in locations are reduced to in or out of range after this many days
        # (flask privacy prune-locations, daily).
        "LOCATION_RETENTION_DAYS": _int("LOCATION_RETENTION_DAYS", 30),
        # Subscription messages (flask reminders send), as JSON: reason -> WeChat template id,
        # or {"id", "fields": {keyword: "title"|"time"|"note"}, "page"}; read by the command,
        # which names what is wrong in it. A failed send is tried again this many times.
        "WECHAT_TEMPLATES": env.get("WECHAT_TEMPLATES", ""),
        "REMINDER_RETRIES": _int("REMINDER_RETRIES", 3),
        # Debian's fonts-wqy-microhei, installed by scripts/bootstrap.
        "CERT_FONT": env.get("CERT_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        "CERT_ISSUER": env.get("CERT_ISSUER", "镇全面依法治镇委员会办公室"),
    }


MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration is not safe to serve; the message names every problem."""


def production_problems(cfg: dict) -> list[str]:
    """What stops this configuration from serving in production, each with its fix."""
    problems = []
    if len(cfg.get("SECRET_KEY") or "") < MIN_SECRET_LENGTH:
        problems.append(f"SECRET_KEY 未设置或太短（至少 {MIN_SECRET_LENGTH} 个字符）："
                        "用 python3 -c 'import secrets; print(secrets.token_urlsafe(48))' 生成一个并设置。")
    if not wechat.configured(cfg):
        problems.append("未设置 WECHAT_APPID 和 WECHAT_SECRET：生产环境只能用微信登录，请填写小程序的 AppID 和 AppSecret。")
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not cfg.get("ALLOW_SQLITE"):
        problems.append("数据库是 SQLite：生产环境请设置 DATABASE_URL 为 PostgreSQL；"
                        "若确为小镇单机部署，设置 ALLOW_SQLITE=1 表示有意为之。")
    # On any database: each process keeps its own counts and denylist without Redis, and
    # the app cannot know how many gunicorn starts (--workers, WEB_CONCURRENCY, the cores).
    if not cfg.get("REDIS_URL"):
        problems.append("未设置 REDIS_URL：生产环境中限流计数和已注销账号的名单须在 Redis 中由所有进程共享"
                        "（否则每个进程各记各的：注销的账号在其他进程仍可使用，限流次数成倍放宽），SQLite 也不例外，"
                        "因为程序无法得知服务器开了几个进程。请安装 redis-server 并设置 REDIS_URL（例如 redis://127.0.0.1:6379/0）。")
    # In production /metrics opens to the token only, loopback included (core.observability):
    # any process on the machine, or a proxy's request, is no proof of being the scraper.
    if len(cfg.get("METRICS_TOKEN") or "") < MIN_SECRET_LENGTH:
        problems.append(f"METRICS_TOKEN 未设置或太短（至少 {MIN_SECRET_LENGTH} 个字符）：生产环境中 /metrics 只对携带该令牌"
                        "（Authorization: Bearer）的监控抓取开放。用 python3 -c 'import secrets; "
                        "print(secrets.token_urlsafe(32))' 生成一个并设置，并在 Prometheus 中配置同一令牌。")
    return problems


def refuse_unsafe_production(cfg: dict) -> None:
    if cfg.get("PRODUCTION") and (problems := production_problems(cfg)):
        raise ConfigError("PUFA_ENV=production，但配置不安全，拒绝启动：\n" + "\n".join(f"- {p}" for p in problems))
