"""Quiz modes, grading and the wrong-answer book."""
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Integer, bindparam, delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.errors import ApiError
from core.extensions import db
from core.sql import in_write_transaction, insert, prepared, values
from core.sqlite_writer import runs_in_writer
from core.timeutil import local_today, utcnow
from points import ledger
from points.rules import rule
from quiz_bank.draw import draw
from quiz_bank.models import Category, Question, Quiz, QuizItem, SeenQuestion, WrongAnswer

QUIZ_SIZES = {"daily": 5, "practice": 10, "challenge": 30}


def _not_found() -> ApiError:
    # Someone else's quiz answers exactly like a missing one, so ids can't be probed.
    return ApiError(404, "not_found", "答题记录不存在。")


def get_quiz(user_id: int, quiz_id: int) -> Quiz:
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.id == quiz_id, Quiz.user_id == user_id).options(selectinload(Quiz.items))
    )
    if quiz is None:
        raise _not_found()
    return quiz


def start_quiz(user_id: int, mode: str, category_id: int | None = None, now=None, event=None) -> tuple[Quiz, bool]:
    """Start a quiz; returns (quiz, created). A second daily request the same day
    gives back the day's quiz so the phone can resume. `now` is for replaying history.
    An on-site quiz (mode "event") takes its law, size, closing time and points from
    `event`; activities.events checks who may start it."""
    now = now or utcnow()
    daily_date = None
    if mode == "daily":
        category_id = None  # the day's set mixes every law
        daily_date = local_today(now)
        existing = _daily_quiz(user_id, daily_date)
        if existing:
            return existing, False
    if mode == "practice" and category_id is None:
        raise ApiError(422, "validation_error", "专项练习请选择一个法律分类。", {"category_id": ["专项练习必须选择分类。"]})
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise ApiError(404, "not_found", "所选分类不存在。", {"category_id": ["分类不存在。"]})
    size = event.quiz_size if event is not None else current_app.config["QUIZ_SIZES"][mode]
    question_ids = draw(user_id, size, category_id)
    if not question_ids:
        raise ApiError(409, "no_questions", "该分类暂时没有可用的题目。")
    quiz = Quiz(user_id=user_id, mode=mode, category_id=category_id, daily_date=daily_date, question_count=len(question_ids), started_at=now)
    if event is not None:
        quiz.event_id, quiz.closes_at, quiz.points_each = event.id, event.ends_at, event.quiz_points_each
    db.session.add(quiz)
    try:
        db.session.flush()
    except IntegrityError:
        # Two taps raced to create today's set (or the event's quiz): the other one won; resume it.
        db.session.rollback()
        if event is not None:
            return event_quiz(user_id, event.id), False
        return _daily_quiz(user_id, daily_date), False
    quiz_id = quiz.id  # read before commit, which expires it
    db.session.execute(insert(QuizItem.__table__), [
        {"quiz_id": quiz_id, "question_id": qid, "position": i, "points_awarded": 0} for i, qid in enumerate(question_ids)
    ])
    db.session.execute(
        insert(SeenQuestion.__table__).values([{"user_id": user_id, "question_id": q} for q in question_ids]).on_conflict_do_nothing()
    )
    db.session.commit()
    return get_quiz(user_id, quiz_id), True


def event_quiz(user_id: int, event_id: int) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.user_id == user_id, Quiz.event_id == event_id).options(selectinload(Quiz.items))
    )


def _daily_quiz(user_id: int, day) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.user_id == user_id, Quiz.daily_date == day).options(selectinload(Quiz.items))
    )


@dataclass
class AnswerResult:
    correct: bool
    correct_answer: list
    explanation: str
    source: str
    points_awarded: int
    quiz_status: str


@prepared
def _answer_statements(dialect: str) -> SimpleNamespace:
    q, item, quiz, wrong = Question.__table__, QuizItem.__table__, Quiz.__table__, WrongAnswer.__table__
    load = (
        select(quiz.c.mode, quiz.c.status, quiz.c.question_count, quiz.c.answered_count, quiz.c.correct_count,
               quiz.c.closes_at, quiz.c.points_each, item.c.answered_at, q.c.type, q.c.options, q.c.answer, q.c.explanation, q.c.source, q.c.category_id,
               wrong.c.question_id.is_not(None))
        .select_from(
            quiz.join(item, item.c.quiz_id == quiz.c.id).join(q, q.c.id == item.c.question_id)
            # Whether the question is in the person's wrong-answer book already.
            .outerjoin(wrong, (wrong.c.user_id == quiz.c.user_id) & (wrong.c.question_id == q.c.id))
        )
        .where(quiz.c.id == bindparam("qz"), quiz.c.user_id == bindparam("uid"), item.c.question_id == bindparam("qn"))
        # Serialises answers within one quiz on PostgreSQL, and makes a waiting request
        # re-read both rows once the first commits (SQLite serialises writers anyway).
        .with_for_update(of=[quiz, item])
    )
    owned = select(quiz.c.id).where(quiz.c.id == bindparam("qz"), quiz.c.user_id == bindparam("uid"))
    if dialect == "postgresql":
        # The whole answer in one round trip: the ledger's credit CTEs, then the answer,
        # the quiz's progress and the wrong-answer book, all paid from `paid`.
        return SimpleNamespace(load=load, owned=owned, save=text(f"WITH {ledger.CREDIT_CTES}, {ANSWER_CTES} SELECT (SELECT points FROM paid)"))
    save = (
        update(item)
        .where(item.c.quiz_id == bindparam("qz"), item.c.question_id == bindparam("qn"))
        .values(answer=bindparam("given"), correct=bindparam("ok"), answered_at=bindparam("now"), points_awarded=bindparam("points"))
    )
    progress = (
        update(quiz).where(quiz.c.id == bindparam("qz")).values(
            answered_count=bindparam("answered"), correct_count=bindparam("right_count"),
            points_awarded=quiz.c.points_awarded + bindparam("points", type_=Integer),
            status=bindparam("new_status"), finished_at=bindparam("end"),
        )
    )
    right = delete(wrong).where(wrong.c.user_id == bindparam("uid"), wrong.c.question_id == bindparam("qn"))
    upsert = insert(wrong, dialect).values(
        user_id=bindparam("uid"), question_id=bindparam("qn"), category_id=bindparam("cat"),
        last_answer=bindparam("given"), wrong_count=1, last_wrong_at=bindparam("now"),
    )
    wrong_again = upsert.on_conflict_do_update(
        index_elements=["user_id", "question_id"],
        set_={"wrong_count": wrong.c.wrong_count + 1, "last_answer": upsert.excluded.last_answer, "last_wrong_at": upsert.excluded.last_wrong_at},
    )
    return SimpleNamespace(load=load, owned=owned, save=save, progress=progress, right=right, wrong=wrong_again)


# After points.ledger.CREDIT_CTES (PostgreSQL): what answer() does statement by
# statement on SQLite. :extra is what an earlier credit of the same answer paid.
ANSWER_CTES = """
saved AS (
    UPDATE quiz_item SET answer = :given, correct = :ok, answered_at = :now, points_awarded = (SELECT points FROM paid) + :extra
    WHERE quiz_id = :qz AND question_id = :qn
), progress AS (
    UPDATE quiz SET answered_count = :answered, correct_count = :right_count, status = :new_status, finished_at = :end,
        points_awarded = points_awarded + (SELECT points FROM paid) + :extra
    WHERE id = :qz
), booked AS (
    INSERT INTO wrong_answer (user_id, question_id, category_id, last_answer, wrong_count, last_wrong_at)
    SELECT :uid, :qn, :cat, CAST(:given AS JSON), 1, :now WHERE NOT :ok
    ON CONFLICT (user_id, question_id) DO UPDATE
    SET wrong_count = wrong_answer.wrong_count + 1, last_answer = excluded.last_answer, last_wrong_at = excluded.last_wrong_at
), unbooked AS (
    DELETE FROM wrong_answer WHERE :ok AND :in_book AND user_id = :uid AND question_id = :qn
)"""


def answer(user_id: int, quiz_id: int, question_id: int, given: list[str], now=None) -> AnswerResult:
    """Grade one answer. The hot path of the app: a fixed handful of ready-compiled
    statements (see core.sql.prepared), one on PostgreSQL, in a transaction of their
    own on a connection of their own. So on SQLite the caller's session must not be in
    a transaction then: it would hold (or, reading, outlive) the write lock."""
    return in_write_transaction(_answer, user_id, quiz_id, question_id, given, now or utcnow())


@runs_in_writer
def _answer(conn, user_id: int, quiz_id: int, question_id: int, given: list[str], now) -> AnswerResult:
    sql, val = _answer_statements(conn), values(conn)
    keys = {"qz": quiz_id, "uid": user_id, "qn": question_id}
    row = sql.load(conn, keys).fetchone()
    if row is None:
        if sql.owned(conn, keys).fetchone() is None:
            raise _not_found()
        raise ApiError(422, "question_not_in_quiz", "这道题不在本次答题中。", {"question_id": ["不在本次答题中。"]})
    (mode, status, total, answered, right_so_far, closes_at, points_each, answered_at, qtype, options, key,
     explanation, source, category_id, in_book) = row
    # The rows are locked until the transaction ends: these checks stay true.
    if answered_at is not None:
        raise ApiError(409, "already_answered", "这道题已经作答过了。")
    if status != "in_progress":
        if mode == "challenge":
            raise ApiError(409, "challenge_over", "本轮挑战已结束，请重新开始挑战。")
        raise ApiError(409, "quiz_finished", "本次答题已结束。")
    if closes_at is not None and now > val.read_time(closes_at):
        raise ApiError(409, "quiz_closed", "活动已经结束，现场答题已关闭。")
    key = sorted(val.read_json(key))
    given = check_answer(qtype, [o["key"] for o in val.read_json(options)], given)
    correct = given == key

    answered += 1
    right_so_far += int(correct)
    # A challenge run ends at the first wrong answer.
    finished = answered == total or (mode == "challenge" and not correct)
    status = "finished" if finished else "in_progress"
    credits = _credits(quiz_id, question_id, mode, correct, finished, right_so_far, total, points_each)
    at, given_json = val.time(now), val.json(given)
    answer_params = {**keys, "given": given_json, "ok": correct, "now": at, "answered": answered, "right_count": right_so_far,
                     "new_status": status, "end": at if finished else None, "cat": category_id, "in_book": bool(in_book)}
    if hasattr(sql, "progress"):  # SQLite: statement by statement
        points = sum(ledger.credit(user_id, r, p, k, note, now=now, conn=conn) for r, p, k, note in credits)
        sql.save(conn, {**answer_params, "points": points})
        sql.progress(conn, {**answer_params, "points": points})
        if correct and in_book:
            sql.right(conn, keys)
        elif not correct:
            sql.wrong(conn, answer_params)
    else:
        # One credit rides in the answer's statement; a second (the perfect day's bonus) goes first.
        extra = sum(ledger.credit(user_id, r, p, k, note, now=now, conn=conn) for r, p, k, note in credits[1:])
        r, p, k, note = credits[0] if credits else (None, 0, "", "")
        paid = ledger.credit_params(user_id, r, p, k, note, now, val)
        points = extra + sql.save(conn, {**paid, **answer_params, "extra": extra}).fetchone()[0]
    return AnswerResult(correct, key, explanation, source, points, status)


def check_answer(qtype: str, keys: list[str], given: list[str]) -> list[str]:
    """The given option keys cleaned and sorted, or a 422 saying what is wrong with them.
    `keys`: the option keys as the person was shown them."""
    clean = sorted({str(k).strip().upper() for k in given})
    if not clean:
        raise ApiError(422, "validation_error", "请选择答案。", {"answer": ["答案不能为空。"]})
    unknown = [k for k in clean if k not in keys]
    if unknown:
        raise ApiError(422, "invalid_option", "所选选项不存在。", {"answer": [f"没有选项 {'、'.join(unknown)}。"]})
    if qtype != "multiple" and len(clean) != 1:
        raise ApiError(422, "validation_error", "这道题只能选一个答案。", {"answer": ["只能选一个答案。"]})
    return clean


def _credits(quiz_id, question_id, mode, correct, finished, correct_count, total, points_each=None) -> list[tuple]:
    """What one answer earns, by the rules in points.rules: (rule, points, idempotency
    key, note) for each credit. The ledger applies the daily caps."""
    key = f"quiz:{quiz_id}:q:{question_id}"
    credits = []
    if mode == "daily":
        if correct:
            credits.append(_rule_credit("daily_correct", key))
        if finished and correct_count == total:
            credits.append(_rule_credit("daily_perfect", f"quiz:{quiz_id}:perfect"))
    elif mode == "practice" and correct:
        credits.append(_rule_credit("practice_correct", key))
    elif mode == "challenge" and finished:
        credits.append(_challenge_credit(quiz_id, correct_count))
    elif mode == "event" and correct:
        credits.append((rule("event_quiz"), points_each or 0, key, ""))
    return credits


def _rule_credit(name: str, key: str) -> tuple:
    r = rule(name)
    return r, r.points, key, ""


def _challenge_credit(quiz_id: int, streak: int) -> tuple:
    r = rule("challenge")
    return r, r.for_streak(streak), f"quiz:{quiz_id}:challenge", f"连续答对{streak}题"


def finish(user_id: int, quiz_id: int, now=None) -> Quiz:
    """End a quiz early (or confirm its end). A challenge run pays for its streak here
    if it had not ended already."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.id == quiz_id, Quiz.user_id == user_id).with_for_update())
    if quiz is None:
        raise _not_found()
    if quiz.status == "in_progress":
        now = now or utcnow()
        if quiz.mode == "challenge":
            r, points, key, note = _challenge_credit(quiz.id, quiz.correct_count)
            quiz.points_awarded += ledger.credit(user_id, r, points, key, note, now=now)
        quiz.status = "finished"
        quiz.finished_at = now
        db.session.commit()
    return quiz


def my_quizzes(user_id: int, mode: str | None, page: int, per_page: int):
    q = select(Quiz).where(Quiz.user_id == user_id)
    if mode:
        q = q.where(Quiz.mode == mode)
    return db.paginate(q.order_by(Quiz.id.desc()), page=page, per_page=per_page, error_out=False)


def wrong_answers(user_id: int, category_id: int | None, page: int, per_page: int):
    q = select(WrongAnswer).where(WrongAnswer.user_id == user_id)
    if category_id is not None:
        q = q.where(WrongAnswer.category_id == category_id)
    return db.paginate(q.order_by(WrongAnswer.last_wrong_at.desc()), page=page, per_page=per_page, error_out=False)


