"""WeChat login over real HTTP against a fake WeChat server on loopback."""
import pytest

from accounts.models import User
from accounts.wechat import WeChatClient
from core.domain_errors import Unavailable
from core.extensions import db


def test_login_exchanges_code_and_keeps_session_key_on_server(api, wechat):
    r = api.post("/auth/login", json={"code": "abc123"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["token"] and body["expires_in"] > 0
    assert "session_key" not in r.get_data(as_text=True) and "sk-abc123" not in r.get_data(as_text=True)
    user = db.session.get(User, body["user"]["id"])
    assert user.openid == "o-abc123" and user.session_key == "sk-abc123-secret"
    assert wechat.requests[0]["js_code"] == "abc123"
    # The same WeChat user logging in again is the same account.
    again = api.post("/auth/login", json={"code": "abc123"}).get_json()
    assert again["user"]["id"] == body["user"]["id"]


@pytest.mark.parametrize("errcode,status,code", [
    (40029, 401, "invalid_code"), (40163, 401, "invalid_code"),
    (45011, 503, "wechat_busy"), (-1, 503, "wechat_busy"), (40226, 403, "login_blocked"),
])
def test_wechat_errors_are_mapped_to_clear_answers(api, wechat, errcode, status, code):
    wechat.on("bad", body={"errcode": errcode, "errmsg": "nope"})
    r = api.post("/auth/login", json={"code": "bad"})
    assert r.status_code == status
    assert r.get_json()["code"] == code
    assert r.get_json()["message"]  # a Chinese sentence for the phone to show
    assert db.session.query(User).count() == 0


def test_wechat_server_error_or_garbage_is_retryable_or_upstream_error(api, wechat):
    wechat.on("down", status=502, body="<html>bad gateway</html>")
    assert api.post("/auth/login", json={"code": "down"}).status_code == 503
    wechat.on("garbage", status=200, body="not json")
    r = api.post("/auth/login", json={"code": "garbage"})
    assert r.status_code == 502 and r.get_json()["code"] == "wechat_error"


def test_unreachable_wechat_is_503(app):
    # Nothing listens on this port: the client must say "try again", not crash.
    client = WeChatClient("a", "b", "http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(Unavailable) as err:
        client.code_to_session("x")
    assert err.value.code == "wechat_unavailable"


def test_dev_login_refused_when_credentials_configured(api, wechat):
    # With credentials set, a code is always checked with WeChat; an unknown code fails there.
    wechat.on("demo-resident", body={"errcode": 40029, "errmsg": "invalid code"})
    assert api.post("/auth/login", json={"code": "demo-resident"}).status_code == 401


def test_dev_login_same_code_same_user(api):
    a = api.post("/auth/login", json={"code": "demo-x"}).get_json()
    b = api.post("/auth/login", json={"code": "demo-x"}).get_json()
    assert a["user"]["id"] == b["user"]["id"]
    assert api.post("/auth/login", json={"code": "demo-y"}).get_json()["user"]["id"] != a["user"]["id"]


def test_longest_allowed_dev_code_logs_in_and_longer_is_422(api):
    assert api.post("/auth/login", json={"code": "0" * 128}).status_code == 200
    r = api.post("/auth/login", json={"code": "0" * 129})
    assert r.status_code == 422 and "code" in r.get_json()["details"]


def _configured_everywhere(app) -> dict[str, bool]:
    """Whether each of login, `flask doctor` and the production check takes WeChat as configured."""
    from accounts.services import dev_login_enabled
    from core import config, doctor

    return {
        "login": not dev_login_enabled(),
        "doctor": doctor._checkin_code().detail.startswith("小程序码"),
        "production": not any("WECHAT_APPID" in p for p in config.production_problems({**app.config, "PRODUCTION": True})),
    }


@pytest.mark.parametrize("appid,secret", [("wx-app", ""), ("", "s3cret"), ("", ""), ("wx-app", "  "), (" ", "s3cret")])
def test_a_blank_credential_is_not_configured_for_login_doctor_or_production(api, app, monkeypatch, appid, secret):
    monkeypatch.setitem(app.config, "WECHAT_APPID", appid)
    monkeypatch.setitem(app.config, "WECHAT_SECRET", secret)
    assert _configured_everywhere(app) == {"login": False, "doctor": False, "production": False}
    # Development: the code itself names the user, WeChat is never asked.
    r = api.post("/auth/login", json={"code": "demo-blank"})
    assert r.status_code == 200 and db.session.get(User, r.get_json()["user"]["id"]).openid == "dev:demo-blank"
    monkeypatch.setitem(app.config, "WECHAT_APPID", "wx-app")
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "s3cret")
    assert _configured_everywhere(app) == {"login": True, "doctor": True, "production": True}


@pytest.mark.parametrize("verdict", [True, False])
def test_login_doctor_and_production_all_ask_wechat_configured(app, monkeypatch, verdict):
    # One rule: whatever accounts.wechat.configured says, each of them says too.
    from accounts import wechat

    monkeypatch.setitem(app.config, "WECHAT_APPID", "" if verdict else "wx-app")
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "" if verdict else "s3cret")
    monkeypatch.setattr(wechat, "configured", lambda cfg=None: verdict)
    assert _configured_everywhere(app) == {"login": verdict, "doctor": verdict, "production": verdict}
