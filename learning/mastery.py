"""How well people know each law, from their review cards.

A person's mastery of a law: the mean FSRS retrievability (chance of recall now) of
the law's questions they have met, and the share of the law's questions met. A village's:
the same over its people's cards, with how many of its people have met the law at all;
its 知晓度 is the share of the law's questions a resident of the village would recall
now (retrievability × share met × share of people who met it), the figure by which a
village's least-known laws are found. A town's: the same over all its people, for the
district's view of its towns (by_town), which would be unreadable village by village."""
from datetime import datetime

from sqlalchemy import and_, func, select

from accounts import tenancy
from accounts.models import OrgUnit, User
from core.extensions import db
from learning.cards import retrievability
from learning.models import ReviewCard
from quiz_bank.questions import categories_with_counts
from reports.figures import NO_UNIT

NOT_STUDIED, BEGINNER = "未学", "入门"
# (least retrievability, least share of the law's questions met, level), best first; below
# every row, a law met at all is 入门. The one place these thresholds are set.
LEVELS = ((0.85, 0.6, "掌握"), (0.7, 0.3, "熟悉"))
WEAKEST = 3  # how many least-known laws a village's row names
LEVEL_NAMES = (NOT_STUDIED, BEGINNER, *reversed([name for _, _, name in LEVELS]))


def level(retrievability_: float | None, met_share: float) -> str:
    if not met_share:
        return NOT_STUDIED
    for least_r, least_met, name in LEVELS:
        if retrievability_ >= least_r and met_share >= least_met:
            return name
    return BEGINNER


def _share(part: int, whole: int) -> float:
    return min(1.0, part / whole) if whole else 0.0


def of_person(user_id: int, now: datetime) -> list[dict]:
    """Every law offered in quizzes, with the person's mastery of it: two statements."""
    laws = categories_with_counts()
    rows = db.session.execute(
        select(ReviewCard.category_id, func.count(), func.avg(retrievability(now)))
        .where(ReviewCard.user_id == user_id).group_by(ReviewCard.category_id)
    )
    met = {category_id: (n, r) for category_id, n, r in rows}
    result = []
    for category, questions in laws:
        n, r = met.get(category.id, (0, None))
        share = _share(n, questions)
        result.append({"category": category, "met": n, "retrievability": round(float(r), 3) if r is not None else None,
                       "met_share": round(share, 3), "level": level(r, share)})
    return result


def _per_person(start: datetime, end: datetime, at: datetime, *where):
    """Per person and law first, then per unit: each person counts once as a learner
    without a DISTINCT over every card (which sorts them all)."""
    return (
        select(ReviewCard.user_id, ReviewCard.category_id, func.count().label("cards"),
               func.sum(retrievability(at)).label("recall"))
        .where(and_(ReviewCard.last_review >= start, ReviewCard.last_review < end), *where)
        .group_by(ReviewCard.user_id, ReviewCard.category_id).subquery()
    )


def _cells(rows, questions: dict, people: dict) -> dict:
    """{unit id: {law id: cell}} from rows of (unit id, law id, learners, cards, recall)."""
    cells: dict = {}
    for unit_id, category_id, learners, cards, recall in rows:
        if category_id not in questions:
            continue  # a law kept for exams only
        cards = int(cards)
        r = float(recall) / cards
        met_share = _share(cards, learners * questions[category_id])
        coverage = _share(learners, people.get(unit_id, 0))
        cells.setdefault(unit_id, {})[category_id] = {
            "learners": learners, "cards": cards, "retrievability": round(r, 3), "met_share": round(met_share, 3),
            "coverage": round(coverage, 3), "score": round(r * met_share * coverage, 4), "level": level(r, met_share)}
    return cells


def _row(unit_id: int | None, name: str, people: int, mine: dict, laws: list) -> dict:
    scores = {c.id: mine[c.id]["score"] if c.id in mine else 0.0 for c, _ in laws}
    return {"unit_id": unit_id, "unit": name, "people": people, "cells": mine,
            "weakest": [c.name for c in sorted((c for c, _ in laws), key=lambda c: scores[c.id])[:WEAKEST]]}


def _laws() -> list:
    return [(c, n) for c, n in categories_with_counts() if n]  # a law with no questions cannot be studied yet


def by_village(start: datetime, end: datetime, now: datetime, town_id: int | None = None) -> dict:
    """Mastery by village × law from the cards last reviewed in [start, end), their
    retrievability at the period's end (or now, if sooner). Four statements however
    many people and cards.

    Returns {"laws": [Category], "villages": [{"unit_id", "unit", "people", "cells":
    {law id: cell}, "weakest": [the WEAKEST least-known law names]}]}, a cell being {"learners", "cards",
    "retrievability", "met_share", "coverage", "score", "level"}; villages by name with
    未填写 last. With `town_id`, that town's people and villages (accounts.tenancy)."""
    laws = _laws()
    in_town = [] if town_id is None else [tenancy.condition(User, town_id)]
    people = dict(db.session.execute(select(User.org_unit_id, func.count()).where(*in_town).group_by(User.org_unit_id)).all())
    names = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)).all())
    per_person = _per_person(start, end, min(end, now), *([ReviewCard.user_id.in_(select(User.id).where(*in_town))] if in_town else []))
    cells = _cells(db.session.execute(
        select(User.org_unit_id, per_person.c.category_id, func.count(), func.sum(per_person.c.cards),
               func.sum(per_person.c.recall))
        .join(User, User.id == per_person.c.user_id).where(*in_town)
        .group_by(User.org_unit_id, per_person.c.category_id)
    ), {c.id: n for c, n in laws}, people)
    order = sorted(set(people) | set(cells), key=lambda u: (u is None, names.get(u, "")))
    return {"laws": [c for c, _ in laws],
            "villages": [_row(u, names.get(u, NO_UNIT) if u is not None else NO_UNIT, people.get(u, 0), cells.get(u, {}), laws)
                         for u in order]}


def by_town(start: datetime, end: datetime, now: datetime) -> dict:
    """The district's mastery by town × law, each town's cell counted from its people as
    a village's is from its people (a town's people being those of its units, the town's
    own and its departments included). Four statements however many people and cards.

    Returns {"laws": [Category], "towns": [row]}, a row as by_village's with the town's id
    and name: every town by name, then 未填写 (people who chose no unit, and so belong to
    no town) if there are any."""
    laws = _laws()
    towns = tenancy.towns()
    town = OrgUnit.town_id  # NULL for a person with no unit (the outer join)
    people = dict(db.session.execute(
        select(town, func.count()).select_from(User).outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).group_by(town)).all())
    per_person = _per_person(start, end, min(end, now))
    cells = _cells(db.session.execute(
        select(town, per_person.c.category_id, func.count(), func.sum(per_person.c.cards), func.sum(per_person.c.recall))
        .select_from(per_person).join(User, User.id == per_person.c.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .group_by(town, per_person.c.category_id)
    ), {c.id: n for c, n in laws}, people)
    units = [(t.id, t.name) for t in towns] + ([(None, NO_UNIT)] if None in people or None in cells else [])
    return {"laws": [c for c, _ in laws],
            "towns": [_row(u, name, people.get(u, 0), cells.get(u, {}), laws) for u, name in units]}


def shows_towns(town_id: int | None) -> bool:
    """Whether a scope's mastery is shown town by town: the whole district (no town) where
    it has several towns. One town, or a township's whole district, is shown by village.
    One statement for the district, none for a town."""
    return town_id is None and db.session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.kind == "town")) > 1


def of_scope(start: datetime, end: datetime, now: datetime, town_id: int | None = None) -> dict:
    """A scope's mastery as the panel shows it: by_town's for the district of several
    towns (shows_towns), else by_village's of the town (or of a township's district)."""
    return by_town(start, end, now) if shows_towns(town_id) else by_village(start, end, now, town_id)
