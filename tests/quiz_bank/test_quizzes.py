"""Quiz modes and grading, as a resident would notice them."""
from datetime import datetime, timedelta

from core.extensions import db
from quiz_bank import quizzes
from quiz_bank.models import SeenQuestion


def _answer_all(me, quiz, by_id, wrong=()):
    results = []
    for q in quiz["questions"]:
        right = by_id[q["id"]].answer
        given = (["A"] if right != ["A"] else ["B"]) if q["id"] in wrong else right
        results.append(me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": given}))
    return results


def test_daily_prefers_questions_not_seen_before(api, make):
    qs = make.questions(10)
    me = api.as_user(user := make.user())
    for q in qs[:5]:
        db.session.add(SeenQuestion(user_id=user.id, question_id=q.id))
    db.session.flush()
    quiz = me.post("/quizzes", json={"mode": "daily"}).get_json()
    assert {q["id"] for q in quiz["questions"]} == {q.id for q in qs[5:]}


def test_daily_is_one_set_per_local_day(make):
    make.questions(12)
    user = make.user()
    # 2026-11-25 15:30 UTC is 23:30 in Shanghai; 16:30 UTC is already the next day there.
    late = datetime(2026, 11, 25, 15, 30)
    a, created_a = quizzes.start_quiz(user.id, "daily", now=late)
    b, created_b = quizzes.start_quiz(user.id, "daily", now=late + timedelta(minutes=20))
    c, created_c = quizzes.start_quiz(user.id, "daily", now=late + timedelta(hours=1))
    assert created_a and not created_b and b.id == a.id
    assert created_c and c.id != a.id and str(c.daily_date) == "2026-11-26"


def test_retired_questions_are_not_drawn(api, make):
    cat = make.category()
    live = make.questions(3, cat)
    make.questions(5, cat, status="retired")
    quiz = api.as_user(make.user()).post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    assert {q["id"] for q in quiz["questions"]} == {q.id for q in live}


def test_practice_needs_a_category_that_exists(api, make):
    me = api.as_user(make.user())
    assert me.post("/quizzes", json={"mode": "practice"}).status_code == 422
    assert me.post("/quizzes", json={"mode": "practice", "category_id": 987654}).status_code == 404
    empty = make.category()
    r = me.post("/quizzes", json={"mode": "practice", "category_id": empty.id})
    assert r.status_code == 409 and r.get_json()["code"] == "no_questions"


def test_practice_pays_one_a_correct_answer_up_to_ten_a_day(api, make):
    cat = make.category()
    qs = make.questions(10, cat)
    by_id = {q.id: q for q in qs}
    me = api.as_user(make.user())
    paid = []
    for _ in range(2):
        quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
        assert len(quiz["questions"]) == 10
        paid += [r.get_json()["points_awarded"] for r in _answer_all(me, quiz, by_id)]
    assert paid == [1] * 10 + [0] * 10
    assert me.get("/points").get_json()["balance"] == 10


def test_challenge_ends_at_first_wrong_answer(api, make):
    qs = make.questions(12)
    by_id = {q.id: q for q in qs}
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "challenge"}).get_json()
    order = [q["id"] for q in quiz["questions"]]
    # Five right, then a wrong one: the run ends and pays for a streak of five.
    for qid in order[:5]:
        assert me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": qid, "answer": by_id[qid].answer}).get_json()["points_awarded"] == 0
    wrong = ["A"] if by_id[order[5]].answer != ["A"] else ["B"]
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": order[5], "answer": wrong})
    assert r.get_json()["correct"] is False and r.get_json()["points_awarded"] == 3
    assert r.get_json()["quiz_status"] == "finished"
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": order[6], "answer": by_id[order[6]].answer})
    assert r.status_code == 409 and r.get_json()["code"] == "challenge_over"
    finish = me.post(f"/quizzes/{quiz['id']}/finish").get_json()
    assert finish["correct_count"] == 5 and finish["points_awarded"] == 3
    assert me.get("/points").get_json()["balance"] == 3


def test_finishing_a_challenge_early_pays_its_streak_once(api, make):
    qs = make.questions(12)
    by_id = {q.id: q for q in qs}
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "challenge"}).get_json()
    for q in quiz["questions"][:3]:
        me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": by_id[q["id"]].answer})
    assert me.post(f"/quizzes/{quiz['id']}/finish").get_json()["points_awarded"] == 1
    assert me.post(f"/quizzes/{quiz['id']}/finish").get_json()["points_awarded"] == 1
    assert me.get("/points").get_json()["balance"] == 1


def test_bad_answers_get_clear_4xx_and_change_nothing(api, make):
    cat = make.category()
    q = make.question(cat, answer=["B"])
    tf = make.question(cat, type="true_false", answer=["F"])
    other_cat_q = make.question()
    retired = make.question(make.category(), status="retired")
    owner = make.user()
    me = api.as_user(owner)
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    url = f"/quizzes/{quiz['id']}/answers"
    cases = [
        ({"question_id": q.id, "answer": ["Z"]}, 422, "invalid_option"),
        ({"question_id": tf.id, "answer": ["A"]}, 422, "invalid_option"),
        ({"question_id": q.id, "answer": []}, 422, "validation_error"),
        ({"question_id": q.id, "answer": ["A", "B"]}, 422, "validation_error"),
        ({"question_id": q.id, "answer": "B"}, 422, "validation_error"),
        ({"question_id": "1", "answer": ["B"]}, 422, "validation_error"),
        ({"answer": ["B"]}, 422, "validation_error"),
        ({"question_id": other_cat_q.id, "answer": ["B"]}, 422, "question_not_in_quiz"),
        ({"question_id": 99999999, "answer": ["B"]}, 422, "question_not_in_quiz"),
        ({"question_id": retired.id, "answer": ["B"]}, 422, "question_not_in_quiz"),
    ]
    for body, status, code in cases:
        r = me.post(url, json=body)
        assert (r.status_code, r.get_json()["code"]) == (status, code), body
    missing = me.post(url, json={"answer": "B"}).get_json()
    assert set(missing["details"]) == {"question_id", "answer"} and missing["message"]
    broken = me.post(url, data='{"question_id": 1,', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.get_json()["code"] == "bad_request"
    as_form = me.post(url, data={"question_id": q.id, "answer": "B"})
    assert as_form.status_code == 422 and set(as_form.get_json()["details"]) == {"question_id", "answer"}
    # Someone else's quiz looks exactly like a missing one.
    stranger = api.as_user(make.user())
    r = stranger.post(url, json={"question_id": q.id, "answer": ["B"]})
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert stranger.get(f"/quizzes/{quiz['id']}").status_code == 404
    assert stranger.post(f"/quizzes/{quiz['id']}/finish").status_code == 404
    # None of it counted: the real answer still goes through and pays.
    r = me.post(url, json={"question_id": q.id, "answer": ["B"]})
    assert r.status_code == 200 and r.get_json()["points_awarded"] == 1


def test_quiz_resume_shows_results_of_answered_questions(api, make):
    cat = make.category()
    q1, q2 = make.questions(2, cat)
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q1.id, "answer": q1.answer})
    again = me.get(f"/quizzes/{quiz['id']}").get_json()
    assert list(again["results"]) == [str(q1.id)]
    assert again["results"][str(q1.id)]["correct"] is True and again["results"][str(q1.id)]["source"]


def test_my_quizzes_are_paged_and_filtered_by_mode(api, make):
    cat = make.category()
    make.questions(3, cat)
    me = api.as_user(make.user())
    for _ in range(3):
        me.post("/quizzes", json={"mode": "practice", "category_id": cat.id})
    me.post("/quizzes", json={"mode": "daily"})
    page = me.get("/quizzes?mode=practice&per_page=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2
    assert me.get("/quizzes?per_page=101").status_code == 422
