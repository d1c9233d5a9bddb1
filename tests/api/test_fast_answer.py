"""The answer endpoint's fast path (api.fast_answer) answers exactly as the Flask view.

Two residents hold twin practice quizzes of the same questions; each request is sent
for one of them through the app (fast path in front) and for the other straight to the
Flask app behind it, and the two responses must be the same: status, body and the
headers a phone reads."""
import json
import time

import jwt
import pytest
from flask import request_started
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client

from accounts import tokens
from api.fast_answer import FastAnswer
from core.extensions import db
from core.ratelimit import limiter
from quiz_bank import quizzes

HEADERS = ("Content-Type", "Retry-After", "WWW-Authenticate")


class Twins:
    """A resident answering through the whole app and a twin answering through Flask alone."""

    def __init__(self, app, make, n_questions: int = 3):
        self.cat = make.category()
        self.questions = make.questions(n_questions, self.cat)
        self.fast, self.flask = app.test_client(), Client(_flask_behind(app))
        self.sides = []
        for client in (self.fast, self.flask):
            user = make.user()
            quiz = quizzes.start_quiz(user.id, "practice", self.cat.id)[0]
            db.session.commit()
            self.sides.append((client, user, quiz.id))

    def send(self, body=None, *, data=None, token=..., quiz=None, content_type="application/json"):
        """The same request on both sides: [(status, body, headers), ...]."""
        out = []
        for client, user, quiz_id in self.sides:
            headers = {}
            given = tokens.issue(user.id)[0] if token is ... else token
            if given is not None:
                headers["Authorization"] = f"Bearer {given}"
            r = client.post(f"/api/v1/quizzes/{quiz if quiz is not None else quiz_id}/answers",
                            data=data if data is not None else json.dumps(body),
                            headers=headers, content_type=content_type)
            db.session.expire_all()
            out.append((r.status_code, r.get_json(silent=True) if r.is_json else r.get_data(as_text=True),
                        {h: r.headers.get(h) for h in HEADERS}))
        return out

    def same(self, body=None, **kw):
        fast, flask = self.send(body, **kw)
        assert fast == flask
        return fast


def _flask_behind(app):
    layer = app.wsgi_app
    assert isinstance(layer, FastAnswer)
    return layer.flask_wsgi


@pytest.fixture
def twins(app, make):
    return Twins(app, make)


def test_right_and_wrong_answers_and_what_follows_are_the_same(twins):
    q1, q2, q3 = twins.questions
    status, body, headers = twins.same({"question_id": q1.id, "answer": q1.answer})
    assert status == 200 and body["correct"] and body["points_awarded"] == 1
    assert headers["Content-Type"] == "application/json"
    assert twins.same({"question_id": q2.id, "answer": ["A"]})[1]["correct"] is False
    # The second tap on the same question, lower-case keys, an option the question lacks.
    assert twins.same({"question_id": q1.id, "answer": q1.answer})[1]["code"] == "already_answered"
    assert twins.same({"question_id": q3.id, "answer": ["z"]})[1]["code"] == "invalid_option"
    assert twins.same({"question_id": q3.id, "answer": ["b"]})[0] == 200
    # Both residents earned the same and hold the same wrong-answer book.
    fast_user, flask_user = (side[1] for side in twins.sides)
    db.session.refresh(fast_user), db.session.refresh(flask_user)
    assert fast_user.points_balance == flask_user.points_balance == 2


def test_refused_bodies_are_the_same(twins, make):
    q = twins.questions[0]
    stranger = make.question()  # in no quiz of theirs
    for body in (
        {"question_id": stranger.id, "answer": ["B"]},
        {"question_id": q.id, "answer": []},
        {"question_id": q.id, "answer": ["AB"]},
        {"question_id": q.id},
        {"question_id": "one", "answer": ["B"]},
        {"question_id": q.id, "answer": "B"},
        [q.id, ["B"]],
        "B",
        None,
    ):
        status, payload, _ = twins.same(body)
        assert 400 <= status < 500 and payload["code"] and payload["message"], body
    for raw in ('{"question_id": ', "\xff", "[" * 100000):
        assert twins.same(data=raw)[0] == 400
    assert twins.same({"question_id": q.id, "answer": ["B"]}, content_type="text/plain")[0] == 422
    # Nothing of it was paid or recorded: the question can still be answered.
    assert twins.same({"question_id": q.id, "answer": q.answer})[0] == 200


def test_tokens_and_quizzes_that_are_not_theirs_are_refused_alike(twins, app, make):
    q = twins.questions[0]
    body = {"question_id": q.id, "answer": q.answer}
    expired = jwt.encode({"sub": "1", "iat": 0, "exp": int(time.time()) - 60}, app.config["SECRET_KEY"], "HS256")
    forged = jwt.encode({"sub": "1", "exp": int(time.time()) + 60}, "not-the-secret-key-0123456789abcdef", "HS256")
    for token in (None, "", "garbage", expired, forged):
        status, payload, _ = twins.same(body, token=token)
        assert status == 401 and payload["code"] == "unauthorized"
    # Someone else's quiz, a quiz that does not exist, an id past the route's limit.
    other = quizzes.start_quiz(make.user().id, "practice", twins.cat.id)[0]
    db.session.commit()
    for quiz_id in (other.id, 2147483647, 2147483648, "0042"):
        status, payload, _ = twins.same(body, quiz=quiz_id)
        assert status == 404 and payload["code"] == "not_found"


@pytest.fixture
def answer_limit(app, monkeypatch):
    """Set the answer limit for one test, counting from zero."""
    def set_limit(text):
        monkeypatch.setitem(app.config, "RATELIMIT_ANSWER", text)
        limiter.reset()

    yield set_limit
    limiter.reset()


def test_the_answer_limit_is_the_same(twins, answer_limit):
    answer_limit("3 per minute")
    for q in twins.questions:
        assert twins.same({"question_id": q.id, "answer": q.answer})[0] == 200
    status, payload, headers = twins.same({"question_id": twins.questions[0].id, "answer": ["B"]})
    assert (status, payload["code"]) == (429, "too_many_requests")
    assert 1 <= int(headers["Retry-After"]) <= 61


def test_both_ways_count_against_one_answer_limit(app, make, answer_limit):
    answer_limit("2 per minute")
    twins = Twins(app, make)
    client, user, quiz_id = twins.sides[0]
    headers = {"Authorization": f"Bearer {tokens.issue(user.id)[0]}"}
    path = f"/api/v1/quizzes/{quiz_id}/answers"
    codes = [c.post(path, json={"question_id": q.id, "answer": q.answer}, headers=headers).status_code
             for c, q in zip((twins.flask, twins.fast, twins.fast), twins.questions)]
    assert codes == [200, 200, 429]


def test_a_retired_question_and_a_finished_quiz(twins):
    q1, q2, q3 = twins.questions
    q3.status = "retired"
    db.session.commit()
    for q in (q1, q2, q3):
        twins.same({"question_id": q.id, "answer": q.answer})
    status, payload, _ = twins.same({"question_id": q1.id, "answer": q1.answer})
    assert status == 409


def test_database_errors_are_answered_alike(twins, monkeypatch):
    def unavailable(*args):
        raise OperationalError("SELECT 1", {}, Exception("the database is locked"))

    monkeypatch.setattr(quizzes, "answer", unavailable)
    status, payload, _ = twins.same({"question_id": twins.questions[0].id, "answer": ["B"]})
    assert (status, payload["code"]) == (503, "service_unavailable")


def test_a_valid_answer_skips_flask_and_anything_else_goes_to_flask(twins):
    seen = []

    def started(sender, **extra):
        seen.append(True)

    q = twins.questions[0]
    client, user, quiz_id = twins.sides[0]
    headers = {"Authorization": f"Bearer {tokens.issue(user.id)[0]}"}
    with request_started.connected_to(started):
        assert client.post(f"/api/v1/quizzes/{quiz_id}/answers", json={"question_id": q.id, "answer": q.answer},
                           headers=headers).status_code == 200
        assert seen == []
        client.post(f"/api/v1/quizzes/{quiz_id}/answers", data="{", headers=headers, content_type="application/json")
        assert seen == [True]
