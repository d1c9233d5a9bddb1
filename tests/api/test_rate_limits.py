"""Login and answering are rate-limited; the limits come from configuration."""
import pytest

from core.ratelimit import limiter
from tests.helpers import app_of_its_own


@pytest.fixture
def tight_limits(app):
    saved = app.config["RATELIMIT_LOGIN"], app.config["RATELIMIT_ANSWER"]
    app.config.update(RATELIMIT_LOGIN="3 per minute", RATELIMIT_ANSWER="2 per minute")
    limiter.reset()
    yield
    app.config["RATELIMIT_LOGIN"], app.config["RATELIMIT_ANSWER"] = saved
    limiter.reset()


def test_login_is_limited(api, tight_limits):
    codes = [api.post("/auth/login", json={"code": f"u{i}"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.post("/auth/login", json={"code": "u9"})
    assert r.get_json()["code"] == "too_many_requests" and r.get_json()["message"]
    # The phone can tell the person when to try again: at the end of the minute.
    assert 1 <= int(r.headers["Retry-After"]) <= 61


def test_answering_is_limited_per_user(api, make, tight_limits):
    cat = make.category()
    qs = make.questions(4, cat)
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    codes = [me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q.id, "answer": q.answer}).status_code for q in qs[:3]]
    assert codes == [200, 200, 429]
    # Another person is not held back by the first one's taps.
    other = api.as_user(make.user())
    quiz2 = other.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    assert other.post(f"/quizzes/{quiz2['id']}/answers", json={"question_id": qs[0].id, "answer": qs[0].answer}).status_code == 200


def test_behind_a_proxy_each_phone_has_its_own_login_limit(tmp_path):
    client = app_of_its_own(tmp_path, RATELIMIT_LOGIN="1 per minute", PROXY_COUNT=1).test_client()

    def login(phone, code):
        return client.post("/api/v1/auth/login", json={"code": code}, headers={"X-Forwarded-For": phone},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code

    # Two phones behind the same proxy each get their own allowance...
    assert [login("10.0.0.1", "a"), login("10.0.0.2", "b")] == [200, 200]
    # ...and each is held to it.
    assert login("10.0.0.1", "c") == 429
