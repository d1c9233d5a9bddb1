from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timeutil import utcnow


class PointsEntry(db.Model):
    """The append-only points ledger. The idempotency key makes a retry pay nothing."""

    __tablename__ = "points_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    balance_after: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_points_entry_user", "user_id", "created_at"),
        CheckConstraint("balance_after >= 0", name="balance_after"),
    )


class DailyEarning(db.Model):
    """Points earned today under one capped rule: the cap is enforced on this row."""

    __tablename__ = "points_daily"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    earned: Mapped[int] = mapped_column(default=0)
    last_grant: Mapped[int] = mapped_column(default=0)


class PointsTally(db.Model):
    """Points earned per leaderboard period ('all', 'w2026-48', 'm2026-11'), kept as
    entries are written so the leaderboard never sums the ledger."""

    __tablename__ = "points_tally"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    # Copied from the user so a unit's board is one index range; moved with the user.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    points: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_points_tally_board", "period", "points"),
        Index("ix_points_tally_unit_board", "period", "org_unit_id", "points"),
    )
