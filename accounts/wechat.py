"""A real HTTP client for WeChat's jscode2session (mini-program login)."""
from dataclasses import dataclass

from core.domain_errors import Forbidden, Unauthenticated, Unavailable, UpstreamFailed

# errcodes that mean "this code is no good": invalid, or already used.
INVALID_CODE = {40029, 40163}
# WeChat is busy or we are over quota: the phone should retry.
RETRY_LATER = {-1, 45009, 45011}
# WeChat flags the user as high risk and refuses the login.
BLOCKED = {40226}


@dataclass
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None = None


class WeChatClient:
    def __init__(self, appid: str, secret: str, api_base: str, timeout: float = 5.0):
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        import requests  # about 5 MB: loaded with the first login, not by every worker at start-up

        self.http = requests.Session()

    def code_to_session(self, code: str) -> WeChatSession:
        import requests

        params = {"appid": self.appid, "secret": self.secret, "js_code": code, "grant_type": "authorization_code"}
        try:
            resp = self.http.get(f"{self.api_base}/sns/jscode2session", params=params, timeout=self.timeout)
        except requests.RequestException:
            raise Unavailable("暂时无法连接微信服务，请稍后重试。", code="wechat_unavailable")
        if resp.status_code >= 500 or resp.status_code == 429:
            raise Unavailable("微信服务繁忙，请稍后重试。", code="wechat_unavailable")
        try:
            data = resp.json()
        except ValueError:
            raise UpstreamFailed("微信服务返回了无法识别的内容，请稍后重试。", code="wechat_error")
        errcode = data.get("errcode") or 0
        if errcode in INVALID_CODE:
            raise Unauthenticated("登录凭证无效或已使用，请重新登录。", {"errcode": errcode}, code="invalid_code")
        if errcode in RETRY_LATER:
            raise Unavailable("微信服务繁忙，请稍后重试。", {"errcode": errcode}, code="wechat_busy")
        if errcode in BLOCKED:
            raise Forbidden("微信判定当前账号存在风险，暂时无法登录。", {"errcode": errcode}, code="login_blocked")
        if errcode or not data.get("openid") or not data.get("session_key"):
            raise UpstreamFailed("微信登录失败，请稍后重试。", {"errcode": errcode}, code="wechat_error")
        return WeChatSession(openid=data["openid"], session_key=data["session_key"], unionid=data.get("unionid"))


# The access token WeChat no longer accepts (invalid, expired, or not the latest):
# fetch a fresh one and try once more.
STALE_ACCESS_TOKEN = {40001, 40014, 42001}


class WeChatApiError(Exception):
    """WeChat refused a server-side call; `message` is Chinese, for the screen."""

    def __init__(self, message: str, errcode: int | None = None):
        super().__init__(message)
        self.message, self.errcode = message, errcode


@dataclass
class AccessToken:
    token: str
    expires_in: int  # seconds, as WeChat says (7200)


def _post(client: "WeChatClient", path: str, **kwargs):
    import requests

    try:
        resp = client.http.post(f"{client.api_base}{path}", timeout=client.timeout, **kwargs)
    except requests.RequestException:
        raise WeChatApiError("暂时无法连接微信服务")
    if resp.status_code >= 400:
        raise WeChatApiError(f"微信服务返回 HTTP {resp.status_code}")
    return resp


def _errcode_error(data: dict, what: str) -> WeChatApiError:
    errcode = data.get("errcode")
    return WeChatApiError(f"{what}失败，微信错误码 {errcode}：{data.get('errmsg') or '未知错误'}", errcode)


def _json(resp) -> dict:
    try:
        data = resp.json()
    except ValueError:
        raise WeChatApiError("微信服务返回了无法识别的内容")
    if not isinstance(data, dict):
        raise WeChatApiError("微信服务返回了无法识别的内容")
    return data


def stable_access_token(client: "WeChatClient") -> AccessToken:
    """getStableAccessToken in its normal mode (force_refresh false): while a token is
    valid WeChat hands every caller the same one, so a second caller invalidates nothing."""
    resp = _post(client, "/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": client.appid, "secret": client.secret, "force_refresh": False,
    })
    data = _json(resp)
    if data.get("errcode") or not data.get("access_token"):
        raise _errcode_error(data, "获取微信接口凭证")
    return AccessToken(data["access_token"], int(data.get("expires_in") or 7200))


def unlimited_code(client: "WeChatClient", access_token: str, scene: str, page: str, env_version: str) -> tuple[bytes, str]:
    """wxacode.getUnlimited: the mini-program code opening `page` with `scene`, as
    (image bytes, content type). check_path is false so a trial or development build's
    page works before release."""
    resp = _post(client, "/wxa/getwxacodeunlimit", params={"access_token": access_token}, json={
        "scene": scene, "page": page, "check_path": False, "env_version": env_version,
    })
    mimetype = resp.headers.get("Content-Type", "").split(";")[0].strip()
    if mimetype.startswith("image/"):
        return resp.content, mimetype
    # Failures come back as JSON (sometimes labelled text/plain).
    raise _errcode_error(_json(resp), "生成小程序码")
