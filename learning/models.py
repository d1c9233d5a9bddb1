from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class ReviewCard(db.Model):
    """A person's FSRS card for one question: when to see it again and how well it is
    known. Every quiz answer updates it (learning.cards)."""

    __tablename__ = "review_card"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    # The question's law when first met, so mastery groups by law without the question.
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    # fsrs.State: 1 learning, 2 review (graduated), 3 relearning.
    state: Mapped[int]
    step: Mapped[int | None]
    stability: Mapped[float]
    difficulty: Mapped[float]
    due: Mapped[datetime]
    last_review: Mapped[datetime]
    reviews: Mapped[int] = mapped_column(default=1)
    lapses: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint("state IN (1, 2, 3)", name="state"),
        # A person's due cards, most overdue first.
        Index("ix_review_card_user_due", "user_id", "due"),
        # Mastery by law across a town.
        Index("ix_review_card_category", "category_id"),
    )


class ReviewDay(db.Model):
    """A Beijing-time day on which the person answered a review quiz: the streak."""

    __tablename__ = "review_day"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
