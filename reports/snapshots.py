"""The year's figures as last counted, so that no page view recounts a year of rows.

At a district's size (12.9M answered questions, 10M ledger rows, 7.8M review cards) one
count of a year takes from 10 s (a town) to over a minute (the district): too long for a
page, and the same for every visitor. So each kind of figures below is counted once for
a year and a scope (the district, or one town) and kept as one row; pages read that row
and say when it was counted.

- `flask figures refresh` (deploy/systemd/pufa-figures.timer, nightly) recounts this
  year, and any earlier year last counted before the January after it ended (so a year's
  late entries are counted once the year is over), for the district and every town.
- A year and scope never counted are counted at their first view and kept.
- Each kind is counted by the one function that defines it (reports.figures and the
  others below); this module only keeps what they return.
- A count that names a person (the books' audit does) goes when their account is
  deleted (accounts.privacy, `forget`), and is counted again, without the name, when next viewed.
- Counts kept for good once nothing can change them are reports.kept's: a closed exam's
  question analysis is here (`exam_questions`), an event's learning gain with its
  definition (reports.learning_gain). The nightly count leaves them alone.

What a view sees is JSON (reports.kept)."""
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import case, delete, func, select

from accounts import tenancy
from core import transactions
from core.extensions import db
from core.timeutil import local_today, utcnow
from learning.mastery import of_scope
from points import books
from quiz_bank.exams import results
from quiz_bank.exams.models import Exam
from reports import kept, learning_gain
from reports.dashboard import weeks_and_missed
from reports.figures import by_town, year_bounds, year_figures
from reports.models import FigureSnapshot

DISTRICT = 0  # the scope of figures over every town
LATE_ENTRIES = timedelta(days=31)  # a year is recounted until this long after it ended


def _books(year: int, now: datetime, town_id: int | None) -> dict:
    return {"months": books.monthly_points(year, town_id), "reasons": books.monthly_by_reason(year, town_id),
            "handed": books.monthly_handed_out(year, town_id), "totals": books.totals(town_id),
            "differences": books.audit(town_id)}


def _mastery(year: int, now: datetime, town_id: int | None) -> dict:
    data = of_scope(*year_bounds(year), now, town_id)
    # JSON keeps neither the laws' rows nor integer keys: the laws as id and name, read back by mastery_of.
    return {**data, "laws": [{"id": c.id, "name": c.name} for c in data["laws"]]}


def mastery_of(year: int, town_id: int | None) -> dict:
    """learning.mastery.of_scope of the calendar year as last counted, in the shape it was
    counted in (by_town's or by_village's, as the data says), with `counted_at`. Like every
    kind, a count follows a change of the towns at its next refresh, and one kept by an
    older app is never read (reports.kept.SHAPE)."""
    found = counted("mastery", year, town_id)
    rows = "towns" if "towns" in found.data else "villages"
    return {"laws": [SimpleNamespace(**law) for law in found.data["laws"]],
            rows: [{**v, "cells": {int(k): c for k, c in v["cells"].items()}} for v in found.data[rows]],
            "counted_at": found.counted_at}


def _by_town(year: int, now: datetime, town_id: int | None) -> dict:
    return {"towns": by_town(year, now)}


# Each kind: the function counting it, and whether a town has its own (by_town is the district's).
KINDS = {
    "figures": (year_figures, True),
    "glance": (weeks_and_missed, True),
    "books": (_books, True),
    "mastery": (_mastery, True),
    "by_town": (_by_town, False),
}
# Kept per thing (year 0), apart from the year's kinds (reports.kept): one exam's question
# analysis and one event's gain for good, an event's gain in its days after as last counted.
EXAM_QUESTIONS = "exam_questions"
PER_THING = (EXAM_QUESTIONS, learning_gain.KEPT, learning_gain.LIVE)
# The kinds whose figures name people: the books' audit lists whose balance is not their ledger.
NAMING = ("books",)


@dataclass(frozen=True)
class Counted:
    data: dict
    counted_at: datetime  # naive UTC: the figures are as they stood then


def counted(kind: str, year: int, town_id: int | None = None) -> Counted:
    """The figures of `kind` for `year` and `town_id` (None: the district) as last
    counted, counting them now if they never were."""
    row = db.session.execute(select(FigureSnapshot.data, FigureSnapshot.counted_at).where(
        FigureSnapshot.kind == kept.stored(kind), FigureSnapshot.year == year, FigureSnapshot.scope == (town_id or DISTRICT))).first()
    if row is None:
        return count(kind, year, town_id)
    return Counted(kept.decode(row.data), row.counted_at)


def count(kind: str, year: int, town_id: int | None = None, now: datetime | None = None) -> Counted:
    """Count the figures of `kind` now and keep them in place of the last count."""
    now = now or utcnow()
    function, _ = KINDS[kind]
    scope = town_id or DISTRICT
    return Counted(kept.decode(kept.keep(kind, year, {scope: function(year, now, town_id)}, now)[scope]), now)


def exam_questions(exam: Exam, page: int, per_page: int, now: datetime | None = None) -> dict:
    """quiz_bank.exams.results.question_page of the exam. Once the exam is settled (closed,
    no attempt in progress) its figures can no longer change: they are counted then once
    and kept for good (for a district's exam the count ranks every answer by its attempt's
    score, 266,000 of them: 0.5 s), and each page's questions read with their text as it
    is now. Reopening the exam, or an attempt finished since, has them counted again."""
    now = now or utcnow()
    basis = results.settled(exam, now)
    if basis is None:
        return results.question_page(exam, page, per_page)
    figures = kept.final(EXAM_QUESTIONS, {exam.id: basis}).get(exam.id)
    if figures is None:
        figures = results.question_figures(exam)
        kept.keep_final(EXAM_QUESTIONS, {exam.id: (basis, figures)}, now)
    return results.question_page_of(figures, page, per_page)


def forget(user_id: int) -> None:
    """Drop every kept count that names the person, of any year and scope (they may have
    changed towns since), in the caller's unit of work: a deleted account's name must not
    stay on a page until the nightly count. A count that does not name them stays (the
    books of the benchmark district took 40 s to count, a town's 19 s). A person is named
    as a points.books.Difference, whose id comes first."""
    named = FigureSnapshot.data.contains(f'{{"user_id": {int(user_id)}, ', autoescape=True)
    # A CASE, so that only those kinds' text is searched: in a plain AND PostgreSQL tested
    # the LIKE first, over every kind's text (40-60 ms over 315 rows of 1 MB, 2 ms so).
    db.session.execute(delete(FigureSnapshot).where(
        case((FigureSnapshot.kind.in_([kept.stored(k) for k in NAMING]), named), else_=False)))


@dataclass(frozen=True)
class Year:
    """What a page shows of a year: the figures, the home page's weeks and most missed
    questions (if asked), the towns side by side (for district staff), as last counted."""
    figures: dict
    glance: dict | None
    by_town: list[dict] | None
    counted_at: datetime  # the oldest of the counts shown


def year_of(year: int, town_id: int | None, with_towns: bool, glance: bool = True) -> Year:
    parts = {"figures": counted("figures", year, town_id)}
    if glance:
        parts["glance"] = counted("glance", year, town_id)
    if with_towns:
        parts["by_town"] = counted("by_town", year)
    return Year(parts["figures"].data, parts["glance"].data if glance else None,
                parts["by_town"].data["towns"] if with_towns else None, min(p.counted_at for p in parts.values()))


def years_to_refresh(now: datetime) -> list[int]:
    """This year, and every earlier year with a count made before LATE_ENTRIES after its end."""
    this_year = local_today(now).year
    first = db.session.execute(select(FigureSnapshot.year, func.min(FigureSnapshot.counted_at))
                               .where(FigureSnapshot.year < this_year, FigureSnapshot.kind.not_in([kept.stored(k) for k in PER_THING]))
                               .group_by(FigureSnapshot.year)).all()
    return sorted({year for year, at in first if at < year_bounds(year)[1] + LATE_ENTRIES} | {this_year})


def refresh(now: datetime | None = None, echo=print) -> int:
    """Recount every kind for the years to refresh, the district and each town; returns
    how many were counted. Each is its own transaction: a failure keeps the others. Rows
    of an older SHAPE go first."""
    now = now or utcnow()
    with transactions.writing():
        db.session.execute(delete(FigureSnapshot).where(FigureSnapshot.kind.not_in([kept.stored(k) for k in [*KINDS, *PER_THING]])))
    scopes = [None, *(t.id for t in tenancy.towns())]
    done = 0
    for year in years_to_refresh(now):
        for kind, (_, per_town) in KINDS.items():
            for town_id in scopes if per_town else [None]:
                started = time.monotonic()
                count(kind, year, town_id, now)
                done += 1
                echo(f"{year} {kind} {'全区' if town_id is None else f'镇 {town_id}'}：{time.monotonic() - started:.1f} 秒")
    return done
