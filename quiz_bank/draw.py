"""Drawing questions at random, every question that fits equally likely.

The ids of the questions that fit come in one indexed query and `random.sample` picks
among them: uniform, without repeats, whatever gaps the ids have. A township's bank is
hundreds of questions a law, a district's tens of thousands: at most a few hundred KB of
ids, read in milliseconds. (Seeking "the first id at or after a random id" was cheaper
but favoured every question after a gap: one was on 96 % of papers instead of 21 %.)"""
import random

from sqlalchemy import and_, select

from core.extensions import db
from quiz_bank.models import Category, Question, SeenQuestion


def in_quizzes() -> list:
    """What a question needs to be served in a quiz (practice, daily, challenge, on-site):
    active, and neither it nor its law kept for exams only."""
    return [Question.status == "active", Question.exam_only.is_(False),
            Question.category_id.not_in(select(Category.id).where(Category.exam_only.is_(True)))]


def draw(user_id: int, count: int, category_id: int | None = None) -> list[int]:
    """Up to `count` distinct questions for a quiz, shuffled: those the person has not
    been given come first, each equally likely; then, once they have seen them all, any."""
    seen = SeenQuestion.question_id.is_not(None)
    query = (select(Question.id, seen).where(*in_quizzes())
             .outerjoin(SeenQuestion, and_(SeenQuestion.user_id == user_id, SeenQuestion.question_id == Question.id)))
    if category_id is not None:
        query = query.where(Question.category_id == category_id)
    fresh, again = [], []
    for qid, was_seen in db.session.execute(query):
        (again if was_seen else fresh).append(qid)
    chosen = random.sample(fresh, min(count, len(fresh)))
    chosen += random.sample(again, min(count - len(chosen), len(again)))
    random.shuffle(chosen)
    return chosen


def paper_candidates(wants: list[tuple[int, str]]) -> dict[tuple[int, str], list[int]]:
    """For each (category id, type) of an exam's rules, the ids of the active questions
    that fit, exam-only ones included: one query for the whole paper."""
    found: dict[tuple[int, str], list[int]] = {want: [] for want in wants}
    if wants:
        rows = db.session.execute(
            select(Question.id, Question.category_id, Question.type)
            .where(Question.status == "active", Question.category_id.in_({c for c, _ in wants}),
                   Question.type.in_({t for _, t in wants}))
        )
        for qid, category_id, qtype in rows:
            if (category_id, qtype) in found:
                found[(category_id, qtype)].append(qid)
    return found


def sample_rules(candidates: dict[tuple[int, str], list[int]], wants: list[tuple[int, str, int]]) -> list[list[int]]:
    """For each (category id, type, count): up to `count` of its candidates, a uniform
    sample without repeats."""
    picked = []
    for category_id, qtype, count in wants:
        ids = candidates.get((category_id, qtype), [])
        picked.append(random.sample(ids, min(count, len(ids))))
    return picked
