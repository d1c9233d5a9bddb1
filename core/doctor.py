"""`flask doctor`: checks a deployment and says, in Chinese, what to fix."""
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from accounts import wechat
from accounts.services import dev_login_enabled
from core import config
from core.extensions import db

CLOCK_TOLERANCE_SECONDS = 60


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # what was found, and when not ok, the fix


def run_checks() -> list[Check]:
    return [*_configuration(), *_database(), _uploads(), _font(), _redis(), _checkin_code(), _time_zone()]


def _configuration() -> list[Check]:
    cfg = current_app.config
    if not cfg["PRODUCTION"]:
        login = ("未设置微信凭据，开发登录已开启：任何人用任意登录码即可登录，仅供演示" if dev_login_enabled() else
                 "已设置微信凭据，用微信登录（开发登录已关闭）")
        return [Check("运行模式", True, f"开发模式：{login}。上线前请设置 PUFA_ENV=production。")]
    problems = config.production_problems(cfg)
    return [Check("生产配置", False, p) for p in problems] or [
        Check("生产配置", True, "SECRET_KEY、微信凭据、数据库、Redis 与监控令牌均已按生产要求设置。")]


def _database() -> list[Check]:
    try:
        with db.engine.connect() as conn:
            db_now = conn.execute(text("SELECT CURRENT_TIMESTAMP")).scalar()
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # any driver error means "cannot reach it"
        return [Check("数据库连接", False, f"无法连接 {db.engine.url.render_as_string(hide_password=True)}：{type(exc).__name__}。"
                                       "请检查 DATABASE_URL 和数据库服务是否在运行。")]
    heads = set(ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads())
    migrated = Check("数据库结构", current == heads,
                     f"已是最新版本（{', '.join(sorted(heads))}）。" if current == heads else
                     f"数据库版本 {', '.join(sorted(current)) or '无'}，代码需要 {', '.join(sorted(heads))}：请运行 flask db upgrade。")
    return [Check("数据库连接", True, db.engine.url.render_as_string(hide_password=True)), migrated, _clock(db_now)]


def _clock(db_now) -> Check:
    """The app's clock against the database's: deadlines and check-in codes need both right."""
    if isinstance(db_now, str):  # SQLite answers text, in UTC
        db_now = datetime.fromisoformat(db_now)
    if db_now.tzinfo is None:
        db_now = db_now.replace(tzinfo=timezone.utc)
    drift = abs(time.time() - db_now.timestamp())
    if drift > CLOCK_TOLERANCE_SECONDS:
        return Check("时钟", False, f"本机时钟与数据库相差 {drift:.0f} 秒：请在两台机器上开启 NTP 时间同步（timedatectl set-ntp true）。")
    return Check("时钟", True, f"本机与数据库时钟相差 {drift:.0f} 秒。")


def _uploads() -> Check:
    path = current_app.config["UPLOAD_DIR"]
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Check("上传目录", False, f"{path} 不可写（{exc.strerror}）：请创建该目录并让运行本服务的用户可写，或设置 UPLOAD_DIR。")
    return Check("上传目录", True, f"{path} 可写。")


def _font() -> Check:
    font = current_app.config["CERT_FONT"]
    if os.path.isfile(font):
        from quiz_bank.exams.certificates import common_font_path

        if os.path.exists(common_font_path()):
            return Check("证书字体", True, f"{font}（常用字版本已裁剪好）")
        return Check("证书字体", True, f"{font}（常用字版本尚未裁剪：部署时请运行 flask exams cut-font，否则第一张证书会在服务进程里裁剪，该进程多占约 56 MB 内存）")
    return Check("证书字体", False, f"找不到 {font}，证书无法显示中文：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）或设置 CERT_FONT。")


def _checkin_code() -> Check:
    """What the projector can show (activities.checkin_codes): a mini-program code needs
    WeChat's credentials; the link QR, its fallback when WeChat refuses, PUBLIC_BASE_URL."""
    cfg = current_app.config
    code = wechat.configured()  # a mini-program code
    base = cfg.get("PUBLIC_BASE_URL")
    if code and base:
        return Check("签到二维码", True, "小程序码；微信出错时改用链接二维码。")
    if code:
        return Check("签到二维码", True, "小程序码。未设置 PUBLIC_BASE_URL：微信生成小程序码出错时，投屏上将没有可扫的二维码，建议设置。")
    if base:
        return Check("签到二维码", True, "链接二维码（微信“扫普通链接二维码打开小程序”）。")
    if cfg["PRODUCTION"]:
        return Check("签到二维码", False, "未设置微信凭据或 PUBLIC_BASE_URL：投屏上没有可扫的签到二维码。")
    return Check("签到二维码", True, "开发模式：投屏显示签到码本身（仅供测试）。")


def _redis() -> Check:
    url = current_app.config["REDIS_URL"]
    if not url:
        return Check("Redis", True, "未配置：访问频率限制计在各进程内存中（多台应用服务器时请配置 REDIS_URL）。")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return Check("Redis", False, f"无法连接 REDIS_URL（{type(exc).__name__}）：请检查 Redis 服务是否在运行、地址和密码是否正确。")
    return Check("Redis", True, "可以连接。")


def _time_zone() -> Check:
    name = current_app.config["TIMEZONE"]
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return Check("时区", False, f"无法识别时区“{name}”：请把 TIMEZONE 设为 Asia/Shanghai，并安装 tzdata。")
    return Check("时区", True, f"{name}，当地时间 {datetime.now(zone):%Y-%m-%d %H:%M}。")
