"""POST /me/subscriptions: what a person accepted on the phone, one message each."""
import pytest

TEMPLATES = {"exam_open": "tmpl-exam-open", "reward_ready": "tmpl-reward-ready", "reward_expiring": ""}


@pytest.fixture(autouse=True)
def templates(app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATES", TEMPLATES)


def remaining(answer):
    return {t["name"]: t["remaining"] for t in answer.get_json()["templates"]}


def test_a_resident_subscribes_to_reward_reminders_only(api, make):
    resident = api.as_user(make.user())
    listed = resident.get("/me/subscriptions")
    assert listed.status_code == 200
    assert listed.get_json()["templates"] == [
        {"name": "reward_ready", "label": "奖品待领取提醒", "template_id": "tmpl-reward-ready", "remaining": 0}]

    answer = resident.post("/me/subscriptions", json={"templates": ["reward_ready"]})
    assert answer.status_code == 200 and remaining(answer) == {"reward_ready": 1}
    assert remaining(resident.post("/me/subscriptions", json={"templates": ["reward_ready"]})) == {"reward_ready": 2}

    refused = resident.post("/me/subscriptions", json={"templates": ["reward_ready", "exam_open"]})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "validation_error" and "exam_open" in body["message"]
    assert body["details"] == {"templates": ["exam_open 不是可订阅的消息模板。"]}
    assert remaining(resident.get("/me/subscriptions")) == {"reward_ready": 2}  # nothing of a refused report


def test_a_cadre_subscribes_to_exam_reminders_each_template_once_a_report(api, make):
    user = make.user()
    make.cadre(user)
    cadre = api.as_user(user)
    answer = cadre.post("/me/subscriptions", json={"templates": ["exam_open", "exam_open", "reward_ready"]})
    assert answer.status_code == 200
    assert remaining(answer) == {"exam_open": 1, "reward_ready": 1}
    assert {t["name"]: t["template_id"] for t in answer.get_json()["templates"]} == {
        "exam_open": "tmpl-exam-open", "reward_ready": "tmpl-reward-ready"}


def test_a_retried_report_with_its_key_adds_nothing(api, make):
    resident = api.as_user(make.user())
    headers = {"Idempotency-Key": "subscribe-7f3a"}
    first = resident.post("/me/subscriptions", json={"templates": ["reward_ready"]}, headers=headers)
    again = resident.post("/me/subscriptions", json={"templates": ["reward_ready"]}, headers=headers)
    assert first.get_json() == again.get_json() and remaining(again) == {"reward_ready": 1}
    assert remaining(resident.get("/me/subscriptions")) == {"reward_ready": 1}


@pytest.mark.parametrize("names", [["no_such_template"], ["reward_expiring"], [""], "reward_ready"])
def test_a_template_not_offered_is_refused(api, make, names):
    resident = api.as_user(make.user())
    answer = resident.post("/me/subscriptions", json={"templates": names})
    assert answer.status_code == 422 and answer.get_json()["code"] == "validation_error"
    assert "templates" in answer.get_json()["details"]
    assert remaining(resident.get("/me/subscriptions")) == {"reward_ready": 0}


def test_subscriptions_need_a_login(api):
    assert api.post("/me/subscriptions", json={"templates": ["reward_ready"]}).status_code == 401
