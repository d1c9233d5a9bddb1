"""What the panel's home page shows beyond the year's figures (reports.figures): what
needs doing today, participation week by week, and the questions most often answered
wrong; and the charts' data, as plain JSON-ready lists.

- Today: the events going on (between start and end, or with check-in open) with their
  live check-in count; redemptions waiting to be picked up (pending, not past their
  deadline); the exams open now with the active cadres assigned to each and how many of
  them have not finished an attempt; the questions awaiting review.
- Weeks run Monday to Sunday in local time; the year's first week starts on 1 January
  and the last ends on 31 December. A week counts online answers (daily, practice, review and
  challenge quizzes, as reports.figures counts learning), check-ins by when they were
  made, and the distinct people who did either. Only weeks begun by `now` are listed.
- Most missed: questions answered at least MIN_ANSWERS times in the year's quizzes of
  every mode (online and on-site), by the share answered wrong, then by the number wrong.

With `town_id` (accounts.tenancy), everything is one town's: its events, its rewards'
pickups, its exams (with only its cadres counted), its people's answers and check-ins at
its events; the questions awaiting review are the district's shared bank.

Every figure is aggregated in SQL: `todos` sends 4 statements, `participation_by_week`
and `most_missed` one each, however much the year holds.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, distinct, func, literal_column, or_, select, true, union_all

from accounts import tenancy
from accounts.models import Cadre, User
from activities.models import CheckIn, Event
from core.extensions import db
from core.timeutil import local_midnight_utc, local_today
from points.models import Redemption
from quiz_bank.exams.assignment import assigned
from quiz_bank.exams.models import Exam, ExamAttempt
from quiz_bank.exams.results import FINISHED
from quiz_bank.models import Category, Question, Quiz, QuizItem
from quiz_bank.questions import active_questions
from reports.figures import ONLINE_MODES, people_in, percent, year_bounds, year_figures

MIN_ANSWERS = 5
TOP_MISSED = 10


# -- today --------------------------------------------------------------------------------


def counts(now: datetime, town_id: int | None = None) -> dict[str, int]:
    """The home page's three numbers, by their labels: active questions (the shared bank),
    registered people and today's quizzes (of `town_id`'s people if given). Three statements."""
    today_quizzes = select(func.count()).select_from(Quiz).where(Quiz.started_at >= local_midnight_utc(local_today(now)))
    if town_id is not None:  # from today's quizzes to their people, not from the town's people to their quizzes
        today_quizzes = today_quizzes.join(User, User.id == Quiz.user_id).where(tenancy.condition(User, town_id))
    return {
        "题库中启用的题目": active_questions(),
        "注册用户": db.session.scalar(tenancy.scope(select(func.count()).select_from(User), User, town_id)),
        "今日答题次数": db.session.scalar(today_quizzes),
    }


def todos(now: datetime, town_id: int | None = None) -> dict:
    """{events: [{id, title, location, checkins, starts_at, ends_at}] (soonest first),
        pickups: int, exams: [{id, title, closes_at, assigned, unsat}] (closing first),
        pending_questions: int, recheck_questions: int (待复核: their article was amended)}"""
    going_on = or_(and_(Event.starts_at <= now, Event.ends_at > now),
                   and_(Event.checkin_opens_at <= now, Event.checkin_closes_at > now))
    events = db.session.execute(
        select(Event.id, Event.title, Event.location_name, Event.checkin_count, Event.starts_at, Event.ends_at)
        .where(going_on, _mine(Event, town_id)).order_by(Event.starts_at, Event.id)
    ).all()
    pickups = db.session.scalar(
        select(func.count()).select_from(Redemption)
        .where(Redemption.status == "pending", Redemption.expires_at >= now, _mine(Redemption, town_id)))
    waiting = dict(db.session.execute(select(Question.status, func.count()).where(Question.status.in_(("pending", "recheck")))
                                      .group_by(Question.status)).all())
    return {
        "events": [{"id": e.id, "title": e.title, "location": e.location_name, "checkins": e.checkin_count,
                    "starts_at": e.starts_at, "ends_at": e.ends_at} for e in events],
        "pickups": int(pickups),
        "exams": _open_exams(now, town_id),
        "pending_questions": int(waiting.get("pending", 0)),
        "recheck_questions": int(waiting.get("recheck", 0)),
    }


def _mine(model, town_id: int | None):
    return true() if town_id is None else tenancy.condition(model, town_id)


def _open_exams(now: datetime, town_id: int | None = None) -> list[dict]:
    is_open = and_(Exam.opens_at <= now, Exam.closes_at > now)
    cadres = _mine(Cadre, town_id)
    sat = (select(ExamAttempt.exam_id, ExamAttempt.cadre_id).join(Exam, Exam.id == ExamAttempt.exam_id)
           .where(is_open, ExamAttempt.status.in_(FINISHED)).distinct().subquery("sat"))
    rows = db.session.execute(
        select(Exam.id, Exam.title, Exam.closes_at, func.count(distinct(Cadre.id)),
               func.count(distinct(case((sat.c.cadre_id.is_(None), Cadre.id)))))
        .select_from(Exam)
        # An exam assigned to nobody is still open, with no one to sit it.
        .outerjoin(Cadre, and_(Cadre.active.is_(True), assigned(), cadres))
        .outerjoin(sat, and_(sat.c.exam_id == Exam.id, sat.c.cadre_id == Cadre.id))
        .where(is_open, _mine(Exam, town_id)).group_by(Exam.id, Exam.title, Exam.closes_at).order_by(Exam.closes_at, Exam.id)
    ).all()
    return [{"id": i, "title": t, "closes_at": c, "assigned": int(n), "unsat": int(u)} for i, t, c, n, u in rows]


# -- the year -------------------------------------------------------------------------------


def week_starts(year: int) -> list[date]:
    """The local first day of each week of `year`: 1 January, then every Monday."""
    first_monday = date(year, 1, 1) + timedelta(days=(7 - date(year, 1, 1).weekday()) % 7 or 7)
    starts = [date(year, 1, 1)]
    day = first_monday
    while day.year == year:
        starts.append(day)
        day += timedelta(days=7)
    return starts


def _week(column, starts: list[date]):
    """The week (1-based index into `starts`) of a UTC time known to lie in the year."""
    return case(*((column < local_midnight_utc(d), i) for i, d in enumerate(starts[1:], 1)), else_=len(starts))


def _window(year: int, now: datetime) -> tuple[datetime, datetime]:
    start, end = year_bounds(year)
    return start, min(end, max(now, start))


def participation_by_week(year: int, now: datetime, town_id: int | None = None) -> list[dict]:
    """[{week (1-based), starts (local date), answers, people, checkins}] for each week begun by `now`."""
    start, until = _window(year, now)
    starts = [d for d in week_starts(year) if local_midnight_utc(d) < until] or week_starts(year)[:1]
    answers = (select(Quiz.user_id.label("user_id"), QuizItem.answered_at.label("at"),
                      literal_column("1").label("answer"), literal_column("0").label("checkin"))
               .select_from(QuizItem).join(Quiz, Quiz.id == QuizItem.quiz_id)
               .where(Quiz.mode.in_(ONLINE_MODES), QuizItem.answered_at >= start, QuizItem.answered_at < until,
                      people_in(town_id, Quiz.user_id)))
    checkins = (select(CheckIn.user_id, CheckIn.checked_in_at, literal_column("0"), literal_column("1"))
                .where(CheckIn.checked_in_at >= start, CheckIn.checked_in_at < until, _mine(CheckIn, town_id)))
    acts = union_all(answers, checkins).subquery("acts")
    week = _week(acts.c.at, starts).label("week")
    counted = {int(w): (int(a), int(p), int(c)) for w, a, p, c in db.session.execute(
        select(week, func.sum(acts.c.answer), func.count(distinct(acts.c.user_id)), func.sum(acts.c.checkin))
        .group_by(week))}
    return [{"week": i, "starts": d, **dict(zip(("answers", "people", "checkins"), counted.get(i, (0, 0, 0))))}
            for i, d in enumerate(starts, 1)]


def most_missed(year: int, now: datetime, limit: int = TOP_MISSED, town_id: int | None = None) -> list[dict]:
    """[{question_id, stem, source, law, answered, wrong, wrong_share (%)}], most missed first."""
    start, until = _window(year, now)
    wrong = func.sum(case((QuizItem.correct.is_(False), 1), else_=0))
    tally = (select(QuizItem.question_id, func.count().label("answered"), wrong.label("wrong"))
             .where(QuizItem.answered_at >= start, QuizItem.answered_at < until, QuizItem.correct.is_not(None),
                    true() if town_id is None else QuizItem.quiz_id.in_(select(Quiz.id).where(people_in(town_id, Quiz.user_id))))
             .group_by(QuizItem.question_id).having(func.count() >= MIN_ANSWERS).subquery("tally"))
    rows = db.session.execute(
        select(Question.id, Question.stem, Question.source, Category.name, tally.c.answered, tally.c.wrong)
        .join(tally, tally.c.question_id == Question.id).join(Category, Category.id == Question.category_id)
        # The share as a float: integer division would make most shares 0 on both databases.
        .order_by((tally.c.wrong * 1.0 / tally.c.answered).desc(), tally.c.wrong.desc(), Question.id)
        .limit(limit)
    ).all()
    return [{"question_id": i, "stem": stem, "source": source, "law": law, "answered": int(n), "wrong": int(w),
             "wrong_share": percent(int(w), int(n))} for i, stem, source, law, n, w in rows]


def year_at_a_glance(year: int, now: datetime, town_id: int | None = None) -> dict:
    """The year's part of the home page counted now: assemble() of the year's figures and
    weeks_and_missed. The page itself shows them as last counted (reports.snapshots)."""
    return assemble(year_figures(year, now, town_id), **weeks_and_missed(year, now, town_id))


def weeks_and_missed(year: int, now: datetime, town_id: int | None = None) -> dict:
    """{weeks: participation_by_week, missed: most_missed}: what the home page counts beyond the figures."""
    return {"weeks": participation_by_week(year, now, town_id), "missed": most_missed(year, now, town_id=town_id)}


def assemble(figures: dict, weeks: list[dict], missed: list[dict]) -> dict:
    """{figures: reports.figures.year_figures, weeks: participation_by_week, missed: most_missed,
        units: exam results by unit, charts: what dashboard.js draws}"""
    glance = {"figures": figures, "weeks": weeks, "missed": missed, "units": exam_units(figures)}
    glance["charts"] = charts(glance)
    return glance


def exam_units(figures: dict) -> list[dict]:
    """Exam results by unit and kind: [{unit, kind, label, assigned, sat, passed, pass_rate}]."""
    return [{"unit": u["unit"], "kind": k["kind"], "label": k["label"], **{key: u[key] for key in
            ("assigned", "sat", "passed", "pass_rate")}} for k in figures["exams"]["by_kind"] for u in k["by_unit"]]


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[:n] + "…"


def charts(glance: dict) -> dict:
    """Each chart as {categories, series: [{name, data, kind ("bar"|"line")}], percent?}:
    what core/static/dashboard.js hands to ECharts."""
    f, weeks, missed = glance["figures"], glance["weeks"], glance["missed"]
    months = [f"{m}月" for m in range(1, 13)]
    units = list(dict.fromkeys(u["unit"] for u in glance["units"]))
    kinds = f["exams"]["by_kind"]
    return {
        "weeks": {"categories": [_day(w["starts"]) for w in weeks], "series": [
            {"name": "线上答题（道）", "kind": "bar", "data": [w["answers"] for w in weeks]},
            {"name": "参与人数（人）", "kind": "line", "data": [w["people"] for w in weeks]},
            {"name": "活动签到（人次）", "kind": "line", "data": [w["checkins"] for w in weeks]}]},
        "event_kinds": {"categories": [k["label"] for k in f["events"]["by_kind"]], "series": [
            {"name": "活动（场）", "kind": "bar", "data": [k["events"] for k in f["events"]["by_kind"]]}]},
        "event_months": {"categories": months, "series": [
            {"name": "活动（场）", "kind": "bar", "data": [m["events"] for m in f["events"]["by_month"]]},
            {"name": "签到（人次）", "kind": "line", "data": [m["checkins"] for m in f["events"]["by_month"]]}]},
        "exam_units": {"categories": units, "percent": True, "series": [
            {"name": k["label"], "kind": "bar",
             "data": [next((u["pass_rate"] for u in k["by_unit"] if u["unit"] == unit), None) for unit in units]}
            for k in kinds]},
        "points": {"categories": months, "series": [
            {"name": "发放积分", "kind": "bar", "data": [m["issued"] for m in f["points"]["by_month"]]},
            {"name": "兑换消耗积分", "kind": "bar", "data": [m["spent"] for m in f["points"]["by_month"]]}]},
        "missed": {"categories": [_short(q["stem"]) for q in missed], "percent": True, "horizontal": True, "series": [
            {"name": "答错比例", "kind": "bar", "data": [q["wrong_share"] for q in missed]}]},
    }
