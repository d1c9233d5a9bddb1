"""Drawing questions at random without scanning the bank.

One statement a pass: several index seeks from random ids (each LIMIT 1), plus an
in-order run from a random pivot, wrapping round, for when the seeks collide in a
small or sparse bank. The cost does not grow with the size of the bank; questions
the person has been given before are skipped while there are unseen ones."""
import random

from sqlalchemy import exists, func, select, union_all

from core.extensions import db
from quiz_bank.models import Question, SeenQuestion


def _where(category_id, qtype) -> list:
    where = [Question.status == "active"]
    if category_id is not None:
        where.append(Question.category_id == category_id)
    if qtype is not None:
        where.append(Question.type == qtype)
    return where


def _candidates(category_id, qtype, user_id, unseen_only, exclude):
    q = select(Question.id).where(*_where(category_id, qtype))
    if unseen_only:
        q = q.where(~exists().where(SeenQuestion.user_id == user_id, SeenQuestion.question_id == Question.id))
    if exclude:
        q = q.where(Question.id.not_in(exclude))
    return q


def _pass(lo: int, hi: int, need: int, category_id, qtype, user_id, unseen_only, exclude) -> list[int]:
    base = _candidates(category_id, qtype, user_id, unseen_only, exclude)
    pivot = random.randint(lo, hi)
    parts = [select(base.where(Question.id >= random.randint(lo, hi)).order_by(Question.id).limit(1).subquery())
             for _ in range(need * 2)]
    parts.append(select(base.where(Question.id >= pivot).order_by(Question.id).limit(need).subquery()))
    parts.append(select(base.where(Question.id < pivot).order_by(Question.id).limit(need).subquery()))
    # Seeks come first in the result, so they are preferred; the runs only fill gaps.
    return list(dict.fromkeys(db.session.scalars(union_all(*parts))))


def draw(user_id: int | None, count: int, category_id: int | None = None, qtype: str | None = None) -> list[int]:
    """Up to `count` distinct active questions, shuffled. With a user, questions they
    have not been given come first (quizzes); without one, any (exam papers)."""
    lo, hi = db.session.execute(select(func.min(Question.id), func.max(Question.id)).where(*_where(category_id, qtype))).one()
    if lo is None:
        return []
    chosen: list[int] = []
    # Unseen first; then anything, so a person who has seen the whole bank still plays.
    for unseen_only in ((True, False) if user_id is not None else (False,)):
        need = count - len(chosen)
        if need <= 0:
            break
        fresh = [q for q in _pass(lo, hi, need, category_id, qtype, user_id, unseen_only, chosen) if q not in chosen]
        chosen += fresh[:need]
    random.shuffle(chosen)
    return chosen
