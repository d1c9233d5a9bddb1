"""Drawing questions at random without scanning the bank.

One statement a pass: several index seeks from random ids (each LIMIT 1), plus an
in-order run from a random pivot, wrapping round, for when the seeks collide in a
small or sparse bank. The cost does not grow with the size of the bank; questions
the person has been given before are skipped while there are unseen ones."""
import json
import random

from sqlalchemy import exists, func, select, text, union_all

from core.extensions import db
from core.sql import dialect_name
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


# Exam papers: for every rule, a fixed number of index seeks from random ids, as one
# statement whose text never changes (the rules travel as arrays or JSON). PostgreSQL
# then plans it once per connection (psycopg prepares a statement it sees often), where
# a UNION of a hundred seeks cost more to plan than to run.
_SEEK = ("(SELECT id FROM question WHERE status = 'active' AND category_id = v.c AND type = v.t{cond} "
         "ORDER BY id LIMIT 1)")
_PICK = f"SELECT v.w, COALESCE({_SEEK.format(cond=' AND id >= v.r')}, {_SEEK.format(cond='')}) FROM {{rows}}"
_ROWS = {
    "postgresql": "unnest(CAST(:w AS integer[]), CAST(:c AS integer[]), CAST(:t AS varchar[]), CAST(:r AS integer[])) AS v (w, c, t, r)",
    "sqlite": ("(SELECT json_extract(value, '$[0]') AS w, json_extract(value, '$[1]') AS c, json_extract(value, '$[2]') AS t, "
               "json_extract(value, '$[3]') AS r FROM json_each(:rows)) AS v"),
}
# Seeks per question wanted: two seeks can land on the same question; more seeks make
# a short draw (then topped up by `draw`) rare.
_OVERSAMPLE = 3


def draw_for_rules(wants: list[tuple[int, str, int]]) -> list[list[int]]:
    """For each (category id, type, count): up to `count` distinct active questions at
    random, shuffled. Two statements whatever the number of rules or the size of the
    bank, and one more per rule in the rare case its seeks collided too often."""
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
    seeks = [(w, c, t, random.randint(*bounds[(c, t)]))
             for w, (c, t, count) in enumerate(wants) if (c, t) in bounds for _ in range(count * _OVERSAMPLE + 2)]
    found: list[dict] = [{} for _ in wants]
    if seeks:
        dialect = dialect_name()
        if dialect == "postgresql":
            params = {k: [s[i] for s in seeks] for i, k in enumerate("wctr")}
        else:
            params = {"rows": json.dumps(seeks)}
        for w, qid in db.session.execute(text(_PICK.format(rows=_ROWS[dialect])), params):
            found[w][qid] = None  # a dict keeps the order rows came in, without repeats
    chosen = []
    for (category_id, qtype, count), ids in zip(wants, found):
        picked = list(ids)[:count]
        if len(picked) < count and (category_id, qtype) in bounds:
            picked += [q for q in draw(None, count, category_id, qtype) if q not in ids][: count - len(picked)]
        random.shuffle(picked)
        chosen.append(picked)
    return chosen
