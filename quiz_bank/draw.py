"""Drawing questions at random without scanning the bank.

Each pick seeks the index from a random id (a handful of index seeks in one
statement), so the cost does not grow with the size of the bank; questions the
person has already been given are skipped while there are unseen ones."""
import random

from sqlalchemy import exists, func, select, union_all

from core.extensions import db
from quiz_bank.models import Question, SeenQuestion


def _id_range(category_id: int | None) -> tuple[int | None, int | None]:
    where = [Question.status == "active"]
    if category_id is not None:
        where.append(Question.category_id == category_id)
    return db.session.execute(select(func.min(Question.id), func.max(Question.id)).where(*where)).one()


def _seek(starts: list[int], category_id: int | None, user_id: int, unseen_only: bool, exclude: set[int]):
    picks = []
    for start in starts:
        q = select(Question.id).where(Question.status == "active", Question.id >= start)
        if category_id is not None:
            q = q.where(Question.category_id == category_id)
        if unseen_only:
            q = q.where(~exists().where(SeenQuestion.user_id == user_id, SeenQuestion.question_id == Question.id))
        if exclude:
            q = q.where(Question.id.not_in(exclude))
        picks.append(select(q.order_by(Question.id).limit(1).subquery()))
    return db.session.scalars(union_all(*picks)).all()


def draw(user_id: int, count: int, category_id: int | None = None) -> list[int]:
    lo, hi = _id_range(category_id)
    if lo is None:
        return []
    chosen: list[int] = []
    # Unseen first; then anything, so a person who has seen the whole bank still plays.
    for unseen_only in (True, False):
        need = count - len(chosen)
        if need <= 0:
            break
        # Over-ask: random starts can land on the same question.
        starts = [random.randint(lo, hi) for _ in range(need * 2)] + [lo]
        for qid in _seek(starts, category_id, user_id, unseen_only, set(chosen)):
            if qid not in chosen:
                chosen.append(qid)
    if len(chosen) < count:
        # A small bank: random seeks kept landing on the same few, so take the rest in order.
        q = select(Question.id).where(Question.status == "active", Question.id.not_in(chosen or [0]))
        if category_id is not None:
            q = q.where(Question.category_id == category_id)
        chosen += db.session.scalars(q.order_by(Question.id).limit(count - len(chosen))).all()
    random.shuffle(chosen)
    return chosen[:count]
