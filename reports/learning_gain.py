"""The learning gain of an event (学习成效): did the people who came to an event with an
on-site quiz answer questions of its law better afterwards, and better than those who
did not come? Shown on the event's page in the panel and in the year's figures.

What counts, and where:
- Only events with an on-site quiz: Event.quiz_category_id is set; that category is the
  event's law.
- Attendees: the people checked in at the event (CheckIn rows), of whatever town.
  Non-attendees: the other people of the event's town (its organiser's, by
  accounts.tenancy's rule for people: in a township, everyone) who answered questions of
  the law in the same windows. A district's other towns are not the event's to compare
  with, nor its staff's to see.
- An answer is a QuizItem with answered_at set, of any quiz mode (daily, practice,
  challenge, other events' on-site quizzes). Exam answers live in the exams' own tables
  and are never counted.
- before: answers whose question is of the law, answered in [starts_at − 30 days, starts_at).
- on_site: the answers of this event's own on-site quiz (Quiz.event_id = event.id), of
  whatever law they were drawn from.
- after: answers whose question is of the law, answered in (ends_at, ends_at + 30 days],
  and not after `now`. While those 30 days have not all passed the gain is `complete`
  False and "after" runs to today.
- This event's own on-site quiz is never counted in before or after.
- Per group × period: people, answers, correct, accuracy (reports.figures.percent).
  gain = after accuracy − before accuracy (percentage points) per group; difference =
  attendees' gain − non-attendees' gain. A cell with fewer than MIN_ANSWERS answers is
  `too_few` (样本太少): its numbers are shown, its accuracy marked; a gain is too_few
  when either of its cells is, the difference when either gain is.
- The year: its held events (reports.figures.held_events) with an on-site quiz. The
  averages are unweighted means over the events whose difference is not too_few.

Every figure is aggregated in SQL: `event_gain` sends one statement however many answers
there are (and two before it: the event's town, and whether it is the only one). At a
district's size that statement reads the whole district's answers to the law in the 60
days (200,000 answers, 1.1-1.6 s an event) and keeps its town's. But once an event's 30
days after and its check-in are over nothing can change its gain (answers are never
backdated), so pages and the year (`gain_of`, `year_gain`) count it then once and keep it
for good (reports.kept, kind KEPT, with the event's law, times and town it rests on; its
title and law's name are read as they are now). Until then its page shows it as counted
within a day (LIVE): by the nightly count of the year's figures, or else at a view.
"""
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, func, literal_column, or_, select, union_all

from accounts.models import OrgUnit
from activities.models import CheckIn, Event
from core.extensions import db
from core.sql import dialect_name
from core.timeutil import to_local, utcnow
from quiz_bank.models import Category, Question, Quiz, QuizItem
from reports import figures, kept

WINDOW_DAYS = 30
MIN_ANSWERS = 5  # fewer answers in a cell than this: 样本太少
PERIODS = ("before", "on_site", "after")
GROUPS = ("attendees", "others")
ELSEWHERE = "elsewhere"  # answers of other towns' people who did not come: not counted
GROUP_LABELS = {"attendees": "到场者", "others": "未到场者"}
TOO_FEW = "样本太少"
KEPT = "gain"  # an event's gain kept for good (reports.kept)
# An event's gain in its 30 days after, as last counted: the event's page reads one counted
# within LIVE_FOR (by the nightly count of the year's figures or an earlier view) instead
# of counting a district's 200,000 answers to the law at every view.
LIVE = "gain_live"
LIVE_FOR = timedelta(days=1)


def _text(value: str):
    """A constant spelled into the SQL, not bound: PostgreSQL groups by a CASE over
    constants only when it is the very same expression in both places."""
    return literal_column(f"'{value}'")


def _days_after(column, days: int):
    """column + days, in SQL."""
    if dialect_name() == "postgresql":
        return column + timedelta(days=days)
    # SQLite keeps datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text: shift it in that form.
    return func.strftime("%Y-%m-%d %H:%M:%f000", column, f"{days:+d} days")


def _answers(events, now: datetime):
    """(event_id, user_id, period, correct) of every answer counted for the events that
    satisfy `events` (a condition on Event)."""
    answered = and_(QuizItem.answered_at.is_not(None), QuizItem.answered_at <= now)
    on_site = (select(Event.id.label("event_id"), Quiz.user_id, _text("on_site").label("period"), QuizItem.correct)
               .select_from(Event).join(Quiz, Quiz.event_id == Event.id).join(QuizItem, QuizItem.quiz_id == Quiz.id)
               .where(events, answered))
    at = QuizItem.answered_at
    # From the law's questions to their answers in the whole span (30 days before to 30
    # after), the event itself then cut out: the span is one range of
    # ix_quiz_item_question_answered per question, so only the law's answers of those
    # days are read, not every answer of the year.
    around = (select(Event.id, Quiz.user_id, case((at < Event.starts_at, _text("before")), else_=_text("after")), QuizItem.correct)
              .select_from(Event).join(Question, Question.category_id == Event.quiz_category_id)
              .join(QuizItem, and_(QuizItem.question_id == Question.id, at >= _days_after(Event.starts_at, -WINDOW_DAYS),
                                   at <= _days_after(Event.ends_at, WINDOW_DAYS)))
              .join(Quiz, Quiz.id == QuizItem.quiz_id)
              .where(events, answered, Quiz.event_id.is_distinct_from(Event.id), or_(at < Event.starts_at, at > Event.ends_at)))
    return union_all(on_site, around).subquery("counted")


def _statement(events, now: datetime, town_id: int):
    """One row per event × group × period of the events of `town_id` that satisfy
    `events`; an event nobody answered for has one row with period None."""
    a = _answers(events, now)
    group = case((CheckIn.id.is_not(None), _text("attendees")), (figures.people_in(town_id, a.c.user_id), _text("others")),
                 else_=_text(ELSEWHERE)).label("grp")
    return (select(Event.id, Event.title, Event.starts_at, Event.ends_at, Category.name, group, a.c.period,
                   func.count(distinct(a.c.user_id)), func.count(a.c.user_id),
                   func.coalesce(func.sum(case((a.c.correct.is_(True), 1), else_=0)), 0))
            .select_from(Event).join(Category, Category.id == Event.quiz_category_id)
            .outerjoin(a, a.c.event_id == Event.id)
            .outerjoin(CheckIn, and_(CheckIn.event_id == Event.id, CheckIn.user_id == a.c.user_id))
            .where(events)
            .group_by(Event.id, Event.title, Event.starts_at, Event.ends_at, Category.name, group, a.c.period)
            .order_by(Event.starts_at, Event.id))


def _points(a: float | None, b: float | None) -> float | None:
    """a − b in percentage points, one decimal."""
    if a is None or b is None:
        return None
    return float((Decimal(str(a)) - Decimal(str(b))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _cell(people=0, answers=0, correct=0) -> dict:
    answers, correct = int(answers), int(correct)
    return {"people": int(people), "answers": answers, "correct": correct,
            "accuracy": figures.percent(correct, answers), "too_few": answers < MIN_ANSWERS}


def _gains(event_id, title, starts_at, ends_at, law, cells: dict, now: datetime) -> dict:
    until = ends_at + timedelta(days=WINDOW_DAYS)
    row = {"event_id": event_id, "title": title, "date": to_local(starts_at).date(), "law": law,
           "ended": ends_at <= now, "complete": now >= until, "after_until": to_local(min(now, until)).date(),
           "counted_at": now}
    for g in GROUPS:
        group = {p: _cell(*cells.get((g, p), ())) for p in PERIODS}
        group["gain"] = _points(group["after"]["accuracy"], group["before"]["accuracy"])
        group["too_few"] = group["before"]["too_few"] or group["after"]["too_few"]
        row[g] = group
    row["difference"] = _points(row["attendees"]["gain"], row["others"]["gain"])
    row["too_few"] = row["attendees"]["too_few"] or row["others"]["too_few"]
    return row


def _rows(events, now: datetime, town_id: int) -> list[dict]:
    found: dict[int, tuple] = {}
    for event_id, title, starts_at, ends_at, law, group, period, people, answers, correct in db.session.execute(
        _statement(events, now, town_id)
    ):
        _, cells = found.setdefault(event_id, ((event_id, title, starts_at, ends_at, law), {}))
        if period is not None and group != ELSEWHERE:
            cells[(group, period)] = (people, answers, correct)
    return [_gains(*head, cells, now) for head, cells in found.values()]


def _basis(event) -> list:
    """What an event's gain rests on besides the answers and check-ins (its town: whose
    people are its non-attendees)."""
    return [event.quiz_category_id, event.starts_at, event.ends_at, event.checkin_closes_at, event.created_at,
            event.town_id]


def _final(event, now: datetime) -> bool:
    """Nothing can change the event's gain any more: its 30 days after and its check-in are over."""
    return now >= max(event.ends_at + timedelta(days=WINDOW_DAYS), event.checkin_closes_at)


def _kept_or_counted(events: list, now: datetime, recent: bool = False) -> dict[int, dict]:
    """{event id: gain} of `events` (rows with Event's columns, `title` and `law`) at
    `now`: the final ones' kept gains; with `recent`, those over but not final as counted
    within LIVE_FOR; the rest counted in one statement per town, and kept: for good if
    final, as LIVE if over. Names are as they are now."""
    final = [e for e in events if _final(e, now)]
    # Over, check-in closed: only the answers of its days after are still to come (its
    # on-site quiz closed with it). One still going on is counted at every view.
    live = [e for e in events if not _final(e, now) and now >= max(e.ends_at, e.checkin_closes_at)]
    found = kept.final(KEPT, {e.id: _basis(e) for e in final})
    if recent:
        found.update({i: gain for i, gain in kept.final(LIVE, {e.id: _basis(e) for e in live}).items()
                      if now - LIVE_FOR <= gain["counted_at"] <= now})
    rest: dict[int, list[int]] = {}
    for e in events:
        if e.id not in found:
            rest.setdefault(e.town_id, []).append(e.id)
    counted = {r["event_id"]: r for town_id, ids in rest.items() for r in _rows(Event.id.in_(ids), now, town_id)}
    kept.keep_final(KEPT, {e.id: (_basis(e), counted[e.id]) for e in final if e.id in counted}, now)
    kept.keep_final(LIVE, {e.id: (_basis(e), counted[e.id]) for e in live if e.id in counted}, now)
    return {e.id: {**(found.get(e.id) or counted[e.id]), "title": e.title, "law": e.law} for e in events}


def _events(where):
    """The events satisfying `where` that have an on-site quiz, with their law's name and
    their town, by start."""
    return db.session.execute(
        select(Event.id, Event.title, Event.quiz_category_id, Event.starts_at, Event.ends_at, Event.checkin_closes_at,
               Event.created_at, Category.name.label("law"), OrgUnit.town_id)
        .join(Category, Category.id == Event.quiz_category_id).join(OrgUnit, OrgUnit.id == Event.org_unit_id)
        .where(where).order_by(Event.starts_at, Event.id)).all()


def gain_of(event: Event, now: datetime | None = None) -> dict | None:
    """event_gain as the event's page shows it: kept for good once final, until then as
    counted within LIVE_FOR (its `counted_at` says when)."""
    now = now or utcnow()
    if event.quiz_category_id is None:
        return None
    return _kept_or_counted(_events(Event.id == event.id), now, recent=True).get(event.id)


def event_gain(event: Event, now: datetime | None = None) -> dict | None:
    """The gain of one event as it stands at `now` (naive UTC; default: now); None when
    it has no on-site quiz.

    {event_id, title, date (local), law, ended, complete (the 30 days after are over),
     after_until (local date "after" runs to),
     attendees: GROUP, others: GROUP, difference, too_few}
    GROUP: {before, on_site, after: {people, answers, correct, accuracy, too_few}, gain, too_few}"""
    if event.quiz_category_id is None:
        return None
    town_id = db.session.scalar(select(OrgUnit.town_id).where(OrgUnit.id == event.org_unit_id))
    rows = _rows(Event.id == event.id, now or utcnow(), town_id)
    return rows[0] if rows else None


def year_gain(start: datetime, end: datetime, now: datetime, town_id: int | None = None) -> dict:
    """The gains of the events held in [start, end) by `now` that had an on-site quiz
    (those final as kept, gain_of).

    {events: [event_gain rows, by start], compared (events whose difference is not too_few),
     attendees, others, difference (mean gains over those, percentage points; None when none)}"""
    events = _events(figures.held_events(start, end, now, town_id))
    rows = list(_kept_or_counted(events, now).values())
    compared = [r for r in rows if not r["too_few"] and r["difference"] is not None]

    def mean(values: list[float]) -> float | None:
        if not values:
            return None
        return float((sum(Decimal(str(v)) for v in values) / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP))

    return {"events": rows, "compared": len(compared),
            "attendees": mean([r["attendees"]["gain"] for r in compared]),
            "others": mean([r["others"]["gain"] for r in compared]),
            "difference": mean([r["difference"] for r in compared])}


# -- sentences -----------------------------------------------------------------------------


def change(points: float) -> str:
    """提高 / 降低 X 个百分点."""
    if points > 0:
        return f"提高{points:.1f}个百分点"
    if points < 0:
        return f"降低{-points:.1f}个百分点"
    return "持平"


def summary(gain: dict) -> list[str]:
    """The plain sentences above the event's table."""
    if not gain["ended"]:
        return ["活动尚未结束，结束后可比较到场者与未到场者活动前后的答题正确率。"]
    lines = []
    for g in GROUPS:
        group, label = gain[g], GROUP_LABELS[g]
        if group["gain"] is None:
            lines.append(f"{label}在活动前或活动后30天内没有答过这部法律的题，无法比较。")
        else:
            lines.append(f"{label}活动后30天的正确率比活动前30天{change(group['gain'])}"
                         f"（{group['before']['accuracy']:.1f}% → {group['after']['accuracy']:.1f}%）。")
    d = gain["difference"]
    if d is not None:
        lines.append(f"到场者比未到场的人{'多' if d >= 0 else '少'}提高 {abs(d):.1f} 个百分点。")
        if gain["too_few"]:
            lines.append(f"有的时段答题不足{MIN_ANSWERS}道（{TOO_FEW}），以上比较仅供参考。")
    if not gain["complete"]:
        lines.append(f"活动结束未满30天，“活动后”截至{to_local(gain['counted_at']):%Y年%-m月%-d日 %H:%M}（北京时间）统计时，"
                     "此后每天重新统计。")
    return lines


def headline(section: dict) -> str | None:
    """The annual report's sentence on the year's gains; None when there is nothing to say."""
    n = len(section["events"])
    if not n:
        return None
    if not section["compared"]:
        return f"开展现场答题的{n}场活动，活动前后答题太少，暂不能比较学习成效。"
    which = f"开展现场答题的{n}场活动，" if section["compared"] == n else \
        f"开展现场答题的{n}场活动中，{section['compared']}场活动前后答题足够比较，"
    return (f"{which}到场者活动后正确率平均{change(section['attendees'])}，"
            f"未到场者平均{change(section['others'])}。")
