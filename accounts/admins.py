"""Admin accounts for the panel: passwords, the optional TOTP second step, sessions."""
import hmac
import time

import pyotp
from flask import current_app
from sqlalchemy import select

from accounts import audit
from accounts.models import ADMIN_ROLES, AdminUser, OrgUnit
from core.extensions import db
from core.ratelimit import limiter
from core.transactions import writes, writing

PASSWORD_MIN_LENGTH = 10
TOTP_ISSUER = "普法积分管理后台"


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password may not be used (Chinese), or None. zxcvbn knows the common
    passwords, keyboard walks, dates and names that a guesser tries first."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"密码至少 {PASSWORD_MIN_LENGTH} 位。"
    from zxcvbn import zxcvbn  # heavy (its word lists, ~12 MB): imported where used

    if zxcvbn(password[:100], user_inputs=[username, "pufa", "admin"])["score"] < 3:
        return "密码太常见或太容易猜到，请换一个更长、更不规则的密码（例如几个词加数字组合）。"
    return None


@writes
def create_admin(username: str, password: str, role: str = "admin", town: str | None = None) -> AdminUser:
    """Create an account (or reset its password and role). `town`: the name of the town
    whose staff it is; None leaves an existing account's town and makes a new one
    district staff (accounts.tenancy)."""
    if role not in ADMIN_ROLES:
        raise ValueError(f"角色须为 {'、'.join(ADMIN_ROLES)} 之一。")
    if problem := password_problem(password, username):
        raise ValueError(problem)
    found = None
    if town is not None:
        found = db.session.scalar(select(OrgUnit).where(OrgUnit.kind == "town", OrgUnit.name == town))
        if found is None:
            raise ValueError(f"没有名为“{town}”的镇。")
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    if admin is None:
        admin = AdminUser(username=username)
        db.session.add(admin)
    if found is not None:
        admin.town = found
    admin.role = role
    admin.set_password(password)
    return admin


def authenticate(username: str, password: str) -> AdminUser | None:
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    if admin and admin.active and admin.check_password(password):
        return admin
    return None


# Failed logins allowed before a lockout (settings in core/config.py).
PER_ACCOUNT, PER_ADDRESS = "ADMIN_LOGIN_FAILURES", "ADMIN_LOGIN_FAILURES_PER_ADDRESS"


class LockedOut(Exception):
    """Too many failed logins from this address or for this account."""

    def __init__(self, wait_seconds: int):
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


def sign_in(username: str, password: str, code: str | None, address: str) -> AdminUser | None:
    """The account these credentials open, or None. Failures count per address and per
    account; past either limit LockedOut is raised and not even the right password is
    tried. Every attempt is in the audit log with the address."""
    keys = ((PER_ADDRESS, "admin_login_address", address), (PER_ACCOUNT, "admin_login_account", username.lower()))
    wait = max(limiter.failures_block(*key) for key in keys)
    if wait:
        with writing():
            audit.record(None, "login_locked", "admin_session", "", f"地址 {address} 登录 {username}：失败次数过多，已锁定")
        raise LockedOut(wait)
    admin = authenticate(username, password)  # the slow hash, outside the unit
    with writing():
        if admin and admin.totp_secret and not check_totp(admin, code):
            admin = None
        if admin is None:
            audit.record(None, "login_failed", "admin_session", "", f"地址 {address} 登录 {username}：用户名、密码或验证码错误")
        else:
            audit.record(admin.id, "login", "admin_session", admin.id, f"地址 {address} 登录成功")
    if admin is None:
        for key in keys:
            limiter.count_failure(*key)
    return admin


def second_factor_required(admin: AdminUser) -> bool:
    """With ADMIN_REQUIRE_2FA=1, accounts of the `admin` role must use TOTP."""
    return current_app.config["ADMIN_REQUIRE_2FA"] and admin.role == "admin"


def must_set_up_second_factor(admin: AdminUser) -> bool:
    return second_factor_required(admin) and not admin.totp_secret


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(admin: AdminUser, secret: str) -> str:
    """What the authenticator app scans (otpauth://)."""
    return pyotp.TOTP(secret).provisioning_uri(name=admin.username, issuer_name=TOTP_ISSUER)


def check_totp(admin: AdminUser, code: str, secret: str | None = None) -> bool:
    """A code from the account's authenticator (or `secret`, while it is being set up),
    allowing one step of clock drift either way; each step is accepted once."""
    totp = pyotp.TOTP(secret or admin.totp_secret)
    code = "".join((code or "").split())
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if step > (admin.totp_last_step or 0) and hmac.compare_digest(totp.at(step * totp.interval), code):
            admin.totp_last_step = step
            return True
    return False


def enable_totp(admin: AdminUser, secret: str, code: str) -> bool:
    """Turn the second step on once the person shows a code from the new secret."""
    if not check_totp(admin, code, secret):
        return False
    admin.totp_secret = secret
    return True


def disable_totp(admin: AdminUser) -> None:
    admin.totp_secret = None
    admin.totp_last_step = None


def end_sessions(admin: AdminUser) -> None:
    """Every signed-in browser of this account is signed out at its next request."""
    admin.session_epoch = (admin.session_epoch or 0) + 1
