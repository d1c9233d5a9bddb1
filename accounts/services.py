"""Login, profile and org units."""
from flask import current_app
from sqlalchemy import select, update

from accounts import wechat
from accounts.models import OrgUnit, User
from accounts.wechat import WeChatClient
from core.domain_errors import Invalid, Unauthenticated
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes
from points.models import PointsTally

DEV_OPENID_PREFIX = "dev:"


def wechat_client() -> WeChatClient:
    app = current_app
    client = app.extensions.get("pufa_wechat")
    if client is None:
        cfg = app.config
        client = WeChatClient(cfg["WECHAT_APPID"], cfg["WECHAT_SECRET"], cfg["WECHAT_API_BASE"], cfg["WECHAT_TIMEOUT"])
        app.extensions["pufa_wechat"] = client
    return client


def dev_login_enabled() -> bool:
    """Development only: never in production, whatever else is set."""
    return not current_app.config["PRODUCTION"] and not wechat.configured()


@writes
def login(code: str) -> User:
    """Exchange a wx.login code for our user, creating the user on first login."""
    if dev_login_enabled():
        # Development: the code itself names the user, so a demo login is repeatable.
        openid, session_key = DEV_OPENID_PREFIX + code, None
    else:
        session = wechat_client().code_to_session(code)
        openid, session_key = session.openid, session.session_key
    user = db.session.scalar(select(User).where(User.openid == openid))
    if user is None:
        user = User(openid=openid, nickname=f"学法用户{openid[-4:]}")
        db.session.add(user)
    user.session_key = session_key
    user.last_login_at = utcnow()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise Unauthenticated("登录已失效，请重新登录。")
    return user


@writes
def update_profile(user: User, changes: dict) -> User:
    if "org_unit_id" in changes:
        unit_id = changes["org_unit_id"]
        if unit_id is not None and db.session.get(OrgUnit, unit_id) is None:
            raise Invalid("所选单位不存在。", {"org_unit_id": ["所选单位不存在。"]})
        move_to_unit(user, unit_id)
    for field in ("nickname", "avatar_url", "real_name"):
        if field in changes:
            setattr(user, field, changes[field])
    return user


def move_to_unit(user: User, unit_id: int | None) -> None:
    """Put the person in another unit; the unit's leaderboard follows them."""
    if unit_id != user.org_unit_id:
        db.session.execute(update(PointsTally).where(PointsTally.user_id == user.id).values(org_unit_id=unit_id))
        user.org_unit_id = unit_id

