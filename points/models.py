from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import AdminUser, OrgUnit, User
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

    # Written by every paid answer: on SQLite the row lives in its primary key's
    # b-tree, with no rowid table and separate key index to write besides.
    __table_args__ = ({"sqlite_with_rowid": False},)


class PointsTally(db.Model):
    """Points earned per leaderboard period ('all', 'w2026-48', 'm2026-11', 'y2026', as
    core.timeutil.period_keys names them), kept as entries are written so the leaderboard
    never sums the ledger."""

    __tablename__ = "points_tally"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    # Copied from the user so a unit's board is one index range; moved with the user.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    points: Mapped[int] = mapped_column(default=0)

    # Every paid answer moves four rows (week, month, year, all time), each in every index
    # that holds `points`. The board's top reads ix_points_tally_board in order; a town's
    # or a unit's rank, count and unit board read its units' rows in ix_points_tally_unit
    # (on a district, the whole period's rows of 20 towns otherwise: 75 ms against 1.3).
    # WITHOUT ROWID on SQLite: a person's rows lie together, in the table's own order.
    __table_args__ = (
        Index("ix_points_tally_board", "period", "points", "org_unit_id"),
        Index("ix_points_tally_unit", "period", "org_unit_id", "points"),
        {"sqlite_with_rowid": False},
    )


REDEMPTION_STATUSES = ("pending", "handed_over", "cancelled", "expired")
REDEMPTION_STATUS_LABELS = {"pending": "待领取", "handed_over": "已领取", "cancelled": "已取消", "expired": "已过期"}
LIMIT_PERIODS = ("month", "all")


class Reward(db.Model):
    """Something points buy, replacing the gift table at events."""

    __tablename__ = "reward"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    # The picture, stored like event photos (by its SHA-256).
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    image_mime: Mapped[str | None] = mapped_column(String(20))
    cost: Mapped[int]
    # Taken with a conditional update, so it never goes below zero.
    stock: Mapped[int] = mapped_column(default=0)
    per_user_limit: Mapped[int | None]
    limit_period: Mapped[str] = mapped_column(String(10), default="all")
    offered_from: Mapped[datetime | None]
    offered_until: Mapped[datetime | None]
    visible: Mapped[bool] = mapped_column(default=True)
    # The town whose residents may redeem it at its counter; None: district-wide (accounts.tenancy).
    town_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    town: Mapped[OrgUnit | None] = relationship()

    __table_args__ = (
        CheckConstraint("cost > 0", name="cost"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("per_user_limit IS NULL OR per_user_limit > 0", name="per_user_limit"),
        CheckConstraint(f"limit_period IN {LIMIT_PERIODS}", name="limit_period"),
    )

    def __str__(self) -> str:
        return self.name


class Redemption(db.Model):
    __tablename__ = "redemption"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id"))
    cost: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Shown at the counter; random, so it cannot be guessed from another one.
    pickup_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Local month (2026-11) the redemption counts towards for a monthly limit.
    month: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    handed_over_at: Mapped[datetime | None]
    handed_over_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    closed_at: Mapped[datetime | None]

    reward: Mapped["Reward"] = relationship(lazy="joined")
    user: Mapped["User"] = relationship()
    handed_over_by_admin: Mapped["AdminUser | None"] = relationship()

    __table_args__ = (
        CheckConstraint(f"status IN {REDEMPTION_STATUSES}", name="status"),
        Index("ix_redemption_user", "user_id", "id"),
        Index("ix_redemption_limit", "user_id", "reward_id", "month"),
        Index("ix_redemption_pending", "status", "expires_at"),
    )
