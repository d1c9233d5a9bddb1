"""What the projector shows for a check-in token, so that WeChat's own 扫一扫 opens the
mini-program: a mini-program code (wxacode.getUnlimited, scene = the token) when WeChat
credentials are set; else a link QR to {PUBLIC_BASE_URL}/c/<token> for WeChat's
扫普通链接二维码打开小程序; the bare token only in development. The code is asked of
WeChat through the one WeChat client (accounts.wechat), with its shared access token."""
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from accounts import wechat
from accounts.services import wechat_client

CODES_KEPT = 64  # mini-program codes kept per process, by token (one per projector period)
CODE_PIXELS = 430  # wxacode.getUnlimited's default width


@dataclass
class ProjectorCode:
    """What the projector shows: a mini-program code's image, or a QR of `qr_text`,
    and `notice`, Chinese text for the hall ("" when all is well)."""
    notice: str = ""
    qr_text: str = ""
    image_url: str = ""

    def markup(self, draw_qr) -> str:
        """The code's box as inline SVG; `draw_qr(text)` draws a QR (the projector's own)."""
        if self.image_url:
            # An <svg> with only a viewBox, like the QR's, so the projector's layout applies unchanged.
            return Markup(
                f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CODE_PIXELS} {CODE_PIXELS}" role="img">'
                f'<title>微信小程序码</title><image href="{escape(self.image_url)}" width="{CODE_PIXELS}" '
                f'height="{CODE_PIXELS}"/></svg>'
            )
        return draw_qr(self.qr_text) if self.qr_text else ""


def projector_code(token: str, image_url: str) -> ProjectorCode:
    """The projector's code for `token`; `image_url` serves its mini-program code (`code_image`)."""
    cfg = current_app.config
    notice = ""
    if wechat.configured():
        found = _code(token)
        if isinstance(found, tuple):
            return ProjectorCode(image_url=image_url)
        notice = f"小程序码暂时无法生成（{found}），已改用链接二维码。"
    if cfg["PUBLIC_BASE_URL"]:
        return ProjectorCode(notice, qr_text=link_url(token))
    if cfg["PRODUCTION"]:
        return ProjectorCode(notice + "无法显示签到二维码：请设置 WECHAT_APPID 和 WECHAT_SECRET（显示小程序码），"
                                      "或设置 PUBLIC_BASE_URL（显示扫码打开小程序的链接二维码）。")
    return ProjectorCode(notice + "开发模式：二维码里是签到码本身，微信扫一扫打不开小程序。", qr_text=token)


def code_image(token: str) -> tuple[bytes, str] | None:
    """The mini-program code of `token` as (image, content type); None if WeChat refused."""
    found = _code(token)
    return found if isinstance(found, tuple) else None


def link_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/c/{token}"


def _code(token: str):
    found = _codes().get(token)
    return _fetch_code(token) if found is None else found


class _Codes:
    """Codes fetched in this process, by token: (image, type), or the Chinese reason
    WeChat refused, so a failing token is asked about once, not on every poll."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: OrderedDict[str, tuple[bytes, str] | str] = OrderedDict()

    def get(self, token):
        with self.lock:
            return self.items.get(token)

    def put(self, token, value):
        with self.lock:
            self.items[token] = value
            while len(self.items) > CODES_KEPT:
                self.items.popitem(last=False)


def _codes() -> _Codes:
    return current_app.extensions.setdefault("pufa_wxacodes", _Codes())


def _fetch_code(token: str):
    cfg = current_app.config
    try:
        found = wechat_client().unlimited_code(token, cfg["CHECKIN_PAGE"], cfg["WXACODE_ENV_VERSION"])
    except wechat.WeChatError as error:
        current_app.logger.warning("wxacode for the projector failed: %s (%s)", error.message, error.errmsg)
        found = error.message.rstrip("。")  # said in the notice's brackets
    _codes().put(token, found)
    return found
