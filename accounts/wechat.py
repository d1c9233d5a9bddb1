"""The one client of WeChat's server: login (jscode2session), mini-program codes
(wxacode.getUnlimited) and subscription messages (subscribeMessage.send) all go through
WeChatClient, so these live here once:

- the HTTP call (`_request`), with the timeout (connect and read each), and the mapping
  of what went wrong to the app's errors, each with a Chinese message: unreachable or
  busy (a network failure, HTTP 5xx or 429) is WeChatUnavailable, 503 wechat_unavailable
  (try again); an answer we cannot use (another HTTP status, not JSON, an errcode) is
  WeChatFailed, 502 wechat_error. Login gives its own errcodes the contract's answers.
- the server API's access token (getStableAccessToken), cached once for all workers and
  replaced REFRESH_EARLY seconds before it expires: with REDIS_URL in Redis, fetched under
  a Redis lock so one worker asks at a time; without it (the single-process SQLite
  default) in the process. That is correct even if someone runs several processes: in
  its normal mode (force_refresh false) the stable token API gives every caller the same
  token while it is valid, so no process's copy invalidates another's.
- a token WeChat no longer accepts (STALE_ACCESS_TOKEN) is dropped, a fresh one fetched
  and the call made once more (`_post`)."""
import json
import threading
import time
from dataclasses import dataclass

from flask import current_app

from core.domain_errors import DomainError, Forbidden, Unauthenticated, Unavailable, UpstreamFailed

# errcodes that mean "this code is no good": invalid, or already used.
INVALID_CODE = {40029, 40163}
# WeChat is busy or we are over quota: the phone should retry.
RETRY_LATER = {-1, 45009, 45011}
# WeChat flags the user as high risk and refuses the login.
BLOCKED = {40226}
# The access token WeChat no longer accepts (invalid, expired, or not the latest).
STALE_ACCESS_TOKEN = {40001, 40014, 42001}
REFRESH_EARLY = 5 * 60  # seconds before WeChat's expiry that a cached token is replaced


class WeChatError(DomainError):
    """A WeChat call that failed: `message` is Chinese, for the screen; `errcode` is
    WeChat's, when it answered with one; `errmsg` says what went wrong, for records."""

    def __init__(self, message: str, errcode: int | None = None, errmsg: str = "", *, code: str | None = None):
        super().__init__(message, {} if errcode is None else {"errcode": errcode}, code=code)
        self.errcode, self.errmsg = errcode, errmsg or message


class WeChatUnavailable(WeChatError, Unavailable):
    default_code = "wechat_unavailable"


class WeChatNoAnswer(WeChatUnavailable):
    """The request may have reached WeChat, but no answer came (timed out, or the
    connection broke): a call that must not be done twice may have been done."""


class WeChatFailed(WeChatError, UpstreamFailed):
    default_code = "wechat_error"


@dataclass
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None = None


def configured(cfg=None) -> bool:
    """Credentials are set: the server API can be used, and login goes through WeChat.
    The one rule for it (login, the projector, reminders, the production check and
    `flask doctor` all ask here); `cfg`: a configuration not yet an app's (start-up)."""
    cfg = current_app.config if cfg is None else cfg
    # A value of blanks (a stray space in the unit file) is none: production then refuses to
    # start instead of sending every login to WeChat to fail there.
    return all(str(cfg.get(key) or "").strip() for key in ("WECHAT_APPID", "WECHAT_SECRET"))


class WeChatClient:
    def __init__(self, appid: str, secret: str, api_base: str, timeout: float = 5.0):
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        import requests  # about 5 MB: loaded with the first WeChat call, not by every worker at start-up

        self.http = requests.Session()

    def code_to_session(self, code: str) -> WeChatSession:
        params = {"appid": self.appid, "secret": self.secret, "js_code": code, "grant_type": "authorization_code"}
        data = self._json(self._request("GET", "/sns/jscode2session", params=params))
        errcode = data.get("errcode") or 0
        if errcode in INVALID_CODE:
            raise Unauthenticated("登录凭证无效或已使用，请重新登录。", {"errcode": errcode}, code="invalid_code")
        if errcode in RETRY_LATER:
            raise WeChatUnavailable("微信服务繁忙，请稍后重试。", errcode, code="wechat_busy")
        if errcode in BLOCKED:
            raise Forbidden("微信判定当前账号存在风险，暂时无法登录。", {"errcode": errcode}, code="login_blocked")
        if errcode or not data.get("openid") or not data.get("session_key"):
            raise WeChatFailed("微信登录失败，请稍后重试。", errcode or None, str(data.get("errmsg") or ""))
        return WeChatSession(openid=data["openid"], session_key=data["session_key"], unionid=data.get("unionid"))

    def unlimited_code(self, scene: str, page: str, env_version: str) -> tuple[bytes, str]:
        """wxacode.getUnlimited: the mini-program code opening `page` with `scene`, as
        (image bytes, content type). check_path is false so a trial or development
        build's page works before release."""
        body = {"scene": scene, "page": page, "check_path": False, "env_version": env_version}
        resp = self._post("/wxa/getwxacodeunlimit", "生成小程序码", body)
        if not _mimetype(resp).startswith("image/"):
            raise WeChatFailed("生成小程序码失败：微信返回的不是图片", errmsg=f"微信返回 {_mimetype(resp) or '无类型'} 而不是图片")
        return resp.content, _mimetype(resp)

    def send_subscribe_message(self, message: dict) -> None:
        """subscribeMessage.send. WeChatNoAnswer: it may have been delivered, using up one
        of the person's acceptances, so it must not be sent again."""
        self._post("/cgi-bin/message/subscribe/send", "发送订阅消息", message, once=True)

    def access_token(self) -> str:
        """A valid access token for the server API, from the shared cache or fetched."""
        return _tokens(self).get(self._fetch_token)

    def _fetch_token(self) -> tuple[str, int]:
        """getStableAccessToken in its normal mode, as (token, seconds to keep it):
        WeChat's lifetime less REFRESH_EARLY."""
        data = self._json(self._request("POST", "/cgi-bin/stable_token", body={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": False,
        }))
        if data.get("errcode") or not data.get("access_token"):
            raise _refused("获取微信接口凭证", data)
        return data["access_token"], max(60, int(data.get("expires_in") or 7200) - REFRESH_EARLY)

    def _post(self, path: str, what: str, body: dict, once: bool = False):
        """A server API call with the shared access token: the response, an image or
        JSON with no errcode. `what` names the call in Chinese in errors."""
        for attempt in (1, 2):
            token = self.access_token()
            resp = self._request("POST", path, params={"access_token": token}, body=body, once=once)
            if _mimetype(resp).startswith("image/"):
                return resp
            data = self._json(resp)  # failures come back as JSON (sometimes labelled text/plain)
            errcode = data.get("errcode") or 0
            if errcode in STALE_ACCESS_TOKEN and attempt == 1:
                _tokens(self).forget(token)  # WeChat refused it, so did nothing: a fresh token, once more
                continue
            if errcode:
                raise _refused(what, data)
            return resp

    def _request(self, method: str, path: str, params: dict | None = None, body: dict | None = None, once: bool = False):
        """WeChat's HTTP response, or the error it comes to. `once`: the call must not be
        repeated if it may have been done, so a failure after the request may have
        reached WeChat is WeChatNoAnswer, not a plain WeChatUnavailable."""
        import requests

        # Chinese as UTF-8, not \u escapes: what WeChat's own examples send.
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = None if body is None else {"Content-Type": "application/json; charset=utf-8"}
        try:
            resp = self.http.request(method, f"{self.api_base}{path}", params=params, data=data, headers=headers,
                                     timeout=self.timeout)
        except requests.RequestException as error:
            if once and not _never_sent(error):
                raise WeChatNoAnswer("微信服务未及时答复，请稍后查看。",
                                     errmsg=f"请求已发出，微信未在 {self.timeout:g} 秒内答复（{type(error).__name__}），可能已送达")
            raise WeChatUnavailable("暂时无法连接微信服务，请稍后重试。", errmsg=f"无法连接微信服务（{type(error).__name__}）")
        if resp.status_code >= 500 or resp.status_code == 429:
            raise WeChatUnavailable("微信服务繁忙，请稍后重试。", errmsg=f"微信服务返回 HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise WeChatFailed("微信服务返回了无法识别的内容，请稍后重试。", errmsg=f"微信服务返回 HTTP {resp.status_code}")
        return resp

    @staticmethod
    def _json(resp) -> dict:
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("errcode") or 0, int):
            raise WeChatFailed("微信服务返回了无法识别的内容，请稍后重试。", errmsg=f"微信服务返回 HTTP {resp.status_code}，内容无法识别")
        return data


def _never_sent(error) -> bool:
    """The connection was never made (refused, no route, no name, connect timed out):
    WeChat received nothing."""
    import requests
    from urllib3.exceptions import NewConnectionError

    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)


def _mimetype(resp) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip()


def _refused(what: str, data: dict) -> WeChatFailed:
    errcode, errmsg = data.get("errcode"), str(data.get("errmsg") or "")
    return WeChatFailed(f"{what}失败，微信错误码 {errcode}：{errmsg or '未知错误'}", errcode, errmsg)


def _tokens(client: WeChatClient):
    """The app's access-token cache (one for all its clients: it outlives a client)."""
    app = current_app
    store = app.extensions.get("pufa_wechat_token")
    if store is None:
        lock_seconds = 2 * client.timeout + 1  # connect and read each get the timeout
        if app.config.get("REDIS_URL"):
            store = _RedisTokens(app.config["REDIS_URL"], f"pufa:wechat:access_token:{client.appid}", lock_seconds)
        else:
            store = _ProcessTokens(lock_seconds)
        app.extensions["pufa_wechat_token"] = store
    return store


class _ProcessTokens:
    def __init__(self, lock_seconds: float):
        self.lock, self.lock_seconds = threading.Lock(), lock_seconds
        self.token, self.until = "", 0.0

    def _valid(self) -> str:
        return self.token if time.monotonic() < self.until else ""

    def get(self, fetch) -> str:
        if token := self._valid():
            return token
        if not self.lock.acquire(timeout=self.lock_seconds):
            raise WeChatUnavailable("获取微信接口凭证超时，请稍后重试。")
        try:
            if token := self._valid():  # another thread fetched it while we waited
                return token
            token, keep = fetch()
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

    def get(self, fetch) -> str:
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
                    token, keep = fetch()
                    self.redis.set(self.key, token, ex=keep)
                    return token
            except LockError:
                if token := self._cached():
                    return token
                raise WeChatUnavailable("获取微信接口凭证超时，请稍后重试。")
        except self.errors:
            current_app.logger.warning("Redis unreachable for the WeChat access token", exc_info=True)
            raise WeChatUnavailable("缓存服务（Redis）无法连接，请稍后重试。")

    def forget(self, token: str) -> None:
        try:
            if self._cached() == token:
                self.redis.delete(self.key)
        except self.errors:
            pass
