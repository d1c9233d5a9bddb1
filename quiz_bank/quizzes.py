"""Quiz modes, grading and the wrong-answer book."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Integer, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.domain_errors import Conflict, Invalid, NotFound
from core.extensions import db
from core.sql import insert
from core.transactions import writes, writing
from core.timeutil import local_today, to_local, utcnow
from learning import reviews
from learning.cards import CARD_COLUMNS, GRADUATED, reviewed
from learning.models import ReviewCard, ReviewDay
from points import ledger
from points.rules import rule
from quiz_bank.draw import draw
from quiz_bank.models import Category, Question, Quiz, QuizItem, SeenQuestion, WrongAnswer
from statutes.citations import article_text

QUIZ_SIZES = {"daily": 5, "practice": 10, "challenge": 30, "review": 10}
# How many of the daily set may be the person's due reviews; the rest are new questions.
DAILY_REVIEWS = 2


def _not_found() -> NotFound:
    # Someone else's quiz answers exactly like a missing one, so ids can't be probed.
    return NotFound("答题记录不存在。")


def get_quiz(user_id: int, quiz_id: int) -> Quiz:
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.id == quiz_id, Quiz.user_id == user_id).options(selectinload(Quiz.items))
    )
    if quiz is None:
        raise _not_found()
    return quiz


@writes
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
        raise Invalid("专项练习请选择一个法律分类。", {"category_id": ["专项练习必须选择分类。"]})
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise NotFound("所选分类不存在。", {"category_id": ["分类不存在。"]})
    size = event.quiz_size if event is not None else current_app.config["QUIZ_SIZES"][mode]
    question_ids = _questions(user_id, mode, size, category_id, now)
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
    quiz_id = quiz.id
    db.session.execute(insert(QuizItem.__table__), [
        {"quiz_id": quiz_id, "question_id": qid, "position": i, "points_awarded": 0} for i, qid in enumerate(question_ids)
    ])
    db.session.execute(
        insert(SeenQuestion.__table__).values([{"user_id": user_id, "question_id": q} for q in question_ids]).on_conflict_do_nothing()
    )
    return get_quiz(user_id, quiz_id), True


def _questions(user_id: int, mode: str, size: int, category_id: int | None, now) -> list[int]:
    """The quiz's questions: the review quiz serves the person's due cards; the daily set
    starts with up to DAILY_REVIEWS of them and draws the rest; other modes draw."""
    if mode == "review":
        due = reviews.due_questions(user_id, now, size, category_id)
        if not due:
            upcoming = reviews.next_due_at(user_id, category_id)
            raise Conflict("今天没有需要复习的题目。" + (f"下一次复习：{to_local(upcoming):%m月%d日 %H:%M}。" if upcoming else ""),
                           {"next_due_at": to_local(upcoming).isoformat(timespec="seconds") if upcoming else None}, code="nothing_to_review")
        return due
    due = reviews.due_questions(user_id, now, DAILY_REVIEWS) if mode == "daily" else []
    question_ids = due + draw(user_id, size - len(due), category_id, exclude=due)
    if not question_ids:
        raise Conflict("该分类暂时没有可用的题目。", code="no_questions")
    return question_ids


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
    article_text: str | None = None


_quiz, _item, _question, _book, _card = Quiz.__table__, QuizItem.__table__, Question.__table__, WrongAnswer.__table__, ReviewCard.__table__
# The answer's statements, built once with their values bound per answer (building a
# statement costs more than running it); table statements, since no ORM object of these
# rows is loaded to keep in step.
_LOAD = (
    select(_quiz.c.mode, _quiz.c.status, _quiz.c.question_count, _quiz.c.answered_count, _quiz.c.correct_count,
           _quiz.c.closes_at, _quiz.c.points_each, _item.c.answered_at, _question.c.type, _question.c.options,
           _question.c.answer, _question.c.explanation, _question.c.source, _question.c.category_id,
           _book.c.question_id.is_not(None), *(_card.c[c] for c in CARD_COLUMNS))
    .select_from(_quiz.join(_item, _item.c.quiz_id == _quiz.c.id).join(_question, _question.c.id == _item.c.question_id)
                 # Whether the question is in the person's wrong-answer book already, and its review card.
                 .outerjoin(_book, (_book.c.user_id == _quiz.c.user_id) & (_book.c.question_id == _question.c.id))
                 .outerjoin(_card, (_card.c.user_id == _quiz.c.user_id) & (_card.c.question_id == _question.c.id)))
    .where(_quiz.c.id == bindparam("qz"), _quiz.c.user_id == bindparam("uid"), _item.c.question_id == bindparam("qn"))
    # PostgreSQL: a second tap on the same quiz waits here, then finds the question answered.
    .with_for_update(of=[_quiz, _item])
)
_OWNED = select(_quiz.c.id).where(_quiz.c.id == bindparam("qz"), _quiz.c.user_id == bindparam("uid"))
_SAVE = (
    update(_item).where(_item.c.quiz_id == bindparam("qz"), _item.c.question_id == bindparam("qn"))
    .values(answer=bindparam("given"), correct=bindparam("ok"), answered_at=bindparam("now"), points_awarded=bindparam("points"))
)
_PROGRESS = update(_quiz).where(_quiz.c.id == bindparam("qz")).values(
    answered_count=bindparam("answered"), correct_count=bindparam("right"), status=bindparam("status"),
    finished_at=bindparam("end"), points_awarded=_quiz.c.points_awarded + bindparam("points", type_=Integer),
)
_UNBOOK = delete(_book).where(_book.c.user_id == bindparam("uid"), _book.c.question_id == bindparam("qn"))


def _book_statement(dialect_insert):
    booked = dialect_insert(_book).values(user_id=bindparam("uid"), question_id=bindparam("qn"), category_id=bindparam("cat"),
                                          last_answer=bindparam("given"), wrong_count=1, last_wrong_at=bindparam("now"))
    return booked.on_conflict_do_update(
        index_elements=["user_id", "question_id"],
        set_={"wrong_count": _book.c.wrong_count + 1, "last_answer": booked.excluded.last_answer, "last_wrong_at": booked.excluded.last_wrong_at},
    )


_BOOK = {"sqlite": _book_statement(sqlite.insert), "postgresql": _book_statement(postgresql.insert)}


def _card_statement(dialect_insert):
    card = dialect_insert(_card).values(user_id=bindparam("uid"), question_id=bindparam("qn"), category_id=bindparam("cat"),
                                        **{c: bindparam(c) for c in CARD_COLUMNS})
    return card.on_conflict_do_update(index_elements=["user_id", "question_id"], set_={c: card.excluded[c] for c in CARD_COLUMNS})


_CARD = {"sqlite": _card_statement(sqlite.insert), "postgresql": _card_statement(postgresql.insert)}
_REVIEW_DAY = {name: dialect_insert(ReviewDay.__table__).values(user_id=bindparam("uid"), day=bindparam("day")).on_conflict_do_nothing()
               for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))}


def answer(user_id: int, quiz_id: int, question_id: int, given: list[str], now=None) -> AnswerResult:
    """Grade one answer and pay for it, in one unit of work: the quiz and its item are
    read with a row lock (PostgreSQL; SQLite's write lock serialises anyway), so the
    checks below stay true until it commits."""
    now = now or utcnow()
    keys = {"qz": quiz_id, "uid": user_id, "qn": question_id}
    with writing():
        conn = db.session.connection()
        row = conn.execute(_LOAD, keys).one_or_none()
        if row is None:
            if conn.execute(_OWNED, keys).first() is None:
                raise _not_found()
            raise Invalid("这道题不在本次答题中。", {"question_id": ["不在本次答题中。"]}, code="question_not_in_quiz")
        (mode, status, total, answered, right_so_far, closes_at, points_each, answered_at, qtype, options, key,
         explanation, source, category_id, in_book, *card) = row
        if answered_at is not None:
            raise Conflict("这道题已经作答过了。", code="already_answered")
        if status != "in_progress":
            if mode == "challenge":
                raise Conflict("本轮挑战已结束，请重新开始挑战。", code="challenge_over")
            raise Conflict("本次答题已结束。", code="quiz_finished")
        if closes_at is not None and now > closes_at:
            raise Conflict("活动已经结束，现场答题已关闭。", code="quiz_closed")
        key = sorted(key)
        given = check_answer(qtype, [o["key"] for o in options], given)
        correct = given == key

        answered += 1
        right_so_far += int(correct)
        # A challenge run ends at the first wrong answer.
        finished = answered == total or (mode == "challenge" and not correct)
        status = "finished" if finished else "in_progress"
        credits = _credits(quiz_id, question_id, mode, correct, finished, right_so_far, total, points_each)
        points = sum(ledger.credit(user_id, r, p, k, note, now=now) for r, p, k, note in credits)
        done = {**keys, "given": given, "ok": correct, "now": now, "points": points, "answered": answered, "right": right_so_far,
                "status": status, "end": now if finished else None, "cat": category_id}
        card = reviewed(dict(zip(CARD_COLUMNS, card)) if card[0] is not None else None, correct, now)
        conn.execute(_SAVE, done)
        conn.execute(_PROGRESS, done)
        conn.execute(_CARD[conn.dialect.name], {**done, **card})
        # The book keeps a question until its card graduates, not at the first right answer.
        if correct and in_book and card["state"] == GRADUATED:
            conn.execute(_UNBOOK, keys)
        elif not correct:
            conn.execute(_BOOK[conn.dialect.name], done)
        if mode == "review":
            conn.execute(_REVIEW_DAY[conn.dialect.name], {**keys, "day": local_today(now)})
    # Read after the answer's locks are released: the cited article, when the library holds it.
    return AnswerResult(correct, key, explanation, source, points, status, article_text(source))


def check_answer(qtype: str, keys: list[str], given: list[str]) -> list[str]:
    """The given option keys cleaned and sorted, or a 422 saying what is wrong with them.
    `keys`: the option keys as the person was shown them."""
    clean = sorted({str(k).strip().upper() for k in given})
    if not clean:
        raise Invalid("请选择答案。", {"answer": ["答案不能为空。"]})
    unknown = [k for k in clean if k not in keys]
    if unknown:
        raise Invalid("所选选项不存在。", {"answer": [f"没有选项 {'、'.join(unknown)}。"]}, code="invalid_option")
    if qtype != "multiple" and len(clean) != 1:
        raise Invalid("这道题只能选一个答案。", {"answer": ["只能选一个答案。"]})
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
    elif mode == "review" and correct:
        credits.append(_rule_credit("review_correct", key))
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


@writes
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
    return quiz


def my_quizzes(user_id: int, mode: str | None, page: int, per_page: int):
    q = select(Quiz).where(Quiz.user_id == user_id)
    if mode:
        q = q.where(Quiz.mode == mode)
    return db.paginate(q.order_by(Quiz.id.desc()), page=page, per_page=per_page, error_out=False)


def wrong_answers(user_id: int, category_id: int | None, page: int, per_page: int):
    """The person's wrong-answer book. It shows each question's key, so a question kept
    for exams only, itself or by its law, is left out, also one marked after it was
    answered wrong (its row stays, unseen, and is listed again if the mark is lifted).
    Not draw.in_quizzes(): a retired question stays in the book, it was still asked."""
    kept_for_exams = select(Category.id).where(Category.exam_only.is_(True))
    q = (select(WrongAnswer).join(Question, Question.id == WrongAnswer.question_id)
         .where(WrongAnswer.user_id == user_id, Question.exam_only.is_(False), Question.category_id.not_in(kept_for_exams)))
    if category_id is not None:
        q = q.where(WrongAnswer.category_id == category_id)
    return db.paginate(q.order_by(WrongAnswer.last_wrong_at.desc()), page=page, per_page=per_page, error_out=False)


