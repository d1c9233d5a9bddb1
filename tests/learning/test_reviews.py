"""Spaced review as a resident notices it: what comes back when, the wrong-answer book,
the review quiz, the daily set's reviews, the badge and the points."""
from datetime import datetime, timedelta

import pytest

from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from learning import reviews
from learning.models import ReviewCard
from points.models import PointsEntry
from quiz_bank import quizzes
from quiz_bank.models import Quiz, QuizItem, SeenQuestion, WrongAnswer

# 10:00 in Shanghai on a Monday; the day ends at 16:00 UTC.
MORNING = datetime(2026, 11, 30, 2, 0)


def _answer(user, question, right: bool, now):
    """Answer `question` in a practice quiz of its own."""
    quiz = Quiz(user_id=user.id, mode="practice", category_id=question.category_id, question_count=1, started_at=now)
    quiz.items.append(QuizItem(question_id=question.id, position=0))
    db.session.add(quiz)
    db.session.merge(SeenQuestion(user_id=user.id, question_id=question.id))
    db.session.flush()
    given = question.answer if right else (["A"] if question.answer != ["A"] else ["B"])
    return quizzes.answer(user.id, quiz.id, question.id, given, now=now)


def _card(user, question) -> ReviewCard:
    db.session.expire_all()
    return db.session.get(ReviewCard, (user.id, question.id))


def _in_book(user, question) -> bool:
    return db.session.get(WrongAnswer, (user.id, question.id)) is not None


def test_a_failed_card_is_due_today_and_graduates_only_after_a_right_answer_on_a_later_day(make):
    question = make.question()
    user = make.user()
    _answer(user, question, False, MORNING)
    card = _card(user, question)
    _, end_of_today = reviews.day_bounds(MORNING)
    assert card.due < end_of_today and card.state == 1 and _in_book(user, question)

    # Right the same afternoon: still learning, back tomorrow, still in the book.
    _answer(user, question, True, MORNING + timedelta(hours=3))
    card = _card(user, question)
    assert card.due > end_of_today and card.state == 1 and _in_book(user, question)

    # Right again the next day: the card graduates and the question leaves the book,
    # coming back days later.
    _answer(user, question, True, MORNING + timedelta(days=1))
    card = _card(user, question)
    assert card.state == 2 and not _in_book(user, question)
    assert card.due >= MORNING + timedelta(days=2)


def test_a_question_answered_right_at_first_sight_comes_back_the_next_day(make):
    question = make.question()
    user = make.user()
    _answer(user, question, True, MORNING)
    card = _card(user, question)
    _, end_of_today = reviews.day_bounds(MORNING)
    assert end_of_today < card.due <= MORNING + timedelta(days=1) and not _in_book(user, question)


def test_a_graduated_card_answered_wrong_lapses_and_is_due_today(make):
    question = make.question()
    user = make.user()
    for day, right in ((0, True), (1, True)):
        _answer(user, question, right, MORNING + timedelta(days=day))
    assert _card(user, question).state == 2
    later = MORNING + timedelta(days=10)
    _answer(user, question, False, later)
    card = _card(user, question)
    assert card.state == 3 and card.lapses == 1 and card.due < reviews.day_bounds(later)[1] and _in_book(user, question)


def test_the_review_quiz_serves_due_cards_most_overdue_first_at_most_ten(make):
    category = make.category()
    questions = make.questions(12, category)
    user = make.user()
    # Twelve failed on three mornings: all overdue by the fourth.
    for i, question in enumerate(questions):
        _answer(user, question, False, MORNING + timedelta(days=i // 4, minutes=i))
    now = MORNING + timedelta(days=3)
    quiz, created = quizzes.start_quiz(user.id, "review", now=now)
    assert created and quiz.mode == "review" and quiz.question_count == 10
    assert [i.question_id for i in quiz.items] == [q.id for q in questions[:10]]


def test_nothing_to_review_is_a_409_with_the_next_due_time(make):
    question = make.question()
    user = make.user()
    with pytest.raises(Conflict) as nothing:
        quizzes.start_quiz(user.id, "review", now=MORNING)
    assert nothing.value.code == "nothing_to_review" and nothing.value.details == {"next_due_at": None}

    _answer(user, question, True, MORNING)  # back tomorrow, not today
    with pytest.raises(Conflict) as nothing:
        quizzes.start_quiz(user.id, "review", now=MORNING)
    due = _card(user, question).due
    assert nothing.value.details["next_due_at"].startswith(f"{due + timedelta(hours=8):%Y-%m-%dT%H:%M}")
    assert nothing.value.details["next_due_at"].endswith("+08:00")


def test_retired_and_exam_only_questions_are_not_served_for_review(make):
    category = make.category()
    kept, retired, exam_only = make.questions(3, category)
    user = make.user()
    for question in (kept, retired, exam_only):
        _answer(user, question, False, MORNING)
    retired.status = "retired"
    exam_only.exam_only = True
    db.session.flush()
    quiz, _ = quizzes.start_quiz(user.id, "review", now=MORNING + timedelta(hours=1))
    assert [i.question_id for i in quiz.items] == [kept.id]
    assert reviews.summary(user.id, MORNING + timedelta(hours=1))["due_today"] == 1


def test_the_daily_set_holds_up_to_two_due_reviews(make):
    category = make.category()
    failed = make.questions(3, category)
    make.questions(10, category)
    user = make.user()
    for question in failed:
        _answer(user, question, False, MORNING - timedelta(days=1))
    daily, _ = quizzes.start_quiz(user.id, "daily", now=MORNING)
    served = [i.question_id for i in daily.items]
    assert len(served) == 5 and len(set(served)) == 5
    assert len(set(served) & {q.id for q in failed}) == 2
    # The two most overdue.
    assert set(served[:2]) == {failed[0].id, failed[1].id}


def test_review_answers_earn_their_own_rule_up_to_its_daily_cap(make):
    category = make.category()
    questions = make.questions(12, category)
    user = make.user()
    for question in questions:
        _answer(user, question, False, MORNING - timedelta(days=1))
    earned = 0
    for start in (0, 10):
        quiz, _ = quizzes.start_quiz(user.id, "review", now=MORNING + timedelta(minutes=start))
        by_id = {q.id: q for q in questions}
        for item in quiz.items:
            earned += quizzes.answer(user.id, quiz.id, item.question_id, by_id[item.question_id].answer,
                                     now=MORNING + timedelta(minutes=start + 1)).points_awarded
    assert earned == 10  # 12 right, 1 point each, 10 a day at most
    reasons = db.session.scalars(db.select(PointsEntry.reason).where(PointsEntry.user_id == user.id)).all()
    assert set(reasons) == {"review_correct"}


def test_the_badge_counts_due_and_overdue_and_the_streak(make):
    category = make.category()
    questions = make.questions(4, category)
    user = make.user()
    _answer(user, questions[0], False, MORNING - timedelta(days=3))
    _answer(user, questions[1], False, MORNING)
    _answer(user, questions[2], True, MORNING)  # due tomorrow
    badge = reviews.summary(user.id, MORNING + timedelta(hours=1))
    assert badge["due_today"] == 2 and badge["overdue"] == 1 and badge["streak_days"] == 0
    assert badge["next_due_at"] == _card(user, questions[0]).due

    # Reviewing on three days in a row, then a day missed.
    for day in (0, 1, 2):
        quizzes.start_quiz(user.id, "review", now=MORNING + timedelta(days=day))
        quiz = db.session.scalars(db.select(Quiz).where(Quiz.user_id == user.id, Quiz.mode == "review")
                                  .order_by(Quiz.id.desc())).first()
        item = quiz.items[0]
        quizzes.answer(user.id, quiz.id, item.question_id, ["A"], now=MORNING + timedelta(days=day))
    assert reviews.summary(user.id, MORNING + timedelta(days=2))["streak_days"] == 3
    assert reviews.summary(user.id, MORNING + timedelta(days=3))["streak_days"] == 3  # today not yet reviewed
    assert reviews.summary(user.id, MORNING + timedelta(days=4))["streak_days"] == 0


def test_the_api_badge_review_quiz_and_book(api, make):
    question = make.question()
    me = api.as_user(user := make.user())
    assert me.get("/reviews").get_json() == {"due_today": 0, "overdue": 0, "next_due_at": None, "streak_days": 0}
    r = me.post("/quizzes", json={"mode": "review"})
    assert r.status_code == 409 and r.get_json()["code"] == "nothing_to_review"

    # Answered wrong an hour ago (not through the API: at 23:55 a failed card is due after
    # midnight, tomorrow, and this test must not depend on the hour it runs).
    _answer(user, question, False, utcnow() - timedelta(hours=1))
    db.session.flush()
    badge = me.get("/reviews").get_json()
    assert badge["due_today"] == 1 and badge["next_due_at"].endswith("+08:00")
    review = me.post("/quizzes", json={"mode": "review"})
    assert review.status_code == 201 and [q["id"] for q in review.get_json()["questions"]] == [question.id]
    r = me.post(f"/quizzes/{review.get_json()['id']}/answers", json={"question_id": question.id, "answer": question.answer})
    assert r.status_code == 200 and r.get_json()["points_awarded"] == 1
    assert me.get("/reviews").get_json()["streak_days"] == 1
    assert me.get("/wrong-answers").get_json()["items"][0]["next_review_at"] > badge["next_due_at"]
    assert me.get("/quizzes?mode=review").get_json()["total"] == 1


def test_the_answer_quotes_the_cited_article_when_the_library_holds_the_law(api, make):
    from tests.statutes.helpers import import_law

    import_law()  # 《乡村示范法》, whose 第五条 has two paragraphs
    held = make.question(source="《乡村示范法》第五条")
    not_held = make.question(held.category, source="《民法典》第一千零七十九条")
    missing = make.question(held.category, source="《乡村示范法》第九十九条")
    me = api.as_user(make.user())
    quiz = me.post("/quizzes", json={"mode": "practice", "category_id": held.category_id}).get_json()
    texts = {q["id"]: me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": ["A"]}).get_json()["article_text"]
             for q in quiz["questions"]}
    assert texts[held.id].startswith("村务应当公开。\n公开的内容包括：")
    assert texts[not_held.id] is None and texts[missing.id] is None
