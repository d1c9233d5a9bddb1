"""Spaced review: each person's FSRS card per question (the `fsrs` package schedules).

A wrong answer rates the card Again, a right one Good. The learning steps are ten
minutes, then a day: a question answered wrong is due again today, and leaves the
wrong-answer book only when its card graduates (reaches the review state), after a
right answer today and another on a later day; a question answered right at first
sight comes back the next day once. Cards of graduated questions come back at FSRS's
intervals (90 % desired retention, fuzzed so a day's reviews spread out)."""
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import Float, cast, func

from core.sql import days_since
from learning.models import ReviewCard

STEPS = (timedelta(minutes=10), timedelta(days=1))
SCHEDULER = Scheduler(learning_steps=STEPS, relearning_steps=STEPS)
GRADUATED = State.Review.value
CARD_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses")


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def reviewed(card: dict | None, correct: bool, now: datetime) -> dict:
    """The card's columns after one answer; `card` holds its columns before (None: the
    person's first answer to the question). Times are naive UTC, as stored."""
    before = Card(card_id=0) if card is None else Card(
        card_id=0, state=State(card["state"]), step=card["step"], stability=card["stability"],
        difficulty=card["difficulty"], due=_aware(card["due"]), last_review=_aware(card["last_review"]))
    after, _ = SCHEDULER.review_card(before, Rating.Good if correct else Rating.Again, _aware(now))
    lapsed = not correct and before.state == State.Review
    return {"state": after.state.value, "step": after.step, "stability": after.stability, "difficulty": after.difficulty,
            "due": _naive(after.due), "last_review": now, "reviews": (card["reviews"] if card else 0) + 1,
            "lapses": (card["lapses"] if card else 0) + int(lapsed)}


def retrievability(now: datetime):
    """SQL for a card's chance of being recalled at `now`: FSRS's forgetting curve, as
    Scheduler.get_card_retrievability computes it (whole days since the last review)."""
    decay = -SCHEDULER.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    elapsed = cast(days_since(now, ReviewCard.last_review), Float)
    return func.pow(1 + factor * elapsed / ReviewCard.stability, decay)
