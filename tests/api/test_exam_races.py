"""Exam taps at once: real concurrent requests on separate connections (run on
PostgreSQL for the proof that the row locks hold)."""
import pytest
from sqlalchemy import func, select

from accounts.models import Cadre
from core.extensions import db
from quiz_bank.exams.attempts import paper_of, shown_keys
from quiz_bank.exams.models import AttemptItem, ExamAttempt
from tests.api.test_races import _auth, _once, _race

pytestmark = pytest.mark.committing


def _exam_and_cadre(make, **kw):
    user = make.user()
    make.cadre(user)
    exam = make.exam(**kw)
    ids = (exam.id, user.id)
    db.session.commit()
    return ids


def test_many_taps_on_start_open_one_attempt(app, make):
    exam_id, user_id = _exam_and_cadre(make, attempts_allowed=3)
    headers = _auth(user_id)
    results = _race(app, 6, lambda i, c: c.post(f"/api/v1/exams/{exam_id}/attempts", headers=headers))
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    assert len({r.get_json()["id"] for r in results}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.user_id == user_id)) == 1


def test_many_taps_on_start_with_a_ready_paper_take_it_once(app, make):
    from quiz_bank.exams import papers
    from quiz_bank.exams.models import Exam, ExamPaper

    exam_id, user_id = _exam_and_cadre(make)
    papers.draw_ahead(db.session.get(Exam, exam_id))
    ready = db.session.scalar(select(ExamPaper.items).where(ExamPaper.exam_id == exam_id))
    db.session.commit()
    headers = _auth(user_id)
    results = _race(app, 6, lambda i, c: c.post(f"/api/v1/exams/{exam_id}/attempts", headers=headers))
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    db.session.rollback()
    paper = db.session.scalar(select(ExamAttempt.paper).where(ExamAttempt.user_id == user_id))
    assert paper == ready  # the one attempt has the paper drawn ahead
    assert db.session.scalar(select(func.count()).select_from(ExamPaper).where(ExamPaper.exam_id == exam_id)) == 0


def test_saves_racing_submit_are_graded_or_refused_never_lost(app, make):
    exam_id, user_id = _exam_and_cadre(make)
    headers = _auth(user_id)
    attempt = _once(app, lambda c: c.post(f"/api/v1/exams/{exam_id}/attempts", headers=headers)).get_json()
    right = {q.id: shown_keys(order, q.answer) for q, order in paper_of(db.session.get(ExamAttempt, attempt["id"]))}
    qids = list(right)
    db.session.rollback()

    def call(i, c):
        if i == len(qids):
            return c.post(f"/api/v1/exam-attempts/{attempt['id']}/submit", headers=headers)
        return c.put(f"/api/v1/exam-attempts/{attempt['id']}/answers/{qids[i]}", json={"answer": right[qids[i]]}, headers=headers)

    results = _race(app, len(qids) + 1, call)
    saves, submitted = results[:-1], results[-1]
    assert submitted.status_code == 200
    assert all(r.status_code in (200, 409) for r in saves)
    saved = sum(r.status_code == 200 for r in saves)
    # Every save that was acknowledged is in the score; every refused one is not stored.
    assert submitted.get_json()["score"] == 20 * saved
    db.session.rollback()
    stored = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"])).all()
    assert sum(i.answer is not None for i in stored) == saved
    assert all(i.correct is (i.answer is not None) for i in stored)


def test_two_submits_grade_once_and_agree(app, make):
    exam_id, user_id = _exam_and_cadre(make)
    headers = _auth(user_id)
    attempt = _once(app, lambda c: c.post(f"/api/v1/exams/{exam_id}/attempts", headers=headers)).get_json()
    results = _race(app, 5, lambda i, c: c.post(f"/api/v1/exam-attempts/{attempt['id']}/submit", headers=headers))
    assert [r.status_code for r in results] == [200] * 5
    assert len({str(r.get_json()) for r in results}) == 1


def test_two_accounts_racing_for_one_binding_code(app, make):
    cadre = make.cadre(name="郑洁")
    code, cadre_id = cadre.binding_code, cadre.id
    users = [make.user().id for _ in range(4)]
    db.session.commit()
    headers = [_auth(u) for u in users]
    results = _race(app, 4, lambda i, c: c.post("/api/v1/me/cadre-binding", json={"real_name": "郑洁", "binding_code": code},
                                                 headers=headers[i]))
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    db.session.rollback()
    assert db.session.get(Cadre, cadre_id).user_id == users[[r.status_code for r in results].index(200)]
