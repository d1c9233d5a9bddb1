"""Drawing questions at random, every question that fits equally likely.

Uniform, without repeats, whatever gaps the ids have: a quiz takes the first questions of
a random order of those that fit (ORDER BY random() in the database); a paper rule takes
`random.sample` of the ids that fit, read in one query for all the papers being drawn.
(Seeking "the first id at or after a random id" was cheaper but favoured every question
after a gap: one was on 96 % of papers instead of 21 %.)"""
import random

from sqlalchemy import and_, func, select

from core.extensions import db
from quiz_bank.models import Category, Question, SeenQuestion


def in_quizzes() -> list:
    """What a question needs to be served in a quiz (practice, daily, challenge, on-site):
    active, and neither it nor its law kept for exams only."""
    return [Question.status == "active", Question.exam_only.is_(False),
            Question.category_id.not_in(select(Category.id).where(Category.exam_only.is_(True)))]


def draw(user_id: int, count: int, category_id: int | None = None, exclude: list[int] = ()) -> list[int]:
    """Up to `count` distinct questions for a quiz, shuffled: those the person has not
    been given come first, each equally likely; then, once they have seen them all, any.
    The database orders the candidates at random and sends only those chosen: a daily
    set draws from the whole bank, which at a district's 50,000 questions cost 50 ms of
    Python a draw when every id came back to be sampled here."""
    seen = SeenQuestion.question_id.is_not(None)
    query = (select(Question.id).where(*in_quizzes())
             .outerjoin(SeenQuestion, and_(SeenQuestion.user_id == user_id, SeenQuestion.question_id == Question.id))
             .order_by(seen, func.random()).limit(count))
    if category_id is not None:
        query = query.where(Question.category_id == category_id)
    if exclude:
        query = query.where(Question.id.not_in(exclude))
    chosen = list(db.session.scalars(query))
    random.shuffle(chosen)  # unseen first was for choosing, not for the order shown
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
