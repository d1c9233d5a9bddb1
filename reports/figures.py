"""The year's figures: what the township's legal-education work came to in one calendar
year, as plain data (dicts, lists, ints, floats, dates, str). Every screen and file that
states a figure of the year reads it from `year_figures`: 年度档案与统计 and its workbook
(reports.workbook), the archive's index, the Word report and the dashboard.

What counts, and where:
- A year is the local (Asia/Shanghai) calendar year; times are stored as naive UTC.
- Figures are as they stood at `now`: nothing made after it counts.
- An event belongs to the year of its local start, and counts as held once it has
  ended (ends_at <= now); one that starts in the year and has not ended is only counted
  in `events.not_yet_held`. An event over New Year's Eve belongs to the year it began,
  once it is over. Check-ins, on-site quizzes and photos go with their event.
- A held event nobody checked in at is held (it counts in `held`), reaches no one, and
  is listed in `events.without_checkins`.
- People reached: distinct people (人); check-ins (人次) count a person at each event.
  By village: by the unit the person gave (未填写 when none), as they are now.
- On-site quizzes: mode "event" quizzes of held events in which at least one question
  was answered; accuracy = correct / answered.
- Online learning: daily, practice, challenge and review quizzes; an answer counts in the year
  it was given. By law: the question's category.
- Exams: an exam belongs to the year in which it opens, and counts once it has opened.
  Cadres are the active cadres it is assigned to now (as in quiz_bank.exams.results),
  counted once per kind of exam however many exams of that kind they were given: sat =
  finished an attempt at one, passed = their best finished attempt at one passed.
  pass_rate = passed / assigned. The new leaders' exam is `exams.new_leaders`.
- Points: ledger entries of the year. issued = points earned (not refunds), spent =
  points paid for rewards, refunded = points given back (cancelled or expired).
- Rewards: redemptions made in the year, by what became of them; redeemed = all but
  those the person cancelled.
- Learning gain: the held events with an on-site quiz, as reports.learning_gain defines it.

Towns (accounts.tenancy): with `town_id`, the figures are one town's: the events its units
organised (and who came to them, from wherever), the online learning and points of its
people, the exams its cadres were given (only its cadres counted), the redemptions of its
rewards. `by_town` lays the district's main figures side by side, town by town.

The whole district of several towns is counted town by town (`towns` is true): its lists
by unit (organiser, village, learning by village, exams by unit) hold its towns instead
(a town is a unit: `unit_id` is its id), and its learning gain the towns' means instead
of every event, so that what the district's pages read and show does not grow with its
villages. The report's sentences are written from the units before (the ten busiest
organisers, the villages reached). The units' detail is each town's own figures.

Every figure is aggregated in SQL: `year_figures` sends the same statements however much
the year holds (19; for the whole district one more, and two more again where it has several
towns), `by_town` 6.
"""
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, exists, func, select, true

from accounts import tenancy
from accounts.models import Cadre, OrgUnit, User
from activities.models import EVENT_KIND_LABELS, CheckIn, Event, EventPhoto
from core.extensions import db
from core.timeutil import local_midnight_utc, to_local, utcnow
from points.models import REDEMPTION_STATUSES, PointsEntry, Redemption, Reward
from quiz_bank.exams.assignment import assigned
from quiz_bank.exams.models import EXAM_KIND_LABELS, Exam
from quiz_bank.exams.results import best_attempts
from quiz_bank.models import Category, Question, Quiz, QuizItem
from reports import learning_gain

NO_UNIT = "未填写"
HEADLINE_UNITS = 10  # organisers named in the report's sentence; a district has hundreds
# Why the towns of by_town need not add up to the district, wherever they are shown.
BY_TOWN_NOTE = "活动和签到按主办单位所属的镇统计；线上学法、积分按本人所在单位所属的镇统计，未选择单位的人不计入任何镇。"
ONLINE_MODES = ("daily", "practice", "challenge", "review")
MONTHS = range(1, 13)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The local calendar year as naive UTC [start, end)."""
    return local_midnight_utc(date(year, 1, 1)), local_midnight_utc(date(year + 1, 1, 1))


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage with one decimal, rounded half up; None for 0/0."""
    if not whole:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def kind_label(kind: str) -> str:
    return EVENT_KIND_LABELS.get(kind, kind)


_KIND_ORDER = {kind: i for i, kind in enumerate(EVENT_KIND_LABELS)}
_EXAM_ORDER = {kind: i for i, kind in enumerate(EXAM_KIND_LABELS)}


def _month(column, year: int):
    """The local month (1-12) of a UTC time known to lie in `year`."""
    return case(*((column < local_midnight_utc(date(year, m + 1, 1)), m) for m in range(1, 12)), else_=12)


def _unit_name(unit_id, name) -> str:
    return name if unit_id is not None else NO_UNIT


def _by_people(rows: list[dict]) -> list[dict]:
    """Most people first; those who gave no unit last."""
    return sorted(rows, key=lambda r: (r["unit_id"] is None, -r["people"], r["unit"]))


def year_figures(year: int, now: datetime | None = None, town_id: int | None = None) -> dict:
    """Every figure of `year` as it stood at `now` (naive UTC; default: now).

    {
      year, as_of (local date the figures run to), complete (the year is over),
      events: {
        held, not_yet_held, with_checkins, people (人), checkins (人次), villages,
        by_kind:      [{kind, label, events, people, checkins, quiz: QUIZ}]   (kinds' order)
        by_month:     [{month, events, people, checkins}]                     (all 12)
        organisers (units that held an event),
        by_organiser: [{unit_id, unit, events, people, checkins}]             (most events first)
        by_village:   [{unit_id, unit, people, checkins}]                     (未填写 last)
        without_checkins: [{id, title, kind, label, date, organiser}]
        quiz: QUIZ,   # on-site: {people, quizzes, answered, correct, accuracy}
        photos,
      },
      learning: {                                # online (daily, practice, challenge, review)
        people, answers, correct, accuracy,
        by_law:     [{category_id, law, people, answers, correct, accuracy}]  (the bank's order)
        by_village: [{unit_id, unit, people, answers, correct, accuracy}]     (未填写 last)
        by_month:   [{month, people, answers, correct, accuracy}]             (all 12)
      },
      exams: {
        exams, open (still open at `now`),
        by_kind: [{kind, label, exams, open, assigned, sat, passed, pass_rate, sat_rate,
                   by_unit: [{unit_id, unit, assigned, sat, passed, pass_rate, sat_rate}]}]
                 (kinds' order; units with most cadres first),
        new_leaders: the new_leader row of by_kind (zeros when none),
      },
      points: {issued, spent, refunded, by_month: [{month, issued, spent, refunded}]},
      rewards: {made, redeemed, pending, handed_over, cancelled, expired,
                by_reward: [{reward_id, reward, made, redeemed, pending, handed_over, cancelled,
                             expired}] (most redeemed first)},
      learning_gain: reports.learning_gain.year_gain (statements 19-23; two more for
        each further town whose events are counted, not kept),
      headlines: [the sentences the annual report quotes],
      towns: whether the lists by unit hold towns (the district of several towns, _by_towns),
    }
    With `towns`, by_organiser rows also have `organisers` (units), and learning_gain is
    {held, compared, attendees, others, difference,
     by_town: [{unit_id, unit, events, compared, attendees, others, difference}]}.
    Percentages have one decimal, None where there is nothing to divide by."""
    now = now or utcnow()
    start, end = year_bounds(year)
    until = min(end, max(now, start))  # the figures' window: [start, until)
    figures = {
        "year": year,
        "as_of": to_local(max(start, min(now, end - timedelta(microseconds=1)))).date(),
        "complete": now >= end,
        "town_id": town_id,
        "events": _events(year, start, end, now, town_id),
        "learning": _learning(year, start, until, town_id),
        "exams": exam_figures(start, end, now, town_id),
        "points": _points(year, start, until, town_id),
        "rewards": _rewards(start, until, town_id),
        "learning_gain": learning_gain.year_gain(start, end, now, town_id),
    }
    figures["headlines"] = headlines(figures)
    towns = _district_towns() if town_id is None else None
    figures["towns"] = towns is not None
    if towns:
        _by_towns(figures, *towns, held_events(start, end, now))
    return figures


# -- events -----------------------------------------------------------------------------


def by_town(year: int, now: datetime | None = None) -> list[dict]:
    """The district's year town by town, as year_figures counts each town: [{town_id, town,
    events (held), people, checkins, learners, answers, assigned, passed, pass_rate (the
    annual exam), issued}], by the town's name."""
    now = now or utcnow()
    start, end = year_bounds(year)
    until = min(end, max(now, start))
    held = held_events(start, end, now)
    town = OrgUnit.town_id
    rows = {t.id: {"town_id": t.id, "town": t.name, "events": 0, "people": 0, "checkins": 0, "learners": 0, "answers": 0,
                   "assigned": 0, "passed": 0, "issued": 0} for t in tenancy.towns()}

    def add(statement, *keys):
        for town_id, *values in db.session.execute(statement.group_by(town)):
            if town_id in rows:
                rows[town_id].update({k: int(v or 0) for k, v in zip(keys, values)})

    add(select(town, func.count(Event.id)).join(OrgUnit, OrgUnit.id == Event.org_unit_id).where(held), "events")
    add(select(town, func.count(distinct(CheckIn.user_id)), func.count(CheckIn.id)).select_from(CheckIn)
        .join(Event, Event.id == CheckIn.event_id).join(OrgUnit, OrgUnit.id == Event.org_unit_id).where(held),
        "people", "checkins")
    add(select(town, func.count(distinct(Quiz.user_id)), func.count()).select_from(QuizItem)
        .join(Quiz, Quiz.id == QuizItem.quiz_id).join(User, User.id == Quiz.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(Quiz.mode.in_(ONLINE_MODES), QuizItem.answered_at >= start, QuizItem.answered_at < until), "learners", "answers")
    opened = and_(Exam.kind == "annual", Exam.opens_at >= start, Exam.opens_at < end, Exam.opens_at <= now)
    best = best_attempts(opened)
    add(select(town, func.count(distinct(Cadre.id)), func.count(distinct(case((best.c.passed.is_(True), Cadre.id)))))
        .select_from(Exam).join(Cadre, Cadre.active.is_(True)).join(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
        .outerjoin(best, and_(best.c.exam_id == Exam.id, best.c.cadre_id == Cadre.id)).where(opened, assigned()),
        "assigned", "passed")
    add(select(town, func.sum(PointsEntry.delta)).join(User, User.id == PointsEntry.user_id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(PointsEntry.created_at >= start, PointsEntry.created_at < until, PointsEntry.delta > 0,
               PointsEntry.reason != "refund"), "issued")
    return [{**r, "pass_rate": percent(r["passed"], r["assigned"])} for r in rows.values()]


def held_events(start: datetime, end: datetime, now: datetime, town_id: int | None = None):
    """SQL condition on Event: held in [start, end) by `now` (started in it, ended by now),
    organised in `town_id` if given."""
    held = and_(Event.starts_at >= start, Event.starts_at < end, Event.ends_at <= now)
    return held if town_id is None else and_(held, tenancy.condition(Event, town_id))


def people_in(town_id: int | None, user_id):
    """SQL on a person's id: of `town_id` (always true for the district), by
    accounts.tenancy's rule for people, for the rows that rule names no model of (quizzes).
    The ledger is tenancy's own: condition(PointsEntry)."""
    return true() if town_id is None else user_id.in_(select(User.id).where(tenancy.condition(User, town_id)))


def _quiz(people=0, quizzes=0, answered=0, correct=0) -> dict:
    answered, correct = int(answered), int(correct)
    return {"people": int(people), "quizzes": int(quizzes), "answered": answered, "correct": correct,
            "accuracy": percent(correct, answered)}


def _events(year: int, start: datetime, end: datetime, now: datetime, town_id: int | None) -> dict:
    held = held_events(start, end, now, town_id)
    organised = true() if town_id is None else tenancy.condition(Event, town_id)

    # 1. Every event of the year by kind, organiser, month and whether it is over.
    listed = select(Event.kind, Event.org_unit_id, case((Event.ends_at <= now, 1), else_=0).label("held"),
                    _month(Event.starts_at, year).label("month")) \
        .where(Event.starts_at >= start, Event.starts_at < end, organised).subquery("listed")
    event_rows = db.session.execute(
        select(listed.c.kind, listed.c.org_unit_id, OrgUnit.name, listed.c.held, listed.c.month, func.count())
        .join(OrgUnit, OrgUnit.id == listed.c.org_unit_id)
        .group_by(listed.c.kind, listed.c.org_unit_id, OrgUnit.name, listed.c.held, listed.c.month)
    ).all()

    def checkins_by(*columns):
        return (select(*columns, func.count(distinct(CheckIn.user_id)), func.count(CheckIn.id))
                .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id).where(held))

    # 2-6. People reached: by kind, organiser, month, the person's village, and in all.
    checkin_kind = {k: (p, n) for k, p, n in db.session.execute(checkins_by(Event.kind).group_by(Event.kind))}
    checkin_org = {u: (p, n) for u, p, n in db.session.execute(checkins_by(Event.org_unit_id).group_by(Event.org_unit_id))}
    dated = (select(CheckIn.user_id, _month(Event.starts_at, year).label("month"))
             .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id).where(held).subquery("dated"))
    checkin_month = {m: (p, n) for m, p, n in db.session.execute(
        select(dated.c.month, func.count(distinct(dated.c.user_id)), func.count()).group_by(dated.c.month))}
    village_rows = db.session.execute(
        checkins_by(User.org_unit_id, OrgUnit.name).join(User, User.id == CheckIn.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).group_by(User.org_unit_id, OrgUnit.name)
    ).all()
    people, checkins = db.session.execute(checkins_by()).one()

    def quizzes_by(*columns):
        return (select(*columns, func.count(distinct(Quiz.user_id)), func.count(Quiz.id),
                       func.coalesce(func.sum(Quiz.answered_count), 0), func.coalesce(func.sum(Quiz.correct_count), 0))
                .select_from(Quiz).join(Event, Event.id == Quiz.event_id)
                .where(held, Quiz.mode == "event", Quiz.answered_count > 0))

    # 7-8. On-site quizzes by kind and in all.
    quiz_kind = {row[0]: row[1:] for row in db.session.execute(quizzes_by(Event.kind).group_by(Event.kind))}
    quiz_total = db.session.execute(quizzes_by()).one()

    # 9. Held events nobody checked in at.
    empty = db.session.execute(
        select(Event.id, Event.title, Event.kind, Event.starts_at, OrgUnit.name.label("organiser"))
        .join(OrgUnit, OrgUnit.id == Event.org_unit_id)
        .where(held, ~exists().where(CheckIn.event_id == Event.id)).order_by(Event.starts_at, Event.id)
    ).all()

    # 10. Photos archived.
    photos = db.session.scalar(
        select(func.count(EventPhoto.id)).select_from(EventPhoto).join(Event, Event.id == EventPhoto.event_id).where(held))

    kinds: dict[str, int] = {}
    units: dict[int, dict] = {}
    months = dict.fromkeys(MONTHS, 0)
    not_yet_held = 0
    for kind, unit_id, unit_name, is_held, month, n in event_rows:
        if not is_held:
            not_yet_held += n
            continue
        kinds[kind] = kinds.get(kind, 0) + n
        units.setdefault(unit_id, {"unit_id": unit_id, "unit": unit_name, "events": 0})["events"] += n
        months[int(month)] += n

    by_kind = []
    for kind in sorted(kinds, key=lambda k: (_KIND_ORDER.get(k, len(_KIND_ORDER)), k)):
        p, n = checkin_kind.get(kind, (0, 0))
        by_kind.append({"kind": kind, "label": kind_label(kind), "events": kinds[kind], "people": p, "checkins": n,
                        "quiz": _quiz(*quiz_kind.get(kind, ()))})

    by_organiser = []
    for unit in units.values():
        p, n = checkin_org.get(unit["unit_id"], (0, 0))
        by_organiser.append({**unit, "people": p, "checkins": n})
    by_organiser.sort(key=lambda u: (-u["events"], -u["checkins"], u["unit"]))

    by_village = _by_people([{"unit_id": u, "unit": _unit_name(u, name), "people": p, "checkins": n}
                             for u, name, p, n in village_rows])
    held_count = sum(kinds.values())
    return {
        "held": held_count,
        "not_yet_held": not_yet_held,
        "with_checkins": held_count - len(empty),
        "people": int(people),
        "checkins": int(checkins),
        "villages": sum(1 for v in by_village if v["unit_id"] is not None),
        "organisers": len(by_organiser),
        "by_kind": by_kind,
        "by_month": [{"month": m, "events": months[m], "people": checkin_month.get(m, (0, 0))[0],
                      "checkins": checkin_month.get(m, (0, 0))[1]} for m in MONTHS],
        "by_organiser": by_organiser,
        "by_village": by_village,
        "without_checkins": [{"id": e.id, "title": e.title, "kind": e.kind, "label": kind_label(e.kind),
                              "date": to_local(e.starts_at).date(), "organiser": e.organiser} for e in empty],
        "quiz": _quiz(*quiz_total),
        "photos": int(photos),
    }


# -- the district of several towns, town by town --------------------------------------------


def _district_towns() -> tuple[list[tuple[int, str]], dict[int, int]] | None:
    """The district's towns [(id, name)] by name and each unit's town, when it has several;
    None for a district of one town (a township), shown unit by unit. Statement 20."""
    units = db.session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.town_id)
                               .order_by(OrgUnit.name, OrgUnit.id)).all()  # as accounts.tenancy.towns
    towns = [(u.id, u.name) for u in units if u.kind == "town"]
    return (towns, {u.id: u.town_id for u in units}) if len(towns) > 1 else None


def _mean(values: list[float]) -> float | None:
    """The unweighted mean with one decimal, as reports.learning_gain.year_gain takes it."""
    if not values:
        return None
    return float((sum(Decimal(str(v)) for v in values) / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _by_towns(f: dict, towns: list[tuple[int, str]], town_of: dict[int, int], held) -> None:
    """Turn the district's lists by unit into lists by town, in place: every town by name
    (the exams: the towns with cadres assigned), then 未填写. Villages and cadres add up to
    their towns (a person is in one unit); the people an organiser's events reached do not
    (one person at events of two of a town's units), nor do events carry their town into the
    learning gain: statements 24 and 25 count those by town."""
    def summed(rows: list[dict], keys: tuple, every_town: bool = True) -> list[dict]:
        sums = {t: {"unit_id": t, "unit": name, **dict.fromkeys(keys, 0)} for t, name in towns}
        seen, nowhere = set(), []
        for r in rows:
            if r["unit_id"] is None:
                nowhere.append({"unit_id": None, "unit": r["unit"], **{k: r[k] for k in keys}})
                continue
            town = town_of.get(r["unit_id"])
            if town in sums:  # else a unit gone since its rows were counted
                seen.add(town)
                for k in keys:
                    sums[town][k] += r[k]
        return [row for t, row in sums.items() if every_town or t in seen] + nowhere

    e, learning = f["events"], f["learning"]
    reached = {t: (int(p), int(n)) for t, p, n in db.session.execute(
        select(OrgUnit.town_id, func.count(distinct(CheckIn.user_id)), func.count(CheckIn.id)).select_from(CheckIn)
        .join(Event, Event.id == CheckIn.event_id).join(OrgUnit, OrgUnit.id == Event.org_unit_id).where(held)
        .group_by(OrgUnit.town_id))}
    organisers = summed([{**u, "organisers": 1} for u in e["by_organiser"]], ("organisers", "events"))
    for row in organisers:
        row["people"], row["checkins"] = reached.get(row["unit_id"], (0, 0))
    e["by_organiser"] = organisers
    e["by_village"] = summed(e["by_village"], ("people", "checkins"))
    learning["by_village"] = [{**r, "accuracy": percent(r["correct"], r["answers"])}
                              for r in summed(learning["by_village"], ("people", "answers", "correct"))]
    for kind in f["exams"]["by_kind"]:  # new_leaders is one of these dicts
        kind["by_unit"] = [{**r, **_cadres(r["assigned"], r["sat"], r["passed"])}
                           for r in summed(kind["by_unit"], ("assigned", "sat", "passed"), every_town=False)]

    gain = f["learning_gain"]
    event_town = {i: town_of.get(u) for i, u in db.session.execute(
        select(Event.id, Event.org_unit_id).where(held, Event.quiz_category_id.is_not(None)))}
    rows = []
    for town, name in towns:
        events = [r for r in gain["events"] if event_town.get(r["event_id"]) == town]
        compared = [r for r in events if not r["too_few"] and r["difference"] is not None]
        rows.append({"unit_id": town, "unit": name, "events": len(events), "compared": len(compared),
                     **{k: _mean([r[k]["gain"] for r in compared]) for k in ("attendees", "others")},
                     "difference": _mean([r["difference"] for r in compared])})
    f["learning_gain"] = {"held": len(gain["events"]), **{k: v for k, v in gain.items() if k != "events"}, "by_town": rows}


# -- online learning ----------------------------------------------------------------------


def _answers(people=0, answers=0, correct=0) -> dict:
    answers, correct = int(answers), int(correct)
    return {"people": int(people), "answers": answers, "correct": correct, "accuracy": percent(correct, answers)}


def _learning(year: int, start: datetime, until: datetime, town_id: int | None) -> dict:
    answered = and_(Quiz.mode.in_(ONLINE_MODES), QuizItem.answered_at >= start, QuizItem.answered_at < until,
                    people_in(town_id, Quiz.user_id))
    right = func.coalesce(func.sum(case((QuizItem.correct.is_(True), 1), else_=0)), 0)

    def answers_by(*columns):
        return (select(*columns, func.count(distinct(Quiz.user_id)), func.count(), right)
                .select_from(QuizItem).join(Quiz, Quiz.id == QuizItem.quiz_id).where(answered))

    # 11-14. In all, by law, by the person's village, by month.
    total = db.session.execute(answers_by()).one()
    laws = db.session.execute(
        answers_by(Category.id, Category.name).join(Question, Question.id == QuizItem.question_id)
        .join(Category, Category.id == Question.category_id)
        .group_by(Category.id, Category.name, Category.sort_order).order_by(Category.sort_order, Category.id)
    ).all()
    villages = db.session.execute(
        answers_by(User.org_unit_id, OrgUnit.name).join(User, User.id == Quiz.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).group_by(User.org_unit_id, OrgUnit.name)
    ).all()
    dated = (select(Quiz.user_id, QuizItem.correct, _month(QuizItem.answered_at, year).label("month"))
             .select_from(QuizItem).join(Quiz, Quiz.id == QuizItem.quiz_id).where(answered).subquery("dated"))
    months = {m: row for m, *row in db.session.execute(
        select(dated.c.month, func.count(distinct(dated.c.user_id)), func.count(),
               func.coalesce(func.sum(case((dated.c.correct.is_(True), 1), else_=0)), 0)).group_by(dated.c.month))}

    return {
        **_answers(*total),
        "by_law": [{"category_id": cid, "law": name, **_answers(*row)} for cid, name, *row in laws],
        "by_village": _by_people([{"unit_id": u, "unit": _unit_name(u, name), **_answers(*row)}
                                  for u, name, *row in villages]),
        "by_month": [{"month": m, **_answers(*months.get(m, ()))} for m in MONTHS],
    }


# -- exams ----------------------------------------------------------------------------------


def _cadres(assigned_=0, sat=0, passed=0) -> dict:
    return {"assigned": assigned_, "sat": sat, "passed": passed,
            "pass_rate": percent(passed, assigned_), "sat_rate": percent(sat, assigned_)}


def exam_figures(start: datetime, end: datetime, now: datetime, town_id: int | None = None) -> dict:
    """The exams opened in [start, end) by `now`: year_figures' "exams"."""
    opened = and_(Exam.opens_at >= start, Exam.opens_at < end, Exam.opens_at <= now)
    # A town's exams are those its active cadres were given (a district exam included),
    # and its cadres the only ones counted.
    cadres = true() if town_id is None else tenancy.condition(Cadre, town_id)
    given = true() if town_id is None else exists().where(Cadre.active.is_(True), assigned(), cadres)

    # 15. The exams of the year by kind, and how many are still open.
    counts = {kind: (n, int(still)) for kind, n, still in db.session.execute(
        select(Exam.kind, func.count(), func.coalesce(func.sum(case((Exam.closes_at > now, 1), else_=0)), 0))
        .where(opened, given).group_by(Exam.kind))}

    # 16. Assigned cadres by kind and unit, with their best finished attempt at each exam.
    best = best_attempts(opened)
    rows = db.session.execute(
        select(Exam.kind, Cadre.org_unit_id, OrgUnit.name, func.count(distinct(Cadre.id)),
               func.count(distinct(case((best.c.cadre_id.is_not(None), Cadre.id)))),
               func.count(distinct(case((best.c.passed.is_(True), Cadre.id)))))
        .select_from(Exam).join(Cadre, Cadre.active.is_(True)).join(OrgUnit, OrgUnit.id == Cadre.org_unit_id)
        .outerjoin(best, and_(best.c.exam_id == Exam.id, best.c.cadre_id == Cadre.id))
        .where(opened, assigned(), cadres).group_by(Exam.kind, Cadre.org_unit_id, OrgUnit.name)
    ).all()

    # A cadre is in one unit: a kind's people are the sum of its units'.
    units: dict[str, list] = {}
    for kind, unit_id, name, n_assigned, sat, passed in rows:
        units.setdefault(kind, []).append({"unit_id": unit_id, "unit": name, **_cadres(n_assigned, sat, passed)})
    by_kind = []
    for kind in sorted(counts, key=lambda k: _EXAM_ORDER.get(k, len(_EXAM_ORDER))):
        kind_units = sorted(units.get(kind, []), key=lambda u: (-u["assigned"], u["unit"]))
        totals = [sum(u[k] for u in kind_units) for k in ("assigned", "sat", "passed")]
        n, still = counts[kind]
        by_kind.append({"kind": kind, "label": EXAM_KIND_LABELS.get(kind, kind), "exams": n, "open": still,
                        **_cadres(*totals), "by_unit": kind_units})
    none = {"kind": "new_leader", "label": EXAM_KIND_LABELS["new_leader"], "exams": 0, "open": 0, **_cadres(), "by_unit": []}
    return {
        "exams": sum(n for n, _ in counts.values()),
        "open": sum(still for _, still in counts.values()),
        "by_kind": by_kind,
        "new_leaders": next((k for k in by_kind if k["kind"] == "new_leader"), none),
    }


# -- points and rewards -------------------------------------------------------------------


def _points(year: int, start: datetime, until: datetime, town_id: int | None) -> dict:
    flow = case((PointsEntry.reason == "redeem", "spent"), (PointsEntry.reason == "refund", "refunded"),
                (PointsEntry.delta > 0, "issued"), else_="other")
    mine = true() if town_id is None else tenancy.condition(PointsEntry, town_id)  # as points.books counts a town's
    entries = (select(_month(PointsEntry.created_at, year).label("month"), flow.label("flow"), PointsEntry.delta)
               .where(PointsEntry.created_at >= start, PointsEntry.created_at < until, mine)
               .subquery("entries"))
    # 17. Points moved, by month and direction.
    months = {m: {"month": m, "issued": 0, "spent": 0, "refunded": 0} for m in MONTHS}
    for month, kind, total in db.session.execute(
        select(entries.c.month, entries.c.flow, func.sum(entries.c.delta)).group_by(entries.c.month, entries.c.flow)
    ):
        if kind in ("issued", "spent", "refunded"):
            months[int(month)][kind] = abs(int(total))
    by_month = list(months.values())
    return {k: sum(m[k] for m in by_month) for k in ("issued", "spent", "refunded")} | {"by_month": by_month}


def _rewards(start: datetime, until: datetime, town_id: int | None) -> dict:
    # 18. Redemptions made in the year, by reward and status.
    rows = db.session.execute(
        select(Redemption.reward_id, Reward.name, Redemption.status, func.count())
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.created_at >= start, Redemption.created_at < until,
               true() if town_id is None else tenancy.condition(Reward, town_id))
        .group_by(Redemption.reward_id, Reward.name, Redemption.status)
    ).all()
    rewards: dict[int, dict] = {}
    for reward_id, name, status, n in rows:
        row = rewards.setdefault(reward_id, {"reward_id": reward_id, "reward": name, **dict.fromkeys(REDEMPTION_STATUSES, 0)})
        row[status] += n
    for row in rewards.values():
        row["made"] = sum(row[s] for s in REDEMPTION_STATUSES)
        row["redeemed"] = row["made"] - row["cancelled"]
    by_reward = sorted(rewards.values(), key=lambda r: (-r["redeemed"], -r["handed_over"], r["reward"]))
    totals = {k: sum(r[k] for r in by_reward) for k in ("made", "redeemed", *REDEMPTION_STATUSES)}
    return totals | {"by_reward": by_reward}


# -- the report's sentences ----------------------------------------------------------------


def headlines(f: dict) -> list[str]:
    """The sentences the annual report quotes."""
    year, e, learning, exams, points, rewards = f["year"], f["events"], f["learning"], f["exams"], f["points"], f["rewards"]
    period = f"{year}年全年" if f["complete"] else f"{year}年截至{f['as_of'].month}月{f['as_of'].day}日"
    lines = []
    if e["held"]:
        kinds = "、".join(f"{k['label']}{k['events']}场" for k in e["by_kind"])
        line = f"{period}开展普法活动{e['held']}场次，其中{kinds}；覆盖群众{e['people']}人、{e['checkins']}人次"
        empty = len(e["without_checkins"])
        lines.append(line + (f"；{empty}场活动无签到记录。" if empty else "。"))
        organisers = e["by_organiser"]
        units = "、".join(f"{u['unit']}{u['events']}场" for u in organisers[:HEADLINE_UNITS])
        if len(organisers) > HEADLINE_UNITS:
            units = f"主办最多的是{units}等"
        lines.append(f"落实“谁执法谁普法”，{len(organisers)}个单位主办活动：{units}。")
        named = [v for v in e["by_village"] if v["unit_id"] is not None]
        if named:
            top = "、".join(f"{v['unit']}（{v['people']}人、{v['checkins']}人次）" for v in named[:3])
            lines.append(f"参与群众覆盖{e['villages']}个村（社区），参与人数居前的是{top}。")
        q = e["quiz"]
        if q["people"]:
            lines.append(f"开展现场答题，{q['people']}人参与，答题{q['answered']}道，答对{q['correct']}道，正确率{q['accuracy']:.1f}%。")
        gain = learning_gain.headline(f["learning_gain"])
        if gain:
            lines.append(gain)
    else:
        lines.append(f"{period}暂无普法活动记录。")
    if learning["answers"]:
        lines.append(f"线上学法{learning['people']}人参与，答题{learning['answers']}道，正确率{learning['accuracy']:.1f}%。")
    for k in exams["by_kind"]:
        if k["kind"] == "new_leader":
            line = f"新提拔领导干部{k['sat']}人参加任前法律知识考试，合格{k['passed']}人"
            lines.append(line + (f"（应考{k['assigned']}人）。" if k["assigned"] > k["sat"] else "。"))
        else:
            rate = f"，合格率{k['pass_rate']:.1f}%" if k["pass_rate"] is not None else ""
            lines.append(f"组织{k['label']}{k['exams']}场，应考{k['assigned']}人，参考{k['sat']}人，合格{k['passed']}人{rate}。")
    if points["issued"] or rewards["made"]:
        lines.append(f"发放学法积分{points['issued']}分；群众用积分兑换奖品{rewards['redeemed']}件，已领取{rewards['handed_over']}件。")
    if e["held"]:
        lines.append(f"归档活动照片{e['photos']}张。")
    return lines
