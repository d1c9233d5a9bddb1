"""What the projector shows for a check-in token, so that WeChat's own 扫一扫 opens the
mini-program: a mini-program code (wxacode.getUnlimited, scene = the token) when WeChat
credentials are set; else a link QR to {PUBLIC_BASE_URL}/c/<token> for WeChat's
扫普通链接二维码打开小程序; the bare token only in development.

The access token for WeChat's server API is fetched with getStableAccessToken and
cached once for all workers, refreshed REFRESH_EARLY seconds before it expires:
- with REDIS_URL, in Redis, fetched under a Redis lock so one worker asks at a time;
- without it (the single-process SQLite default), in the process. That is correct even
  if someone runs several processes: in its normal mode (force_refresh false) the stable
  token API gives every caller the same token while it is valid, so no process's copy
  invalidates another's; each process merely asks once every two hours."""
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from accounts import wechat
from accounts.services import wechat_client

REFRESH_EARLY = 5 * 60  # seconds before WeChat's expiry that a cached token is replaced
CODES_KEPT = 64  # mini-program codes kept per process, by token (one per projector period)
CODE_PIXELS = 430  # wxacode.getUnlimited's default width


def wechat_configured() -> bool:
    cfg = current_app.config
    return bool(cfg["WECHAT_APPID"] and cfg["WECHAT_SECRET"])


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
    if wechat_configured():
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
    client = wechat_client()
    try:
        for attempt in (1, 2):
            access = access_token()
            try:
                found = wechat.unlimited_code(client, access, token, cfg["CHECKIN_PAGE"], cfg["WXACODE_ENV_VERSION"])
                break
            except wechat.WeChatApiError as error:
                if error.errcode not in wechat.STALE_ACCESS_TOKEN or attempt == 2:
                    raise
                _tokens().forget(access)
    except wechat.WeChatApiError as error:
        current_app.logger.warning("wxacode for the projector failed: %s", error.message)
        found = error.message
    _codes().put(token, found)
    return found


def access_token() -> str:
    """A valid access token for WeChat's server API, from the shared cache or fetched."""
    return _tokens().get()


def _tokens():
    app = current_app
    store = app.extensions.get("pufa_wechat_token")
    if store is None:
        cfg = app.config
        lock_seconds = 2 * cfg["WECHAT_TIMEOUT"] + 1  # connect and read each get the timeout
        key = f"pufa:wechat:access_token:{cfg['WECHAT_APPID']}"
        if cfg.get("REDIS_URL"):
            store = _RedisTokens(cfg["REDIS_URL"], key, lock_seconds)
        else:
            store = _ProcessTokens(lock_seconds)
        app.extensions["pufa_wechat_token"] = store
    return store


def _fetch_token() -> tuple[str, int]:
    """(token, seconds to keep it): WeChat's lifetime less REFRESH_EARLY."""
    got = wechat.stable_access_token(wechat_client())
    return got.token, max(60, got.expires_in - REFRESH_EARLY)


class _ProcessTokens:
    def __init__(self, lock_seconds: float):
        self.lock, self.lock_seconds = threading.Lock(), lock_seconds
        self.token, self.until = "", 0.0

    def _valid(self) -> str:
        return self.token if time.monotonic() < self.until else ""

    def get(self) -> str:
        if token := self._valid():
            return token
        if not self.lock.acquire(timeout=self.lock_seconds):
            raise wechat.WeChatApiError("获取微信接口凭证超时")
        try:
            if token := self._valid():  # another thread fetched it while we waited
                return token
            token, keep = _fetch_token()
            self.token, self.until = token, time.monotonic() + keep
            return token
        finally:
            self.lock.release()

    def forget(self, token: str) -> None:
        if self.token == token:
            self.until = 0.0


class _RedisTokens:
    def __init__(self, url: str, key: str, lock_seconds: float):
        import redis

        self.redis, self.key, self.lock_seconds = redis.Redis.from_url(url), key, lock_seconds
        self.errors = (redis.RedisError,)

    def _cached(self) -> str:
        value = self.redis.get(self.key)
        return value.decode() if value else ""

    def get(self) -> str:
        from redis.exceptions import LockError

        try:
            if token := self._cached():
                return token
            # One worker fetches; the others wait for it, at most as long as a fetch may
            # take, and the lock expires by itself if its holder dies mid-fetch.
            lock = self.redis.lock(self.key + ":lock", timeout=self.lock_seconds, blocking_timeout=self.lock_seconds)
            try:
                with lock:
                    if token := self._cached():  # fetched by the worker we waited for
                        return token
                    token, keep = _fetch_token()
                    self.redis.set(self.key, token, ex=keep)
                    return token
            except LockError:
                if token := self._cached():
                    return token
                raise wechat.WeChatApiError("获取微信接口凭证超时")
        except self.errors:
            current_app.logger.warning("Redis unreachable for the WeChat access token", exc_info=True)
            raise wechat.WeChatApiError("缓存服务（Redis）无法连接")

    def forget(self, token: str) -> None:
        try:
            if self._cached() == token:
                self.redis.delete(self.key)
        except self.errors:
            pass
