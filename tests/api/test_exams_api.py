"""The cadre's exam through the API, as the mini-program uses it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams import attempts
from quiz_bank.exams.models import AttemptItem, Certificate, ExamAttempt


def _cadre_api(api, make):
    user = make.user()
    cadre = make.cadre(user)
    return api.as_user(user), user, cadre


def _key_for(item: tuple, right: bool = True) -> list[str]:
    """The display key(s) of the right (or a wrong) answer to one (question, option order) of a paper."""
    question, order = item
    key = question.answer if right else [o["key"] for o in question.options if o["key"] not in question.answer][:1]
    return attempts.shown_keys(order, key)


def test_exam_list_start_answer_submit_and_review(api, make):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam(attempts_allowed=2)
    listed = me.get("/exams").json
    assert [e["id"] for e in listed] == [exam.id]
    assert listed[0]["status"] == "open" and listed[0]["total_score"] == 100 and listed[0]["question_count"] == 5
    assert listed[0]["attempts_used"] == 0 and listed[0]["best_score"] is None

    r = me.post(f"/exams/{exam.id}/attempts")
    assert r.status_code == 201, r.json
    body = r.json
    assert len(body["questions"]) == 5 and body["answers"] == {} and body["review"] is None
    assert all(q["points"] == 20 for q in body["questions"])
    assert "answer" not in body["questions"][0] and "explanation" not in body["questions"][0]
    # Options are shown relabelled A, B, C... in a shuffled order.
    assert all([o["key"] for o in q["options"]] == list("ABCD") for q in body["questions"])

    attempt = db.session.get(ExamAttempt, body["id"])
    items = {q.id: (q, order) for q, order in attempts.paper_of(attempt)}
    qids = [q["id"] for q in body["questions"]]
    for qid in qids[:4]:
        r = me.put(f"/exam-attempts/{attempt.id}/answers/{qid}", json={"answer": _key_for(items[qid])})
        assert r.status_code == 200, r.json
        assert "correct" not in r.json
    # The fifth: a wrong answer, then changed to another wrong one (saving again replaces it).
    wrong = _key_for(items[qids[4]], right=False)
    assert me.put(f"/exam-attempts/{attempt.id}/answers/{qids[4]}", json={"answer": wrong}).status_code == 200

    resumed = me.post(f"/exams/{exam.id}/attempts")
    assert resumed.status_code == 200 and resumed.json["id"] == attempt.id
    assert resumed.json["answers"][str(qids[4])] == wrong
    assert [q["id"] for q in resumed.json["questions"]] == qids
    # What the phone shows for a saved answer is what it sent, in the shuffled labels.
    assert resumed.json["answers"][str(qids[0])] == _key_for(items[qids[0]])

    done = me.post(f"/exam-attempts/{attempt.id}/submit")
    assert done.status_code == 200
    assert done.json["score"] == 80 and done.json["passed"] is True and done.json["total_score"] == 100
    assert done.json["status"] == "submitted"
    review = {r["question_id"]: r for r in done.json["review"]}
    assert review[qids[4]]["correct"] is False and review[qids[4]]["answer"] == wrong
    assert review[qids[0]]["correct_answer"] == _key_for(items[qids[0]]) and review[qids[0]]["score"] == 20

    again = me.post(f"/exam-attempts/{attempt.id}/submit")
    assert again.json == done.json
    after = me.put(f"/exam-attempts/{attempt.id}/answers/{qids[4]}", json={"answer": _key_for(items[qids[4]])})
    assert after.status_code == 409 and after.json["code"] == "attempt_closed"
    assert me.get(f"/exam-attempts/{attempt.id}").json["score"] == 80

    listed = me.get("/exams").json[0]
    assert listed["attempts_used"] == 1 and listed["best_score"] == 80


def test_time_over_keeps_what_was_saved(api, make, app):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam(duration_minutes=30)
    body = me.post(f"/exams/{exam.id}/attempts").json
    attempt = db.session.get(ExamAttempt, body["id"])
    items = {q.id: (q, order) for q, order in attempts.paper_of(attempt)}
    qids = [q["id"] for q in body["questions"]]
    for qid in qids[:3]:
        assert me.put(f"/exam-attempts/{attempt.id}/answers/{qid}", json={"answer": _key_for(items[qid])}).status_code == 200
    # The phone went quiet; the clock ran out beyond the grace.
    attempt.deadline = utcnow() - timedelta(seconds=app.config["EXAM_GRACE_SECONDS"] + 1)
    db.session.commit()
    r = me.put(f"/exam-attempts/{attempt.id}/answers/{qids[3]}", json={"answer": _key_for(items[qids[3]])})
    assert r.status_code == 409 and r.json["code"] == "time_over"
    seen = me.get(f"/exam-attempts/{attempt.id}").json
    assert seen["status"] == "expired" and seen["score"] == 60 and seen["passed"] is True
    assert set(seen["answers"]) == {str(q) for q in qids[:3]}


def test_answer_within_grace_counts(api, make, app):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam()
    body = me.post(f"/exams/{exam.id}/attempts").json
    attempt = db.session.get(ExamAttempt, body["id"])
    attempt.deadline = utcnow() - timedelta(seconds=max(app.config["EXAM_GRACE_SECONDS"] - 10, 1))
    db.session.commit()
    item = attempts.paper_of(attempt)[0]
    assert me.put(f"/exam-attempts/{attempt.id}/answers/{item[0].id}", json={"answer": _key_for(item)}).status_code == 200
    assert me.post(f"/exam-attempts/{attempt.id}/submit").json["score"] == 20


def test_finalize_expired_command(api, make, app):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam()
    body = me.post(f"/exams/{exam.id}/attempts").json
    attempt = db.session.get(ExamAttempt, body["id"])
    item = attempts.paper_of(attempt)[0]
    me.put(f"/exam-attempts/{attempt.id}/answers/{item[0].id}", json={"answer": _key_for(item)})
    attempt.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["exams", "finalize-expired"])
    assert "1 份" in result.output, result.output
    db.session.expire_all()
    attempt = db.session.get(ExamAttempt, body["id"])
    assert attempt.status == "expired" and attempt.score == 20 and attempt.submitted_at == attempt.deadline


def test_attempts_allowed_and_best_score(api, make):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam(attempts_allowed=2)
    first = me.post(f"/exams/{exam.id}/attempts").json
    me.post(f"/exam-attempts/{first['id']}/submit")
    second = me.post(f"/exams/{exam.id}/attempts")
    assert second.status_code == 201 and second.json["number"] == 2
    attempt = db.session.get(ExamAttempt, second.json["id"])
    for item in attempts.paper_of(attempt)[:2]:
        me.put(f"/exam-attempts/{attempt.id}/answers/{item[0].id}", json={"answer": _key_for(item)})
    me.post(f"/exam-attempts/{attempt.id}/submit")
    third = me.post(f"/exams/{exam.id}/attempts")
    assert third.status_code == 409 and third.json["code"] == "no_attempts_left"
    assert me.get("/exams").json[0]["best_score"] == 40


@pytest.mark.parametrize("policy, shown", [("never", False), ("after_submit", True), ("after_close", False)])
def test_review_policy(api, make, policy, shown):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam(review_policy=policy)
    body = me.post(f"/exams/{exam.id}/attempts").json
    done = me.post(f"/exam-attempts/{body['id']}/submit").json
    assert (done["review"] is not None) is shown
    if policy == "after_close":
        exam.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert me.get(f"/exam-attempts/{body['id']}").json["review"] is not None


def test_bad_input(api, make):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam()
    other_exam = make.exam(assign_all=False)
    body = me.post(f"/exams/{exam.id}/attempts").json
    aid, qid = body["id"], body["questions"][0]["id"]
    stranger_q = make.question()

    assert me.put(f"/exam-attempts/{aid}/answers/{stranger_q.id}", json={"answer": ["A"]}).json["code"] == "question_not_in_attempt"
    r = me.put(f"/exam-attempts/{aid}/answers/{qid}", json={"answer": ["H"]})
    assert r.status_code == 422 and r.json["code"] == "invalid_option"
    r = me.put(f"/exam-attempts/{aid}/answers/{qid}", json={"answer": ["A", "B"]})
    assert r.status_code == 422  # a single-choice question
    assert me.put(f"/exam-attempts/{aid}/answers/{qid}", json={"answer": []}).status_code == 422
    assert me.put(f"/exam-attempts/{aid}/answers/{qid}", data="{", headers={"Content-Type": "application/json"}).status_code == 400
    assert me.post(f"/exams/{other_exam.id}/attempts").json["code"] == "not_assigned"
    assert me.post("/exams/999999/attempts").status_code == 404

    # Someone else's attempt: 404, as if it did not exist; nothing saved.
    other = api.as_user(make.cadre(make.user()).user)
    assert other.put(f"/exam-attempts/{aid}/answers/{qid}", json={"answer": ["A"]}).status_code == 404
    assert other.post(f"/exam-attempts/{aid}/submit").status_code == 404
    assert other.get(f"/exam-attempts/{aid}").status_code == 404
    assert other.get(f"/exam-attempts/{aid}/certificate").status_code == 404
    assert me.get(f"/exam-attempts/{aid}").json["answers"] == {}

    # A resident (no cadre binding): 403, and no exams listed.
    resident = api.as_user(make.user())
    assert resident.get("/exams").json == []
    r = resident.post(f"/exams/{exam.id}/attempts")
    assert r.status_code == 403 and r.json["code"] == "not_cadre"


def test_exam_window(api, make):
    me, user, _ = _cadre_api(api, make)
    later = make.exam(opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=2))
    over = make.exam(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(days=1))
    assert me.post(f"/exams/{later.id}/attempts").json["code"] == "exam_not_open"
    assert me.post(f"/exams/{over.id}/attempts").json["code"] == "exam_not_open"
    statuses = {e["id"]: e["status"] for e in me.get("/exams").json}
    assert statuses == {later.id: "upcoming", over.id: "closed"}


def test_deadline_capped_by_closing_time(api, make):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam(duration_minutes=90, closes_at=utcnow() + timedelta(minutes=20))
    body = me.post(f"/exams/{exam.id}/attempts").json
    attempt = db.session.get(ExamAttempt, body["id"])
    assert attempt.deadline == exam.closes_at


def test_certificate(api, make):
    from io import BytesIO

    from pypdf import PdfReader

    me, user, cadre = _cadre_api(api, make)
    exam = make.exam(pass_score=60)
    body = me.post(f"/exams/{exam.id}/attempts").json
    attempt = db.session.get(ExamAttempt, body["id"])
    assert me.get(f"/exam-attempts/{attempt.id}/certificate").json["code"] == "not_passed"  # still in progress
    for item in attempts.paper_of(attempt):
        me.put(f"/exam-attempts/{attempt.id}/answers/{item[0].id}", json={"answer": _key_for(item)})
    me.post(f"/exam-attempts/{attempt.id}/submit")
    r = me.get(f"/exam-attempts/{attempt.id}/certificate")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(PdfReader(BytesIO(r.data)).pages[0].extract_text().split())
    serial = db.session.scalar(select(Certificate.serial).where(Certificate.attempt_id == attempt.id))
    assert "合格证书" in text and cadre.name in text and cadre.org_unit.name in text and exam.title in text
    assert "成绩100分" in text and serial in text
    # Asking again gives the same certificate.
    again = me.get(f"/exam-attempts/{attempt.id}/certificate")
    assert serial in "".join(PdfReader(BytesIO(again.data)).pages[0].extract_text().split())


def test_failed_attempt_has_no_certificate(api, make):
    me, user, _ = _cadre_api(api, make)
    exam = make.exam()
    body = me.post(f"/exams/{exam.id}/attempts").json
    me.post(f"/exam-attempts/{body['id']}/submit")
    r = me.get(f"/exam-attempts/{body['id']}/certificate")
    assert r.status_code == 409 and r.json["code"] == "not_passed"

