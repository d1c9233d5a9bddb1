"""The resident's quiz loop through the API, as the phone sees it."""


def test_daily_quiz_end_to_end(api, make):
    qs = make.questions(8)
    user = make.user()
    me = api.as_user(user)

    r = me.post("/quizzes", json={"mode": "daily"})
    assert r.status_code == 201
    quiz = r.get_json()
    assert quiz["mode"] == "daily" and len(quiz["questions"]) == 5
    assert quiz["started_at"].endswith("+08:00")
    first = quiz["questions"][0]
    assert set(first) >= {"id", "type", "stem", "options", "category"}
    assert "answer" not in first and "explanation" not in first and "source" not in first

    by_id = {q.id: q for q in qs}
    total = 0
    for q in quiz["questions"]:
        r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": by_id[q["id"]].answer})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["correct"] is True
        assert body["source"] == "《民法典》第一千零七十九条"
        total += body["points_awarded"]
    # 5 correct daily answers at 2 each, plus 5 for a perfect day.
    assert total == 15
    assert me.get("/points").get_json() == {"balance": 15, "earned_today": 15}

    again = me.post("/quizzes", json={"mode": "daily"})
    assert again.status_code == 200 and again.get_json()["id"] == quiz["id"]
    assert len(again.get_json()["results"]) == 5


def test_wrong_answer_goes_into_the_book_and_stays_after_the_first_right_answer(api, make):
    cat = make.category()
    q = make.question(cat, answer=["B"])
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q.id, "answer": ["A"]})
    assert r.get_json()["correct"] is False and r.get_json()["correct_answer"] == ["B"]
    book = me.get("/wrong-answers").get_json()
    assert book["total"] == 1 and book["items"][0]["question"]["id"] == q.id
    assert book["items"][0]["correct_answer"] == ["B"] and book["items"][0]["your_answer"] == ["A"]
    failed_due = book["items"][0]["next_review_at"]
    assert failed_due.endswith("+08:00")

    # Right once, the same day: the card is not graduated yet, so the question stays,
    # due again a day later (tests/learning has the graduation).
    quiz2 = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    me.post(f"/quizzes/{quiz2['id']}/answers", json={"question_id": q.id, "answer": ["B"]})
    book = me.get("/wrong-answers").get_json()
    assert book["total"] == 1 and book["items"][0]["next_review_at"] > failed_due


def test_second_answer_to_same_question_is_409_and_pays_nothing(api, make):
    cat = make.category()
    q = make.question(cat)
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": cat.id}).get_json()
    assert me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q.id, "answer": q.answer}).status_code == 200
    r = me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q.id, "answer": q.answer})
    assert r.status_code == 409 and r.get_json()["code"] == "already_answered"
    assert me.get("/points").get_json()["balance"] == 1
