"""What a person has to review: their cards due by the end of today (Beijing time), for
the review quiz, the daily set and the mini-program's badge."""
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from core.extensions import db
from core.timeutil import local_midnight_utc, local_today
from learning.models import ReviewCard, ReviewDay
from quiz_bank.draw import in_quizzes
from quiz_bank.models import Question

STREAK_LOOKBACK_DAYS = 366


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Today's start and end (Beijing time) as naive UTC."""
    today = local_today(now)
    return local_midnight_utc(today), local_midnight_utc(today + timedelta(days=1))


def _servable(user_id: int):
    """The person's cards whose question may still be served in a quiz."""
    return (select().select_from(ReviewCard).join(Question, Question.id == ReviewCard.question_id)
            .where(ReviewCard.user_id == user_id, *in_quizzes()))


def due_questions(user_id: int, now: datetime, limit: int, category_id: int | None = None) -> list[int]:
    """Up to `limit` questions whose card is due before today ends, most overdue first."""
    _, end = day_bounds(now)
    query = (_servable(user_id).add_columns(ReviewCard.question_id)
             .where(ReviewCard.due < end).order_by(ReviewCard.due, ReviewCard.question_id).limit(limit))
    if category_id is not None:
        query = query.where(ReviewCard.category_id == category_id)
    return list(db.session.scalars(query))


def next_due_at(user_id: int, category_id: int | None = None) -> datetime | None:
    query = _servable(user_id).add_columns(func.min(ReviewCard.due))
    if category_id is not None:
        query = query.where(ReviewCard.category_id == category_id)
    return db.session.scalar(query)


def summary(user_id: int, now: datetime) -> dict:
    """The badge: due by the end of today, of which overdue (due before today began),
    the earliest due time, and the review streak. Two statements however many cards."""
    start, end = day_bounds(now)
    due_today, overdue, earliest = db.session.execute(
        _servable(user_id).add_columns(func.count(case((ReviewCard.due < end, 1))),
                                       func.count(case((ReviewCard.due < start, 1))),
                                       func.min(ReviewCard.due))
    ).one()
    days = db.session.scalars(
        select(ReviewDay.day).where(ReviewDay.user_id == user_id,
                                    ReviewDay.day > local_today(now) - timedelta(days=STREAK_LOOKBACK_DAYS))
    ).all()
    return {"due_today": due_today, "overdue": overdue, "next_due_at": earliest, "streak_days": streak(set(days), local_today(now))}


def streak(days: set[date], today: date) -> int:
    """Consecutive days of review up to today; a streak still counts on a day not yet
    reviewed (it ends only when a whole day is missed)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count
