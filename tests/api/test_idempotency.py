"""Idempotency-Key on the creating POSTs: a retried tap answers the first response
again and does nothing more (API.md)."""
import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from activities import tokens
from activities.models import CheckIn, EventPhoto
from api import idempotency
from api.idempotency import IdempotencyRecord
from core.extensions import db
from core.timeutil import utcnow
from points import ledger
from points.models import PointsEntry, Redemption
from quiz_bank.exams.models import ExamAttempt
from quiz_bank.models import Quiz
from tests.activities.photo_helpers import image_bytes
from tests.api.test_races import _auth, _balance, _ledger_total, _race

HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


def _key(value="tap-2f9c1e"):
    return {"Idempotency-Key": value}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _debits(user_id) -> int:
    return _count(PointsEntry, PointsEntry.user_id == user_id, PointsEntry.reason == "redeem")


def _same(first, again):
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())


# -- each of the five --------------------------------------------------------------


def test_a_repeated_redemption_answers_the_first_and_pays_once(api, make):
    user = make.rich_user(100)
    reward = make.reward(cost=20, stock=10)
    db.session.commit()
    me = api.as_user(user)
    first = me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert first.status_code == 201, first.get_json()
    _same(first, me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()))
    assert _count(Redemption, Redemption.user_id == user.id) == 1 and _debits(user.id) == 1
    assert _balance(user.id) == _ledger_total(user.id) == 80


def test_without_a_key_two_taps_still_redeem_twice(api, make):
    user = make.rich_user(100)
    reward = make.reward(cost=20, stock=10)
    db.session.commit()
    me = api.as_user(user)
    assert [me.post("/redemptions", json={"reward_id": reward.id}).status_code for _ in range(2)] == [201, 201]
    assert _count(Redemption, Redemption.user_id == user.id) == 2 and _balance(user.id) == 60


def test_a_repeated_check_in_answers_201_again_and_pays_once(api, make):
    event = make.event(points=3)
    user = make.user()
    db.session.commit()
    me = api.as_user(user)
    body = {"token": tokens.issue(event.id, event.token_seconds, utcnow())[0], **HERE}
    first = me.post("/checkins", json=body, headers=_key())
    assert first.status_code == 201, first.get_json()
    _same(first, me.post("/checkins", json=body, headers=_key()))  # not 409 already_checked_in
    assert _count(CheckIn, CheckIn.user_id == user.id) == 1 and _balance(user.id) == 3


def _upload(client, event_id, data, caption="宣讲现场", headers=None):
    form = {"file": (io.BytesIO(data), "IMG_0001.jpg", "image/jpeg"), "caption": caption}
    return client.post(f"/events/{event_id}/photos", data=form, content_type="multipart/form-data", headers=headers)


def test_a_repeated_photo_upload_answers_201_again_and_stores_one_row(api, make):
    unit = make.org_unit(kind="department", name="司法所幂等")
    event = make.event(org_unit=unit)
    user = make.user()
    make.cadre(user, org_unit=unit)
    db.session.commit()
    me = api.as_user(user)
    data = image_bytes("JPEG")
    first = _upload(me, event.id, data, headers=_key())
    assert first.status_code == 201, first.get_json()
    # The retry is a new multipart body (another boundary) with the same fields and file.
    _same(first, _upload(me, event.id, data, headers=_key()))  # not 200 "already there"
    assert _count(EventPhoto, EventPhoto.event_id == event.id) == 1
    reused = _upload(me, event.id, data, caption="另一个说明", headers=_key())
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"


def test_a_repeated_submit_answers_the_first_and_another_attempt_may_not_reuse_the_key(api, make):
    user = make.user()
    make.cadre(user)
    exam = make.exam(attempts_allowed=2)
    db.session.commit()
    me = api.as_user(user)
    attempt_id = me.post(f"/exams/{exam.id}/attempts").get_json()["id"]
    first = me.post(f"/exam-attempts/{attempt_id}/submit", headers=_key())
    assert first.status_code == 200 and first.get_json()["status"] == "submitted"
    submitted_at = db.session.get(ExamAttempt, attempt_id).submitted_at
    _same(first, me.post(f"/exam-attempts/{attempt_id}/submit", headers=_key()))
    assert _count(ExamAttempt, ExamAttempt.user_id == user.id, ExamAttempt.status == "submitted") == 1
    assert db.session.get(ExamAttempt, attempt_id).submitted_at == submitted_at

    second_id = me.post(f"/exams/{exam.id}/attempts").get_json()["id"]
    reused = me.post(f"/exam-attempts/{second_id}/submit", headers=_key())
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"
    assert db.session.get(ExamAttempt, second_id).status == "in_progress"


def test_a_repeated_practice_start_makes_one_quiz(api, make):
    category = make.category()
    make.questions(12, category)
    user = make.user()
    db.session.commit()
    me = api.as_user(user)
    body = {"mode": "practice", "category_id": category.id}
    first = me.post("/quizzes", json=body, headers=_key())
    assert first.status_code == 201, first.get_json()
    _same(first, me.post("/quizzes", json=body, headers=_key()))
    assert _count(Quiz, Quiz.user_id == user.id) == 1
    assert me.post("/quizzes", json=body).status_code == 201  # practice is unlimited without the key
    assert _count(Quiz, Quiz.user_id == user.id) == 2


# -- keys and bodies ---------------------------------------------------------------


def test_the_same_key_with_another_body_is_refused_and_does_nothing(api, make):
    user = make.rich_user(100)
    soap, towel = make.reward(cost=20), make.reward(cost=30)
    db.session.commit()
    me = api.as_user(user)
    assert me.post("/redemptions", json={"reward_id": soap.id}, headers=_key()).status_code == 201
    r = me.post("/redemptions", json={"reward_id": towel.id}, headers=_key())
    assert r.status_code == 422 and r.get_json()["code"] == "idempotency_key_reused"
    assert r.get_json()["message"]
    assert _count(Redemption, Redemption.user_id == user.id) == 1 and _balance(user.id) == 80


def test_keys_are_per_person(api, make):
    alice, bob = make.rich_user(100), make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    a = api.as_user(alice)
    first = a.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    b = api.as_user(bob).post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert (first.status_code, b.status_code) == (201, 201) and first.get_json()["id"] != b.get_json()["id"]
    _same(first, a.post("/redemptions", json={"reward_id": reward.id}, headers=_key()))
    assert _balance(alice.id) == _balance(bob.id) == 80


def test_a_refusal_is_the_answer_even_after_points_arrive(api, make):
    user = make.rich_user(5)
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    first = me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert first.status_code == 409 and first.get_json()["code"] == "insufficient_points"
    ledger.spend_or_refund(user.id, 100, "checkin", "test-grant:late", "测试积分")
    db.session.commit()
    _same(first, me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()))
    assert _count(Redemption, Redemption.user_id == user.id) == 0
    assert me.post("/redemptions", json={"reward_id": reward.id}, headers=_key("tap-new")).status_code == 201


def test_a_key_is_fresh_again_after_24_hours(api, make):
    user = make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    assert me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()).status_code == 201
    db.session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()).status_code == 201
    assert _count(Redemption, Redemption.user_id == user.id) == 2
    assert _count(IdempotencyRecord, IdempotencyRecord.user_id == user.id) == 1  # the old one went


@pytest.mark.parametrize("value", ["x" * 65, ""])
def test_an_empty_or_over_long_key_is_a_validation_error(api, make, value):
    user = make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    r = api.as_user(user).post("/redemptions", json={"reward_id": reward.id}, headers=_key(value))
    assert r.status_code == 422 and r.get_json()["code"] == "validation_error"
    assert "Idempotency-Key" in r.get_json()["details"]
    assert _count(Redemption, Redemption.user_id == user.id) == 0
    assert api.as_user(user).post("/redemptions", json={"reward_id": reward.id}, headers=_key("x" * 64)).status_code == 201


def test_an_unforeseen_failure_lets_the_retry_act(api, make, monkeypatch):
    from points import rewards

    user = make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    real = rewards.redeem

    def broken(*args, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rewards, "redeem", broken)
    with pytest.raises(RuntimeError):  # TESTING propagates it; a server answers 500
        me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    monkeypatch.setattr(rewards, "redeem", real)
    retry = me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert retry.status_code == 201
    _same(retry, me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()))
    assert _count(Redemption, Redemption.user_id == user.id) == 1


def test_a_repeat_while_the_first_still_runs_waits_then_answers_409_with_retry_after(api, make, monkeypatch):
    user = make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    assert me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()).status_code == 201
    # As if the first request were still running: its record has no answer yet.
    db.session.execute(update(IdempotencyRecord).values(status_code=None, body=None))
    db.session.commit()
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    r = me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert r.status_code == 409 and r.get_json()["code"] == "request_in_progress"
    assert int(r.headers["Retry-After"]) >= 1
    assert _count(Redemption, Redemption.user_id == user.id) == 1


def test_the_openapi_document_shows_the_header_on_the_five_operations(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/api/v1/redemptions", "/api/v1/checkins", "/api/v1/events/{event_id}/photos",
                 "/api/v1/exam-attempts/{attempt_id}/submit", "/api/v1/quizzes"):
        op = paths[path]["post"]
        header = next(p for p in op["parameters"] if p["in"] == "header")
        assert header["name"] == "Idempotency-Key" and header["schema"]["maxLength"] == 64, path
        assert "idempotency_key_reused" in op["responses"]["422"]["description"], path
        assert "request_in_progress" in op["responses"]["409"]["description"] and "Retry-After" in op["responses"]["409"]["headers"]
    assert not any(p["in"] == "header" for p in paths["/api/v1/redemptions"]["get"].get("parameters", []))


# -- a race, on separate connections ------------------------------------------------


@pytest.mark.committing
def test_eight_taps_with_one_key_at_once_redeem_once(app, make):
    reward_id = make.reward(cost=20, stock=10).id
    user_id = make.rich_user(100).id
    db.session.commit()
    headers = {**_auth(user_id), **_key("race-key")}
    results = _race(app, 8, lambda i, c: c.post("/api/v1/redemptions", json={"reward_id": reward_id}, headers=headers))
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.get_data() for r in results}) == 1
    db.session.rollback()
    assert _count(Redemption, Redemption.user_id == user_id) == 1 and _debits(user_id) == 1
    assert _balance(user_id) == _ledger_total(user_id) == 80


def test_a_repeat_of_a_request_whose_server_died_is_told_to_look_not_run_again(api, make, monkeypatch):
    """A server killed mid-request leaves its key claimed with no answer, and maybe its
    work committed: past ABANDONED_AFTER a repeat answers at once, without acting."""
    user = make.rich_user(100)
    reward = make.reward(cost=20)
    db.session.commit()
    me = api.as_user(user)
    assert me.post("/redemptions", json={"reward_id": reward.id}, headers=_key()).status_code == 201
    db.session.execute(update(IdempotencyRecord).values(status_code=None, body=None,
                                                        created_at=utcnow() - idempotency.ABANDONED_AFTER - timedelta(seconds=1)))
    db.session.commit()
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 30)  # answered at once, not after the wait
    started = time.monotonic()
    r = me.post("/redemptions", json={"reward_id": reward.id}, headers=_key())
    assert r.status_code == 409 and r.get_json()["code"] == "request_interrupted" and time.monotonic() - started < 5
    assert _count(Redemption, Redemption.user_id == user.id) == 1
