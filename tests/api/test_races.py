"""Two taps at once: real concurrent requests on separate connections.

Run on PostgreSQL (TEST_DATABASE_URL) these are the proof that row locks and
conditional updates hold; on SQLite they prove the same through its write lock."""
import threading

import pytest
from sqlalchemy import func, select

from accounts import tokens
from accounts.models import User
from core.extensions import db
from points.models import PointsEntry
from quiz_bank.models import Quiz, QuizItem

pytestmark = pytest.mark.committing


def _race(app, n, call):
    """Run `call(i, client)` in n threads released at the same moment; return results."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        client = app.test_client()
        barrier.wait()
        results[i] = call(i, client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _once(app, call):
    """One request from its own thread, like a phone: it gets its own app context and
    session, instead of sharing the test's."""
    return _race(app, 1, lambda i, c: call(c))[0]


def _auth(user_id):
    return {"Authorization": f"Bearer {tokens.issue(user_id)[0]}"}


def _ledger_total(user_id):
    return db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(PointsEntry.user_id == user_id))


def _balance(user_id):
    return db.session.scalar(select(User.points_balance).where(User.id == user_id))


def test_ten_taps_on_the_same_answer_pay_once(app, make):
    cat = make.category()
    qid = make.question(cat, answer=["B"]).id
    user_id = make.user().id
    db.session.commit()
    headers = _auth(user_id)
    quiz = _once(app, lambda c: c.post("/api/v1/quizzes", json={"mode": "daily"}, headers=headers)).get_json()

    results = _race(app, 10, lambda i, c: c.post(f"/api/v1/quizzes/{quiz['id']}/answers",
                                                  json={"question_id": qid, "answer": ["B"]}, headers=headers))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * 9
    assert all(r.get_json()["code"] == "already_answered" for r in results if r.status_code == 409)
    db.session.rollback()  # end the test's read snapshot: see what the requests committed
    # One question in the bank: the day's set is that one question, so 2 + 5 for a perfect day.
    assert _balance(user_id) == _ledger_total(user_id) == 7


def test_two_taps_on_daily_make_one_set(app, make):
    make.questions(8)
    user = make.user()
    db.session.commit()
    headers = _auth(user.id)
    results = _race(app, 6, lambda i, c: c.post("/api/v1/quizzes", json={"mode": "daily"}, headers=headers))
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    assert len({r.get_json()["id"] for r in results}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.user_id == user.id)) == 1


def test_answers_to_all_questions_at_once_are_all_kept(app, make):
    qs = make.questions(5)
    by_id = {q.id: q.answer for q in qs}
    user = make.user()
    db.session.commit()
    headers = _auth(user.id)
    quiz = _once(app, lambda c: c.post("/api/v1/quizzes", json={"mode": "daily"}, headers=headers)).get_json()
    ids = [q["id"] for q in quiz["questions"]]

    results = _race(app, 5, lambda i, c: c.post(f"/api/v1/quizzes/{quiz['id']}/answers",
                                                 json={"question_id": ids[i], "answer": by_id[ids[i]]}, headers=headers))
    assert [r.status_code for r in results] == [200] * 5
    db.session.rollback()  # end the test's read snapshot: see what the requests committed
    saved = db.session.scalars(select(QuizItem).where(QuizItem.quiz_id == quiz["id"])).all()
    assert all(item.answered_at is not None and item.correct for item in saved)
    stored = db.session.get(Quiz, quiz["id"])
    assert (stored.answered_count, stored.correct_count, stored.status) == (5, 5, "finished")
    # 5 x 2 for correct answers and one perfect-day bonus of 5, never two.
    assert _balance(user.id) == _ledger_total(user.id) == 15
    assert sum(r.get_json()["points_awarded"] for r in results) == 15


def test_concurrent_practice_never_passes_the_daily_cap(app, make):
    cat = make.category()
    qs = make.questions(10, cat)
    by_id = {q.id: q.answer for q in qs}
    cat_id, user_id = cat.id, make.user().id
    db.session.commit()
    headers = _auth(user_id)
    quizzes = [_once(app, lambda c: c.post("/api/v1/quizzes", json={"mode": "practice", "category_id": cat_id}, headers=headers)).get_json()
               for _ in range(2)]
    pairs = [(quiz["id"], q["id"]) for quiz in quizzes for q in quiz["questions"]]

    results = _race(app, len(pairs), lambda i, c: c.post(f"/api/v1/quizzes/{pairs[i][0]}/answers",
                                                          json={"question_id": pairs[i][1], "answer": by_id[pairs[i][1]]}, headers=headers))
    assert all(r.status_code == 200 for r in results)
    assert sum(r.get_json()["points_awarded"] for r in results) == 10
    db.session.rollback()  # end the test's read snapshot: see what the requests committed
    assert _balance(user_id) == _ledger_total(user_id) == 10
