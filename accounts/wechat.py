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
