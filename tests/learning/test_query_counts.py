"""The review badge, mastery and a review quiz send as many statements with 5 cards as
with 2,000."""
from datetime import timedelta

from core.extensions import db
from core.timeutil import utcnow
from learning.models import ReviewCard
from quiz_bank.models import Question
from quiz_bank.questions import fingerprint


def _person_with_cards(make, n: int):
    """A person with `n` review cards over two laws, a third of them due."""
    conn = db.session.connection()
    laws = [make.category(), make.category()]
    options = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
    first = db.session.scalar(db.select(db.func.max(Question.id))) or 0
    conn.execute(Question.__table__.insert(), [
        {"category_id": laws[i % 2].id, "type": "single", "stem": f"复习题{n}-{i}", "options": options, "answer": ["B"],
         "explanation": "", "source": "《民法典》第一条", "difficulty": 1, "status": "active", "version": 1,
         "fingerprint": fingerprint(laws[i % 2].id, "single", f"复习题{n}-{i}", options, ["B"])}
        for i in range(n)
    ])
    rows = db.session.execute(db.select(Question.id, Question.category_id).where(Question.id > first)).all()
    user = make.user()
    now = utcnow()
    conn.execute(ReviewCard.__table__.insert(), [
        {"user_id": user.id, "question_id": qid, "category_id": cat, "state": 2, "step": None, "stability": 5.0 + i % 20,
         "difficulty": 5.0, "due": now + timedelta(days=(i % 3) - 1), "last_review": now - timedelta(days=i % 30),
         "reviews": 2, "lapses": 0}
        for i, (qid, cat) in enumerate(rows)
    ])
    return user


def _measure(api, make, count_queries, n: int) -> dict:
    me = api.as_user(_person_with_cards(make, n))
    counts = {}
    for name, call in (("badge", lambda: me.get("/reviews")), ("mastery", lambda: me.get("/me/mastery")),
                       ("review quiz", lambda: me.post("/quizzes", json={"mode": "review"}))):
        with count_queries() as sql:
            assert call().status_code in (200, 201)
        counts[name] = len(sql)
    return counts


def test_statements_do_not_grow_with_cards(api, make, count_queries):
    small, large = _measure(api, make, count_queries, 5), _measure(api, make, count_queries, 2_000)
    assert small == large
    assert large["badge"] <= 3 and large["mastery"] <= 3
