"""One write path (core.transactions): a unit of work says that it writes, only it
takes the write lock, for as short as the work; every wait is bounded and ends in
503 busy, never a hang. Real concurrent requests on separate connections."""
import io
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from accounts.models import User
from activities import photos
from activities.models import EventPhoto
from core.extensions import db
from core import transactions
from core.transactions import engine_options, writing
from quiz_bank import quizzes
from quiz_bank.exams import attempts
from quiz_bank.exams.models import Certificate
from tests.activities.photo_helpers import image_bytes
from tests.api.test_races import _auth, _race
from tests.conftest import DATABASE_URL
from tests.helpers import app_of_its_own

pytestmark = pytest.mark.committing
SQLITE = DATABASE_URL.startswith("sqlite")


def _practice_quiz(make) -> tuple[int, int, int]:
    """A practice quiz of five questions, committed: (user id, quiz id, a question id)."""
    category = make.category()
    make.questions(5, category)
    user_id = make.user().id
    db.session.commit()
    quiz, _ = quizzes.start_quiz(user_id, "practice", category.id)
    return user_id, quiz.id, quiz.items[0].question_id


class Committer:
    """Another writer committing a small change every `every` seconds until stopped."""

    def __init__(self, app, org_unit_id: int, every: float = 0.005):
        self.app, self.unit, self.every = app, org_unit_id, every
        self.commits, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with self.app.app_context():
            while not self.stop.is_set():
                with writing():
                    db.session.execute(text("UPDATE org_unit SET name = name WHERE id = :id"), {"id": self.unit})
                self.commits += 1
                time.sleep(self.every)
            db.session.remove()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def _passed_attempts(make, n: int) -> list[tuple[int, int]]:
    exam = make.exam(pass_score=60)
    exam_id = exam.id
    db.session.commit()
    done = []
    for _ in range(n):
        user_id = make.cadre(make.user()).user_id
        db.session.commit()
        attempt, _ = attempts.start_attempt(user_id, exam_id)
        attempt_id = attempt.id
        for question, order in attempts.paper_of(attempt):
            attempts.save_answer(user_id, attempt_id, question.id, attempts.shown_keys(order, question.answer))
        attempts.submit(user_id, attempt_id)
        done.append((user_id, attempt_id))
    return done


def test_a_get_that_writes_is_served_while_others_commit(app, make):
    """The first download of a certificate writes it. Tied to the HTTP method, that GET
    began as a read and could not become a write once another commit came between:
    4 to 8 of 30 got 503 at one commit every 5 ms."""
    cadres = _passed_attempts(make, 12)
    unit_id = make.org_unit().id
    db.session.commit()
    headers = [_auth(user_id) for user_id, _ in cadres]
    with Committer(app, unit_id) as other:
        results = _race(app, len(cadres), lambda i, c: c.get(f"/api/v1/exam-attempts/{cadres[i][1]}/certificate", headers=headers[i]))
    assert [r.status_code for r in results] == [200] * len(cadres)
    assert other.commits > 0
    db.session.rollback()
    assert len(db.session.scalars(select(Certificate.id)).all()) == len(cadres)


def test_a_read_before_an_answer_never_hangs(app, make):
    """A request that read through its session before answering waited for ever in
    the writers' queue it already held."""
    user_id, quiz_id, question_id = _practice_quiz(make)
    db.session.remove()
    outcome = {}

    def request():
        with app.test_request_context("/api/v1/quizzes", method="POST"):
            db.session.get(User, user_id)  # a read, in a transaction of its own
            outcome["result"] = quizzes.answer(user_id, quiz_id, question_id, ["A"])
            db.session.remove()

    worker = threading.Thread(target=request, daemon=True)
    worker.start()
    worker.join(15)
    assert not worker.is_alive(), "answering after a read hung"
    assert outcome["result"].quiz_status == "in_progress"


def test_image_work_holds_no_lock(app, make, monkeypatch):
    """A photo upload decodes the image and writes its files outside its unit of work:
    meanwhile another writer gets in at once."""
    unit = make.org_unit(kind="department")
    event_id = make.event(org_unit=unit).id
    user_id = make.cadre(make.user(), org_unit=unit).user_id
    db.session.commit()
    decoding, go_on = threading.Event(), threading.Event()
    check_image = photos.check_image

    def slow_check(*args, **kwargs):
        decoding.set()
        assert go_on.wait(15)
        return check_image(*args, **kwargs)

    monkeypatch.setattr(photos, "check_image", slow_check)
    upload, headers = {}, _auth(user_id)

    def post():
        client = app.test_client()
        upload["response"] = client.post(f"/api/v1/events/{event_id}/photos", headers=headers,
                                         data={"file": (io.BytesIO(image_bytes("JPEG")), "现场.jpg", "image/jpeg")},
                                         content_type="multipart/form-data")

    worker = threading.Thread(target=post, daemon=True)
    worker.start()
    try:
        assert decoding.wait(15)
        # Another writer, with a short wait of its own, while the upload decodes.
        started = time.monotonic()
        _write_with_short_wait(app, "UPDATE event SET title = title WHERE id = :id", {"id": event_id})
        assert time.monotonic() - started < 1
    finally:
        go_on.set()
        worker.join(15)
    assert upload["response"].status_code == 201
    db.session.rollback()
    assert db.session.scalar(select(EventPhoto.id).where(EventPhoto.event_id == event_id)) is not None


def _write_with_short_wait(app, statement: str, params: dict, wait_seconds: float = 1) -> None:
    """One write on a connection of its own that waits at most `wait_seconds` for the
    lock (raising if it had to wait longer)."""
    if SQLITE:
        raw = sqlite3.connect(db.engine.url.database, timeout=wait_seconds, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")  # what a unit of work does
            raw.execute(statement.replace(":id", "?"), (params["id"],))
            raw.execute("COMMIT")
        finally:
            raw.close()
        return
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url, **engine_options(url, wait_seconds))
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


@pytest.mark.skipif(not SQLITE, reason="SQLite's one write lock; PostgreSQL: test_a_row_lock_wait_is_bounded")
def test_a_held_write_lock_is_a_503_busy_not_a_hang(tmp_path):
    own, headers = _own_app_and_user(tmp_path, wait_seconds=0.5)
    holder = sqlite3.connect(str(tmp_path / "own.sqlite3"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        client = own.test_client()
        started = time.monotonic()
        r = client.patch("/api/v1/me", json={"nickname": "新名字"}, headers=headers)
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert (r.status_code, r.get_json()) == (503, {"code": "busy", "message": "服务繁忙，请稍后再试。", "details": {}}), r.get_data(as_text=True)
    assert r.headers["Retry-After"] == "1" and 0.4 < waited < 3


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's row locks")
def test_a_row_lock_wait_is_bounded(app, make):
    user_id, quiz_id, question_id = _practice_quiz(make)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holder = engine.connect()
    holder.execute(text("SELECT id FROM quiz WHERE id = :id FOR UPDATE"), {"id": quiz_id})
    try:
        started = time.monotonic()
        r = app.test_client().post(f"/api/v1/quizzes/{quiz_id}/answers", json={"question_id": question_id, "answer": ["A"]},
                                   headers=_auth(user_id))
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert r.status_code == 503 and r.get_json()["code"] == "busy" and r.headers["Retry-After"] == "1"
    assert 4 < waited < 10  # the suite's app waits DB_WAIT_SECONDS (5 s), no longer


def _own_app_and_user(tmp_path, wait_seconds: float):
    """An app on a SQLite file of its own that waits `wait_seconds` at most, with one
    user; returns it and that user's auth header."""
    from accounts import tokens

    own = app_of_its_own(tmp_path, DB_WAIT_SECONDS=wait_seconds, RATELIMIT_ENABLED=False)
    with own.app_context():
        user = User(openid="dev:waits", nickname="等")
        db.session.add(user)
        db.session.commit()
        return own, {"Authorization": f"Bearer {tokens.issue(user.id)[0]}"}


@pytest.mark.skipif(not SQLITE, reason="the threads of a process take turns to write on SQLite only")
def test_a_turn_to_write_is_waited_for_a_bounded_time(tmp_path):
    """The lock the threads of one process take turns on (core.transactions) is given
    up after DB_WAIT_SECONDS: a 503 busy, not a hang."""
    own, headers = _own_app_and_user(tmp_path, wait_seconds=0.3)
    assert transactions._sqlite_writers.acquire(timeout=5)
    try:
        started = time.monotonic()
        r = own.test_client().patch("/api/v1/me", json={"nickname": "新名字"}, headers=headers)
        waited = time.monotonic() - started
    finally:
        transactions._sqlite_writers.release()
    assert r.status_code == 503 and r.get_json()["code"] == "busy" and 0.25 < waited < 3
    assert own.test_client().patch("/api/v1/me", json={"nickname": "新名字"}, headers=headers).status_code == 200
