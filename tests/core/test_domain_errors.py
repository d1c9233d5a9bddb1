"""Domain packages raise domain errors; the API and the panel answer them as before."""
import ast
import pathlib
from datetime import timedelta

import pytest

from activities import tokens
from core import domain_errors as kinds
from core.errors import ApiError, STATUS_OF_KIND
from core.extensions import db
from core.timeutil import utcnow
from tests.helpers import app_of_its_own

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOMAIN_PACKAGES = ("accounts", "activities", "points", "quiz_bank")

EXPECTED_STATUS = {
    kinds.Unauthenticated: 401, kinds.Forbidden: 403, kinds.NotFound: 404, kinds.Conflict: 409,
    kinds.Expired: 410, kinds.Invalid: 422, kinds.UpstreamFailed: 502, kinds.Unavailable: 503,
}
HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


def test_every_kind_has_one_status():
    declared = {k for k in vars(kinds).values() if isinstance(k, type) and issubclass(k, kinds.DomainError)} - {kinds.DomainError}
    assert declared == set(kinds.KINDS) == set(STATUS_OF_KIND)
    assert STATUS_OF_KIND == EXPECTED_STATUS


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory):
    """An app with routes that raise a domain error, or the ApiError it stands for,
    under the API and under a panel path."""
    app = app_of_its_own(tmp_path_factory.mktemp("domain_errors"))
    by_name = {kind.__name__: kind for kind in kinds.KINDS}
    details = {"field": ["说明。"]}

    def domain(name):
        raise by_name[name]("出错了。", details, code="some_code")

    def http(name):
        raise ApiError(STATUS_OF_KIND[by_name[name]], "some_code", "出错了。", details)

    for prefix in ("/api/v1/_test", "/admin/_test"):
        app.add_url_rule(f"{prefix}/domain/<name>", f"{prefix}-domain", domain)
        app.add_url_rule(f"{prefix}/http/<name>", f"{prefix}-http", http)
    return app


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("prefix", ["/api/v1/_test", "/admin/_test"])
def test_each_kind_answers_exactly_as_the_api_error_it_replaces(raising_app, kind, prefix):
    client = raising_app.test_client()
    answer = client.get(f"{prefix}/domain/{kind.__name__}")
    before = client.get(f"{prefix}/http/{kind.__name__}")
    assert answer.status_code == EXPECTED_STATUS[kind]
    assert (answer.status_code, answer.content_type, answer.data) == (before.status_code, before.content_type, before.data)
    if prefix.startswith("/api/"):
        assert answer.get_json() == {"code": "some_code", "message": "出错了。", "details": {"field": ["说明。"]}}


def test_a_kind_has_its_default_code():
    assert kinds.NotFound("活动不存在。").code == "not_found"
    assert kinds.Invalid("所选单位不存在。", {"org_unit_id": ["所选单位不存在。"]}).code == "validation_error"
    assert kinds.Conflict("该奖品已兑完。", code="out_of_stock").code == "out_of_stock"


# -- the mini-program sees what it saw before ----------------------------------------


def test_not_found_and_conflicts_keep_their_bodies(api, make):
    me = api.as_user(make.user())
    r = me.post("/redemptions", json={"reward_id": 999999})
    assert (r.status_code, r.get_json()) == (404, {"code": "not_found", "message": "奖品不存在或已下架。", "details": {}})
    r = me.post("/redemptions/999999/cancel")
    assert (r.status_code, r.get_json()) == (404, {"code": "not_found", "message": "兑换记录不存在。", "details": {}})
    r = me.post("/redemptions", json={"reward_id": make.reward(cost=10, stock=5).id})
    assert (r.status_code, r.get_json()) == (409, {"code": "insufficient_points", "message": "积分不足。", "details": {}})
    rich = api.as_user(make.rich_user(50))
    r = rich.post("/redemptions", json={"reward_id": make.reward(cost=10, stock=0).id})
    assert (r.status_code, r.get_json()) == (409, {"code": "out_of_stock", "message": "该奖品已兑完。", "details": {}})


def test_check_in_refusals_keep_their_bodies(api, make, app):
    event = make.event(token_seconds=30)
    me = api.as_user(make.user())
    old = tokens.issue(event.id, 30, utcnow() - timedelta(seconds=30 + app.config["CHECKIN_TOKEN_GRACE_SECONDS"] + 5))[0]
    r = me.post("/checkins", json={"token": old, **HERE})
    assert (r.status_code, r.get_json()) == (410, {"code": "token_expired", "message": "签到码已过期，请扫描大屏上最新的二维码。", "details": {}})
    r = me.post("/checkins", json={"token": "x" * 27, **HERE})
    assert (r.status_code, r.get_json()) == (422, {"code": "invalid_token", "message": "签到码无效，请扫描活动现场大屏上的二维码。",
                                                   "details": {"token": ["签到码无效。"]}})
    fresh = tokens.issue(event.id, 30, utcnow())[0]
    r = me.post("/checkins", json={"token": fresh, "latitude": 30.6, "longitude": 114.3456, "accuracy": 15})
    assert r.status_code == 403 and r.get_json()["code"] == "out_of_range"
    assert r.get_json()["details"]["radius_m"] == event.radius_m and r.get_json()["details"]["distance_m"] > 9000


def test_wechat_refusals_keep_their_bodies(api, wechat):
    wechat.on("used", body={"errcode": 40163, "errmsg": "code been used"})
    r = api.post("/auth/login", json={"code": "used"})
    assert (r.status_code, r.get_json()) == (401, {"code": "invalid_code", "message": "登录凭证无效或已使用，请重新登录。",
                                                   "details": {"errcode": 40163}})
    wechat.on("down", status=502, body="<html>bad gateway</html>")
    r = api.post("/auth/login", json={"code": "down"})
    assert (r.status_code, r.get_json()) == (503, {"code": "wechat_unavailable", "message": "微信服务繁忙，请稍后重试。", "details": {}})
    assert r.headers["Retry-After"] == "1"  # busy for now: the phone may try again
    wechat.on("garbage", status=200, body="not json")
    r = api.post("/auth/login", json={"code": "garbage"})
    assert (r.status_code, r.get_json()["code"]) == (502, "wechat_error")


def test_a_domain_refusal_is_what_a_retried_tap_gets_again(api, make):
    reward = make.reward(cost=10, stock=0)
    me = api.as_user(make.rich_user(50))
    tap = {"Idempotency-Key": "tap-out-of-stock"}
    first = me.post("/redemptions", json={"reward_id": reward.id}, headers=tap)
    assert first.status_code == 409 and first.get_json()["code"] == "out_of_stock"
    reward.stock = 5
    db.session.commit()
    again = me.post("/redemptions", json={"reward_id": reward.id}, headers=tap)
    assert (again.status_code, again.get_json()) == (409, first.get_json())
    db.session.refresh(reward)
    assert reward.stock == 5


# -- the domain knows no HTTP -------------------------------------------------------


def _http_imports(path: pathlib.Path) -> list[str]:
    """What the module imports of the web layer: Flask's Blueprint or abort, anything
    of APIFlask or werkzeug's HTTP exceptions, or core.errors (ApiError)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module, names = node.module or "", {alias.name for alias in node.names}
            if module == "flask" and names & {"Blueprint", "abort"}:
                found.append(f"flask: {', '.join(sorted(names & {'Blueprint', 'abort'}))}")
            elif module.split(".")[0] == "apiflask" or module in ("core.errors", "werkzeug.exceptions"):
                found.append(module)
            elif module == "core" and "errors" in names:
                found.append("core.errors")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "apiflask" or a.name in ("core.errors", "werkzeug.exceptions")]
    return found


def test_domain_packages_import_nothing_of_http():
    offenders = {}
    for package in DOMAIN_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if found := _http_imports(path):
                offenders[path.relative_to(ROOT).as_posix()] = found
    assert offenders == {}, "domain modules must raise core.domain_errors and hold no blueprint"


def test_the_http_import_check_sees_what_it_must(tmp_path):
    for source in ("from core.errors import ApiError", "from flask import Blueprint, current_app",
                   "from apiflask import APIBlueprint", "import core.errors", "from core import errors"):
        (tmp_path / "m.py").write_text(source + "\n")
        assert _http_imports(tmp_path / "m.py"), source
    (tmp_path / "m.py").write_text("from flask import current_app\nfrom core.domain_errors import NotFound\n")
    assert _http_imports(tmp_path / "m.py") == []


def test_media_is_served_by_the_api_package(app):
    assert app.view_functions["media.photo"].__module__ == "api.media"
    assert sorted(r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("media.")) == [
        "/media/photos/<name>", "/media/thumbs/<name>"]
