"""The projector's code opens the mini-program from WeChat's 扫一扫: a mini-program code
fetched with a shared, cached access token (against the fake WeChat server on loopback),
else a link QR to /c/<token>; the bare token only in development."""
import os
import threading
import uuid

import pytest
import redis

from accounts import wechat as wechat_api
from accounts.services import wechat_client
from admin.events import qr_svg
from core import create_app
from tests.accounts.fake_wechat import FakeWeChat
from tests.admin.conftest import login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE = "https://pufa.example.gov.cn"
CODE_KEYS = ("pufa_wechat_token", "pufa_wxacodes")
SETTINGS = ("PUBLIC_BASE_URL", "PRODUCTION", "REDIS_URL", "CHECKIN_PAGE", "WXACODE_ENV_VERSION")


@pytest.fixture
def projector(app, client, make):
    """A signed-in admin's client and `state(event)`, the projector's state.json; the
    settings and the process's caches of codes and access tokens are restored after."""
    saved = {k: app.config[k] for k in SETTINGS}
    app.config.update(WTF_CSRF_ENABLED=False, PUBLIC_BASE_URL="", REDIS_URL=None, CHECKIN_PAGE="pages/checkin/checkin",
                      WXACODE_ENV_VERSION="trial")
    for key in CODE_KEYS:
        app.extensions.pop(key, None)
    login(client, make.admin("admin"))
    client.state = lambda event: client.get(f"/admin/events/projector/{event.id}/state.json").get_json()
    yield client
    app.config.update(saved, WTF_CSRF_ENABLED=True)
    for key in CODE_KEYS:
        app.extensions.pop(key, None)


def _calls(fake, path):
    return [r for r in fake.requests if r["path"] == path]


def test_the_projector_shows_a_mini_program_code_fetched_with_one_cached_token(projector, wechat, make):
    first, second = make.event(title="民法典进村宣讲"), make.event(title="宪法宣传周")
    state = projector.state(first)
    assert state["notice"] == ""
    image_url = f"/admin/events/projector/{first.id}/code?t={state['token']}"
    assert f'<image href="{image_url}"' in state["svg"]
    image = projector.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == FakeWeChat.wxacode_image(
        {"scene": state["token"], "page": "pages/checkin/checkin", "check_path": False, "env_version": "trial"})
    assert "private" in image.headers["Cache-Control"]
    # The page itself shows the same code, and the next event's code reuses the token.
    assert image_url in projector.get(f"/admin/events/projector/{first.id}").get_data(as_text=True)
    assert f"/projector/{second.id}/code?t=" in projector.state(second)["svg"]
    assert len(_calls(wechat, "/cgi-bin/stable_token")) == 1
    assert _calls(wechat, "/cgi-bin/stable_token")[0]["body"] == {
        "grant_type": "client_credential", "appid": wechat.appid, "secret": wechat.secret, "force_refresh": False}
    codes = _calls(wechat, "/wxa/getwxacodeunlimit")
    assert len(codes) == 2 and {c["access_token"] for c in codes} == {"at-1"}


def test_the_code_image_is_only_for_a_genuine_token_of_that_event(projector, wechat, make):
    event, other = make.event(), make.event()
    token = projector.state(other)["token"]
    assert projector.get(f"/admin/events/projector/{event.id}/code?t={token}").status_code == 404
    assert projector.get(f"/admin/events/projector/{event.id}/code?t=forged").status_code == 404


def test_an_access_token_is_refreshed_five_minutes_before_it_expires(projector, wechat, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(wechat_api.time, "monotonic", lambda: clock[0])
    assert wechat_client().access_token() == "at-1"
    clock[0] += 7200 - 300 - 1
    assert wechat_client().access_token() == "at-1"
    clock[0] += 1
    assert wechat_client().access_token() == "at-2"
    assert len(_calls(wechat, "/cgi-bin/stable_token")) == 2


def test_a_token_wechat_no_longer_accepts_is_replaced_and_the_code_fetched(projector, wechat, make):
    assert wechat_client().access_token() == "at-1"
    wechat.revoked.add("at-1")  # e.g. someone force-refreshed it from another server
    state = projector.state(make.event())
    assert state["notice"] == "" and "<image" in state["svg"]
    assert [c["access_token"] for c in _calls(wechat, "/wxa/getwxacodeunlimit")] == ["at-1", "at-2"]


def test_a_wechat_error_shows_in_chinese_and_falls_back_to_the_link_qr(app, projector, wechat, make):
    app.config["PUBLIC_BASE_URL"] = BASE
    wechat.wxacode_reply = {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
    event = make.event()
    state = projector.state(event)
    assert state["svg"] == qr_svg(f"{BASE}/c/{state['token']}")
    assert "小程序码暂时无法生成" in state["notice"] and "45009" in state["notice"] and "已改用链接二维码" in state["notice"]
    page = projector.get(f"/admin/events/projector/{event.id}").get_data(as_text=True)
    assert "已改用链接二维码" in page
    # Asked once for this token, not on every poll of the projector.
    assert len(_calls(wechat, "/wxa/getwxacodeunlimit")) == 1


def test_without_credentials_the_link_qr_opens_the_mini_program(app, projector, make):
    app.config["PUBLIC_BASE_URL"] = BASE
    state = projector.state(make.event())
    assert state["svg"] == qr_svg(f"{BASE}/c/{state['token']}") and state["notice"] == ""


@pytest.mark.parametrize("wechat_fails", [False, True])
def test_production_never_shows_a_bare_token(app, projector, make, wechat_fails, request):
    if wechat_fails:  # credentials set, WeChat refusing, no PUBLIC_BASE_URL to fall back on
        request.getfixturevalue("wechat").wxacode_reply = {"errcode": -1, "errmsg": "system error"}
    app.config["PRODUCTION"] = True
    event = make.event()
    state = projector.state(event)
    assert state["svg"] == ""
    assert "PUBLIC_BASE_URL" in state["notice"] and "WECHAT_APPID" in state["notice"]
    page = projector.get(f"/admin/events/projector/{event.id}").get_data(as_text=True)
    assert qr_svg(state["token"]) not in page and "请设置" in page


def test_development_without_settings_shows_the_bare_token_and_says_so(projector, make):
    state = projector.state(make.event())
    assert state["svg"] == qr_svg(state["token"]) and "开发模式" in state["notice"]


def test_the_link_page_tells_a_browser_to_scan_with_wechat(client):
    r = client.get("/c/AAAAAQAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 200 and "微信" in r.get_data(as_text=True) and "扫一扫" in r.get_data(as_text=True)
    assert "AAAAAQ" not in r.get_data(as_text=True) and r.headers["Cache-Control"] == "no-store"


def _worker(fake):
    """An app server of its own (its own process state), sharing Redis with the others."""
    return create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test-secret-key-not-for-production",
        "REDIS_URL": REDIS_URL, "WECHAT_APPID": fake.appid, "WECHAT_SECRET": fake.secret,
        "WECHAT_API_BASE": fake.base_url, "WECHAT_TIMEOUT": 2.0,
    })


def test_workers_sharing_redis_fetch_the_access_token_once():
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
    appid = f"wx-test-{uuid.uuid4().hex[:12]}"  # a key of its own: test runs side by side share nothing
    key = f"pufa:wechat:access_token:{appid}"
    with FakeWeChat(appid=appid) as fake:
        fake.token_delay = 0.5  # both workers ask while the first fetch is on its way
        workers, got = [_worker(fake), _worker(fake)], []

        def ask(worker):
            with worker.app_context():
                got.append(wechat_client().access_token())

        try:
            threads = [threading.Thread(target=ask, args=(w,)) for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            assert got == ["at-1", "at-1"]
            assert len(_calls(fake, "/cgi-bin/stable_token")) == 1
            assert 7200 - 300 - 5 <= server.ttl(key) <= 7200 - 300  # replaced 5 minutes before WeChat's expiry
            # Expired in Redis: the next worker to ask fetches a new one for all.
            server.delete(key)
            with workers[1].app_context():
                assert wechat_client().access_token() == "at-2"
            with workers[0].app_context():
                assert wechat_client().access_token() == "at-2"
            assert len(_calls(fake, "/cgi-bin/stable_token")) == 2
        finally:
            server.delete(key, key + ":lock")
