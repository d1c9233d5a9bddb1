"""Drawing questions at random without scanning the bank.

One statement a pass: several index seeks from random ids (each LIMIT 1), plus an
in-order run from a random pivot, wrapping round, for when the seeks collide in a
small or sparse bank. The cost does not grow with the size of the bank; questions
the person has been given before are skipped while there are unseen ones."""
import random

from sqlalchemy import exists, func, select, text, union_all

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


# A seek or a run of one rule, as SQL both SQLite and PostgreSQL take inside a
# UNION ALL (each member a subquery, so it may have its own ORDER BY and LIMIT).
_PART = ("SELECT w, id FROM (SELECT {w} AS w, id FROM question WHERE status = 'active' AND category_id = :c{w} "
         "AND type = :t{w} AND id {op} :{p} ORDER BY id LIMIT {limit}) AS s{n}")


def draw_for_rules(wants: list[tuple[int, str, int]]) -> list[list[int]]:
    """For each (category id, type, count): up to `count` distinct active questions at
    random, in two statements whatever the number of rules or the size of the bank
    (an exam paper has a dozen rules; building a statement per rule cost more than the
    database did). Seeks come first in each rule's result; the runs fill gaps."""
    if not wants:
        return []
    bounds = {
        (c, t): (lo, hi) for c, t, lo, hi in db.session.execute(
            select(Question.category_id, Question.type, func.min(Question.id), func.max(Question.id))
            .where(Question.status == "active", Question.category_id.in_({c for c, _, _ in wants}),
                   Question.type.in_({t for _, t, _ in wants}))
            .group_by(Question.category_id, Question.type)
        )
    }
    parts, params = [], {}
    for w, (category_id, qtype, count) in enumerate(wants):
        if (category_id, qtype) not in bounds or count <= 0:
            continue
        lo, hi = bounds[(category_id, qtype)]
        params[f"c{w}"], params[f"t{w}"] = category_id, qtype
        for k in range(count * 2):
            params[f"r{w}_{k}"] = random.randint(lo, hi)
            parts.append(_PART.format(w=w, op=">=", p=f"r{w}_{k}", limit=1, n=len(parts)))
        params[f"pivot{w}"] = random.randint(lo, hi)
        parts.append(_PART.format(w=w, op=">=", p=f"pivot{w}", limit=count, n=len(parts)))
        parts.append(_PART.format(w=w, op="<", p=f"pivot{w}", limit=count, n=len(parts)))
    found: list[dict] = [{} for _ in wants]
    if parts:
        for w, qid in db.session.execute(text(" UNION ALL ".join(parts)), params):
            found[w][qid] = None  # a dict keeps the order rows came in, without repeats
    chosen = []
    for (category_id, qtype, count), ids in zip(wants, found):
        picked = list(ids)[:count]
        random.shuffle(picked)
        chosen.append(picked)
    return chosen
