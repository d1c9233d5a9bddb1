"""SQL statements per request must not grow with the bank or the town.

Measured: with 100 and with 10,000 questions and users, creating a daily quiz,
answering, and both leaderboards send the same number of statements."""
import random

from accounts.models import User
from core.extensions import db
from points.models import PointsTally
from quiz_bank.models import Category, Question
from quiz_bank.questions import fingerprint
from tests.factories import Factories


def _town(size: int):
    """Bulk-build a town of `size` questions and `size` users with points."""
    conn = db.session.connection()
    unit = Factories().org_unit(name=f"规模村{size}", kind="village")
    cat = Category(name=f"规模法{size}", slug=f"scale-{size}")
    db.session.add(cat)
    db.session.flush()
    options = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
    conn.execute(Question.__table__.insert(), [
        {"category_id": cat.id, "type": "single", "stem": f"规模题{size}-{i}", "options": options, "answer": ["B"],
         "explanation": "", "source": "《民法典》第一条", "difficulty": 1, "status": "active", "version": 1,
         "fingerprint": fingerprint(cat.id, "single", f"规模题{size}-{i}", options, ["B"])}
        for i in range(size)
    ])
    first = db.session.scalar(db.select(db.func.max(User.id))) or 0
    conn.execute(User.__table__.insert(), [
        {"openid": f"scale-{size}-{i}", "nickname": f"居民{i}", "avatar_url": "", "real_name": "", "role": "resident",
         "org_unit_id": unit.id, "points_balance": 0}
        for i in range(size)
    ])
    ids = db.session.scalars(db.select(User.id).where(User.id > first)).all()
    rng = random.Random(size)
    conn.execute(PointsTally.__table__.insert(), [
        {"user_id": uid, "period": period, "org_unit_id": unit.id, "points": rng.randint(1, 500)}
        for uid in ids for period in ("all",)
    ] + [
        {"user_id": uid, "period": period, "org_unit_id": unit.id, "points": rng.randint(1, 500)}
        for uid in ids[: size // 2] for period in _periods()
    ])
    return unit


def _periods():
    from core.timeutil import local_today, period_keys

    keys = period_keys(local_today())
    return [keys["week"], keys["month"], keys["year"]]


def _measure(api, make, count_queries, size):
    unit = _town(size)
    me = api.as_user(make.user(org_unit_id=unit.id))
    counts = {}
    with count_queries() as sql:
        quiz = me.post("/quizzes", json={"mode": "daily"}).get_json()
    counts["create daily quiz"] = len(sql)
    q = quiz["questions"][0]
    with count_queries() as sql:
        assert me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": q["id"], "answer": ["B"]}).status_code == 200
    counts["answer (correct)"] = len(sql)
    with count_queries() as sql:
        assert me.post(f"/quizzes/{quiz['id']}/answers", json={"question_id": quiz["questions"][1]["id"], "answer": ["A"]}).status_code == 200
    counts["answer (wrong)"] = len(sql)
    for period in ("week", "year"):
        for scope in ("town", "org_unit"):
            with count_queries() as sql:
                board = me.get(f"/leaderboard?period={period}&scope={scope}").get_json()
            assert len(board["items"]) == 50
            counts[f"leaderboard {period} {scope}"] = len(sql)
    return counts


def test_queries_per_request_do_not_grow_with_data(api, make, count_queries):
    small = _measure(api, make, count_queries, 100)
    large = _measure(api, make, count_queries, 10_000)
    print("\nSQL statements per request (100 vs 10,000):", small, large)
    assert small == large
    # And they are few: the hot path stays a handful of statements. A wrong answer: load
    # (locking), save, progress, review card, wrong-answer book, cited article's text.
    assert large["answer (correct)"] <= 8 and large["answer (wrong)"] <= 6



def test_the_laws_are_read_with_their_kept_counts_not_counted_per_request(api, make):
    """GET /categories and /me/mastery answer each law's servable questions (100,698 in
    a district's bank) from the counts the bank keeps on the law's row: no statement of
    theirs counts questions."""
    from sqlalchemy import event

    law = make.category(name="民法典")
    make.questions(3, law)
    make.question(law, status="retired")
    make.question(law, exam_only=True)
    me = api.as_user(make.user())
    sent = []

    def keep(conn, cursor, statement, params, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        listed = me.get("/categories").get_json()
        mastery = me.get("/me/mastery").get_json()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert {c["name"]: c["question_count"] for c in listed}["民法典"] == 3
    assert [m["category"]["name"] for m in mastery] == ["民法典"]
    assert sent and not [s for s in sent if "FROM question" in s], sent
