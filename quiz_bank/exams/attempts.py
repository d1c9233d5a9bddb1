"""Sitting an exam: drawing a paper, saving each answer as it is given, resuming,
submitting, and finalising attempts whose time ran out with what was saved."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Integer, Row, any_, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from accounts.models import Cadre
from accounts.roster import is_cadre_of
from core import sql
from core.domain_errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes, writing
from quiz_bank.exams.assignment import assigned
from quiz_bank.exams import papers
from quiz_bank.exams.models import AttemptItem, Exam, ExamAttempt
from quiz_bank.models import Category, Question
from quiz_bank.questions import OPTION_KEYS
from quiz_bank.quizzes import check_answer


def _not_on_paper() -> Invalid:
    return Invalid("这道题不在您的试卷中。", {"question_id": ["不在本试卷中。"]}, code="question_not_in_attempt")


def _not_found() -> NotFound:
    # Someone else's attempt answers exactly like a missing one.
    return NotFound("考试记录不存在。")


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["EXAM_GRACE_SECONDS"])


def exam_status(exam: Exam, now: datetime) -> str:
    if now < exam.opens_at:
        return "upcoming"
    return "open" if now < exam.closes_at else "closed"


def timed_out(attempt: ExamAttempt, now: datetime) -> bool:
    """Past the deadline and its grace (the grace covers the network, not the person)."""
    return now > attempt.deadline + grace()


# -- what the cadre sees -----------------------------------------------------------


def my_exams(user_id: int, now: datetime | None = None) -> list[dict]:
    """The exams assigned to this user (none unless they are a bound cadre)."""
    now = now or utcnow()
    exams = db.session.scalars(
        select(Exam).join(Cadre, is_cadre_of(user_id)).where(assigned()).options(selectinload(Exam.rules))
        .order_by(Exam.opens_at.desc(), Exam.id.desc())
    ).all()
    used = {
        exam_id: (n, best)
        for exam_id, n, best in db.session.execute(
            select(ExamAttempt.exam_id, func.count(), func.max(ExamAttempt.score))
            .where(ExamAttempt.user_id == user_id).group_by(ExamAttempt.exam_id)
        )
    }
    return [
        {"id": e.id, "title": e.title, "kind": e.kind, "opens_at": e.opens_at, "closes_at": e.closes_at,
         "duration_minutes": e.duration_minutes, "pass_score": e.pass_score, "total_score": e.total_score,
         "question_count": e.question_count, "attempts_allowed": e.attempts_allowed,
         "attempts_used": used.get(e.id, (0, None))[0], "best_score": used.get(e.id, (0, None))[1],
         "status": exam_status(e, now)}
        for e in exams
    ]


def _shown_options(option_order: list | None, options: list[dict]) -> list[dict]:
    if not option_order:
        return options
    text = {o["key"]: o["text"] for o in options}
    return [{"key": OPTION_KEYS[i], "text": text[k]} for i, k in enumerate(option_order)]


def shown_keys(option_order: list | None, keys: list[str] | None) -> list[str] | None:
    """Keys in the question's own labels, as the person saw them (A, B, C... in order shown)."""
    if keys is None or not option_order:
        return keys
    return sorted(OPTION_KEYS[option_order.index(k)] for k in keys)


def paper_of(attempt: ExamAttempt) -> list[tuple[Question, list | None]]:
    """The attempt's questions in the order shown, each with its option order."""
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_([i[0] for i in attempt.paper])))}
    return [(questions[qid], order) for qid, _, order in attempt.paper]


@dataclass
class AttemptView:
    """An attempt as the phone sees it (api.schemas.AttemptOut)."""

    id: int
    exam_id: int
    number: int
    status: str
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None
    score: int | None
    passed: bool | None
    total_score: int
    questions: list[dict]
    answers: dict[str, list[str]]
    review: list[dict] | None


@cache
def _paper_rows(review: bool, dialect: str):
    """The paper's questions (ids bound as `ids`) with the attempt's saved items (`attempt_id`),
    plus the answer key when reviewed. Built once a kind and dialect: only the values change.
    On PostgreSQL the ids go as one array: fifty `IN` parameters cost more CPU to render,
    and psycopg parses afresh every statement of over fifty parameters."""
    columns = [Question.id, Question.type, Question.stem, Question.options, Category.id, Category.name,
               AttemptItem.answer, AttemptItem.correct, AttemptItem.score]
    if review:
        columns += [Question.answer, Question.explanation, Question.source]
    ids = (Question.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer))) if dialect == "postgresql"
           else Question.id.in_(bindparam("ids", expanding=True)))
    return (
        select(*columns).join(Category, Category.id == Question.category_id)
        .outerjoin(AttemptItem, (AttemptItem.attempt_id == bindparam("attempt_id")) & (AttemptItem.question_id == Question.id))
        .where(ids)
    )


def view(attempt: "ExamAttempt | NewAttempt", now: datetime | None = None) -> AttemptView:
    """The paper in the order shown, with its options as this person sees them, the
    answers saved so far and, when the exam's policy allows, the review: one query
    of plain rows, however long the paper."""
    review = [] if show_review(attempt, now) else None
    rows = {row[0]: row for row in db.session.connection().execute(
        _paper_rows(review is not None, sql.dialect_name()), {"attempt_id": attempt.id, "ids": [item[0] for item in attempt.paper]}
    )}
    questions, answers = [], {}
    for qid, points, order in attempt.paper:
        _, qtype, stem, options, cat_id, cat_name, given, correct, score, *more = rows[qid]
        questions.append({"id": qid, "type": qtype, "stem": stem, "options": _shown_options(order, options),
                          "category": {"id": cat_id, "name": cat_name}, "points": points})
        if given is not None:
            answers[str(qid)] = shown_keys(order, given)
        if review is not None:
            key, explanation, source = more
            review.append({"question_id": qid, "answer": shown_keys(order, given), "correct_answer": shown_keys(order, key),
                           "correct": bool(correct), "score": score or 0, "explanation": explanation, "source": source})
    return AttemptView(attempt.id, attempt.exam_id, attempt.number, attempt.status, attempt.started_at, attempt.deadline,
                       attempt.submitted_at, attempt.score, attempt.passed, attempt.total_score, questions, answers, review)


def _from_display(option_order: list | None, options: list, given: list[str], qtype: str) -> list[str]:
    """The answer in the question's own keys, from the keys the person saw."""
    shown = [OPTION_KEYS[i] for i in range(len(options))] if option_order else [o["key"] for o in options]
    clean = check_answer(qtype, shown, given)
    if not option_order:
        return clean
    return sorted(option_order[OPTION_KEYS.index(k)] for k in clean)


def show_review(attempt: ExamAttempt, now: datetime | None = None) -> bool:
    if attempt.status == "in_progress":
        return False
    policy = attempt.exam.review_policy
    return policy == "after_submit" or (policy == "after_close" and (now or utcnow()) >= attempt.exam.closes_at)


# -- starting ------------------------------------------------------------------------


# The exam's row as a start needs it, the user's cadre, whether they sit it and how many
# attempts they have made at it, in one query of plain columns (built once).
_user = bindparam("user_id")
_EXAM_FOR = (
    select(Exam.opens_at, Exam.closes_at, Exam.duration_minutes, Exam.pass_score, Exam.attempts_allowed,
           Cadre.id.label("cadre_id"), assigned().label("assigned"),
           select(func.count()).where(ExamAttempt.exam_id == Exam.id, ExamAttempt.user_id == _user)
           .scalar_subquery().label("made"))
    .outerjoin(Cadre, is_cadre_of(_user)).where(Exam.id == bindparam("exam_id"))
)
_NEW_ATTEMPT = insert(ExamAttempt.__table__).returning(ExamAttempt.id)


def _exam_for(user_id: int, exam_id: int) -> Row:
    row = db.session.connection().execute(_EXAM_FOR, {"user_id": user_id, "exam_id": exam_id}).one_or_none()
    if row is None:
        raise NotFound("考试不存在。")
    if row.cadre_id is None:
        raise Forbidden("考试仅限干部参加。请先在“我的”中绑定干部身份。", code="not_cadre")
    if not row.assigned:
        raise Forbidden("这场考试没有安排您参加。", code="not_assigned")
    return row


def _open_attempt(user_id: int, exam_id: int) -> ExamAttempt | None:
    return db.session.scalar(
        select(ExamAttempt).where(ExamAttempt.exam_id == exam_id, ExamAttempt.user_id == user_id,
                                  ExamAttempt.status == "in_progress")
        .options(lazyload(ExamAttempt.exam))  # loaded already, or when needed
    )


@dataclass
class NewAttempt:
    """An attempt just written (a plain row, not loaded back through the ORM): what `view` reads."""

    id: int
    exam_id: int
    number: int
    started_at: datetime
    deadline: datetime
    total_score: int
    paper: list
    status: str = "in_progress"
    submitted_at: datetime | None = None
    score: int | None = None
    passed: bool | None = None


@writes
def start(user_id: int, exam_id: int, now: datetime | None = None) -> tuple[AttemptView, bool]:
    """`start_attempt`, and the attempt as the phone sees it, read inside the starting
    unit (a new attempt is not read back: the view is built from the row just written)."""
    attempt, created = _start(user_id, exam_id, now)
    return view(attempt, now), created


@writes
def start_attempt(user_id: int, exam_id: int, now: datetime | None = None) -> tuple[ExamAttempt, bool]:
    """Start an attempt on the cadre's ready paper (or one drawn now), or give back
    the one in progress (resume). Returns (attempt, created)."""
    attempt, created = _start(user_id, exam_id, now)
    return (db.session.get(ExamAttempt, attempt.id) if created else attempt), created


def _start(user_id: int, exam_id: int, now: datetime | None) -> tuple["ExamAttempt | NewAttempt", bool]:
    # Plain rows and Core statements on the unit's connection: a start is the 9:00 rush, and
    # loading the exam and flushing the attempt through the ORM was a third of its CPU.
    now = now or utcnow()
    exam = _exam_for(user_id, exam_id)
    current = _open_attempt(user_id, exam_id) if exam.made else None
    if current is not None:
        if not timed_out(current, now):
            return current, False
        _finalise(current, now)
    status = exam_status(exam, now)
    if status != "open":
        raise Conflict("考试尚未开始。" if status == "upcoming" else "考试已经结束。", code="exam_not_open")
    if exam.made >= exam.attempts_allowed:
        raise Conflict(f"本场考试最多可参加 {exam.attempts_allowed} 次，您的次数已用完。", code="no_attempts_left")
    paper = papers.take(exam_id, exam.cadre_id)
    row = {
        "exam_id": exam_id, "user_id": user_id, "cadre_id": exam.cadre_id, "number": exam.made + 1,
        "status": "in_progress", "started_at": now,
        "deadline": min(now + timedelta(minutes=exam.duration_minutes), exam.closes_at),
        "total_score": sum(points for _, points, _ in paper), "pass_score": exam.pass_score, "paper": paper,
    }
    try:
        attempt_id = db.session.connection().execute(_NEW_ATTEMPT, row).scalar_one()
    except IntegrityError:
        # Two taps raced: the other one opened the attempt; resume it.
        db.session.rollback()
        current = _open_attempt(user_id, exam_id)
        if current is None:
            raise Conflict("本场考试的次数已用完。", code="no_attempts_left")
        return current, False
    return NewAttempt(attempt_id, exam_id, row["number"], now, row["deadline"], row["total_score"], paper), True


# -- answering and submitting --------------------------------------------------------


def get_attempt(user_id: int, attempt_id: int, now: datetime | None = None) -> ExamAttempt:
    """The attempt; one whose time ran out is finalised first, with what was saved."""
    # Items load when shown (the certificate needs none of them).
    attempt = db.session.scalar(select(ExamAttempt).where(ExamAttempt.id == attempt_id, ExamAttempt.user_id == user_id))
    if attempt is None:
        raise _not_found()
    now = now or utcnow()
    if attempt.status == "in_progress" and timed_out(attempt, now):
        return finalise_if_due(attempt_id, now) or attempt
    return attempt


# A save's statements, built once (only the values change per call), run on the unit's
# connection: the ORM's execution adds a tenth to a save and needs none of its rows.
_SAVE_ROW = (
    select(ExamAttempt.user_id, ExamAttempt.status, ExamAttempt.deadline, ExamAttempt.paper, Question.type, Question.options)
    .join(Question, Question.id == bindparam("question_id")).where(ExamAttempt.id == bindparam("attempt_id"))
    # A submit holds the attempt FOR UPDATE: it waits for saves in flight, and a save
    # that waited behind it sees the attempt submitted. No answer is saved ungraded.
    .with_for_update(read=True, of=ExamAttempt)
)
_OWNER = select(ExamAttempt.user_id).where(ExamAttempt.id == bindparam("attempt_id"))


@cache
def _answer_upsert(dialect: str):
    """The item's row is written at its first answer, and its answer replaced at the next
    (one statement a dialect: core.sql spells the upsert for the session's)."""
    upsert = sql.insert(AttemptItem.__table__)
    return upsert.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"answer": upsert.excluded.answer, "answered_at": upsert.excluded.answered_at},
    )


def save_answer(user_id: int, attempt_id: int, question_id: int, given: list[str], now: datetime | None = None) -> dict:
    """Save one answer at once. Nothing about correctness is said. Past the deadline the
    attempt is handed in with what was saved (a unit of its own), and the save refused."""
    now = now or utcnow()
    with writing():
        conn = db.session.connection()
        row = conn.execute(_SAVE_ROW, {"attempt_id": attempt_id, "question_id": question_id}).one_or_none()
        if row is None:
            owner = conn.execute(_OWNER, {"attempt_id": attempt_id}).scalar()
            if owner != user_id:
                raise _not_found()
            raise _not_on_paper()
        owner, status, deadline, paper, qtype, options = row
        if owner != user_id:
            raise _not_found()
        position = next((i for i, item in enumerate(paper) if item[0] == question_id), None)
        if position is None:
            raise _not_on_paper()
        if status != "in_progress":
            raise Conflict("本次考试已交卷，不能再修改答案。", code="attempt_closed")
        if now <= deadline + grace():
            _, points, option_order = paper[position]
            answer = _from_display(option_order, options, given, qtype)
            conn.execute(_answer_upsert(sql.dialect_name()), {
                "attempt_id": attempt_id, "question_id": question_id, "position": position, "points": points,
                "option_order": option_order, "answer": answer, "answered_at": now,
            })
            return {"question_id": question_id, "saved_at": now}
    finalise_if_due(attempt_id, now)
    raise Conflict("考试时间已到，已按您保存的答案自动交卷。", code="time_over")


@writes
def submit(user_id: int, attempt_id: int, now: datetime | None = None) -> ExamAttempt:
    """Hand in. Submitting again answers the same result."""
    now = now or utcnow()
    attempt = db.session.scalar(
        select(ExamAttempt).where(ExamAttempt.id == attempt_id, ExamAttempt.user_id == user_id).with_for_update(of=ExamAttempt)
    )
    if attempt is None:
        raise _not_found()
    if attempt.status == "in_progress":
        _finalise(attempt, now)
    return attempt


@writes
def finalise_if_due(attempt_id: int, now: datetime) -> ExamAttempt | None:
    """Finalise one attempt whose time ran out (locking it, so it happens once)."""
    attempt = db.session.scalar(select(ExamAttempt).where(ExamAttempt.id == attempt_id).with_for_update(of=ExamAttempt))
    if attempt is not None and attempt.status == "in_progress" and timed_out(attempt, now):
        _finalise(attempt, now)
    return attempt


def finalise_expired(now: datetime | None = None) -> int:
    """Every attempt whose time ran out, finalised with what was saved (for a scheduler),
    each in a unit of its own."""
    now = now or utcnow()
    due = db.session.scalars(
        select(ExamAttempt.id).where(ExamAttempt.status == "in_progress", ExamAttempt.deadline < now - grace())
    ).all()
    done = 0
    for attempt_id in due:
        attempt = finalise_if_due(attempt_id, now)
        done += attempt is not None and attempt.status == "expired"
    return done


def _finalise(attempt: ExamAttempt, now: datetime) -> None:
    """Grade what was saved. In time: submitted; after the deadline: expired, as of the deadline.
    Every question of the paper gets its row, answered or not, with its mark."""
    keys = dict(db.session.execute(select(Question.id, Question.answer).where(Question.id.in_([i[0] for i in attempt.paper]))).all())
    saved = dict(db.session.execute(select(AttemptItem.question_id, AttemptItem.answer).where(AttemptItem.attempt_id == attempt.id)).all())
    graded, score = [], 0
    for position, (question_id, points, order) in enumerate(attempt.paper):
        given = saved.get(question_id)
        correct = given is not None and sorted(given) == sorted(keys[question_id])
        score += points if correct else 0
        graded.append({"attempt_id": attempt.id, "question_id": question_id, "position": position, "points": points,
                       "option_order": order, "correct": correct, "score": points if correct else 0})
    if graded:
        upsert = sql.insert(AttemptItem.__table__)
        db.session.execute(upsert.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"], set_={"correct": upsert.excluded.correct, "score": upsert.excluded.score},
        ), graded)
    late = timed_out(attempt, now)
    attempt.status = "expired" if late else "submitted"
    attempt.submitted_at = attempt.deadline if late else now
    attempt.score = score
    attempt.passed = score >= attempt.pass_score  # as it stood when the attempt started
    db.session.expire(attempt, ["items"])
