"""The points books: an audit that every balance is its ledger, and the monthly figures
of points issued, spent and outstanding and of rewards handed out. With `town_id`
(accounts.tenancy), the books of one town: its people's points, its rewards' handing out."""
from dataclasses import dataclass
from sqlalchemy import case, func, literal_column, select, true

from accounts import tenancy

from accounts.models import User
from core.extensions import db
from core.sql import dialect_name
from core.timeutil import local_zone, utcnow
from points.models import PointsEntry, Redemption, Reward
from points.rules import REASON_LABELS

SPENDING = ("redeem", "refund")


def _mine(model, town_id: int | None):
    return true() if town_id is None else tenancy.condition(model, town_id)


@dataclass
class Difference:
    user_id: int
    name: str
    balance: int
    ledger: int


def audit(town_id: int | None = None) -> list[Difference]:
    """Every person whose balance is not the sum of their ledger, or is negative (one query)."""
    total = func.coalesce(func.sum(PointsEntry.delta), 0)
    rows = db.session.execute(
        select(User.id, User.real_name, User.nickname, User.points_balance, total.label("ledger"))
        .outerjoin(PointsEntry, PointsEntry.user_id == User.id).where(_mine(User, town_id))
        .group_by(User.id, User.real_name, User.nickname, User.points_balance)
        .having((User.points_balance != total) | (User.points_balance < 0))
        .order_by(User.id)
    ).all()
    return [Difference(r.id, r.real_name or r.nickname or f"用户{r.id}", r.points_balance, r.ledger) for r in rows]


def _local_month(column):
    """The Asia/Shanghai month of a UTC time, in SQL (the zone keeps one offset all year)."""
    hours = int(utcnow().replace(tzinfo=local_zone()).utcoffset().total_seconds() // 3600)
    if dialect_name() == "postgresql":
        return func.to_char(column + literal_column(f"interval '{hours} hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, f"{hours:+d} hours")


def monthly_points(year: int | None = None, town_id: int | None = None) -> list[dict]:
    """Per local month: issued (earned by learning), spent on rewards, refunded, and
    outstanding at the month's end (every balance together)."""
    month = _local_month(PointsEntry.created_at).label("month")
    rows = db.session.execute(
        select(
            month,
            func.sum(case((PointsEntry.reason.not_in(SPENDING), PointsEntry.delta), else_=0)).label("issued"),
            func.sum(case((PointsEntry.reason == "redeem", -PointsEntry.delta), else_=0)).label("spent"),
            func.sum(case((PointsEntry.reason == "refund", PointsEntry.delta), else_=0)).label("refunded"),
        ).where(_mine(PointsEntry, town_id)).group_by(month).order_by(month)
    ).all()
    out, outstanding = [], 0
    for r in rows:
        outstanding += r.issued - r.spent + r.refunded
        if year is None or r.month.startswith(f"{year}-"):
            out.append({"month": r.month, "issued": r.issued, "spent": r.spent, "refunded": r.refunded,
                        "net_spent": r.spent - r.refunded, "outstanding": outstanding})
    return out


def monthly_by_reason(year: int | None = None, town_id: int | None = None) -> list[dict]:
    month = _local_month(PointsEntry.created_at).label("month")
    q = select(month, PointsEntry.reason, func.sum(PointsEntry.delta).label("points"), func.count().label("entries")) \
        .where(_mine(PointsEntry, town_id)).group_by(month, PointsEntry.reason).order_by(month, PointsEntry.reason)
    return [
        {"month": r.month, "reason": r.reason, "label": REASON_LABELS.get(r.reason, r.reason), "points": r.points, "entries": r.entries}
        for r in db.session.execute(q) if year is None or r.month.startswith(f"{year}-")
    ]


def monthly_handed_out(year: int | None = None, town_id: int | None = None) -> list[dict]:
    """Rewards handed over at the counter, per local month and reward."""
    month = _local_month(Redemption.handed_over_at).label("month")
    q = (select(month, Reward.name, func.count().label("count"), func.sum(Redemption.cost).label("points"))
         .join(Reward, Reward.id == Redemption.reward_id).where(Redemption.status == "handed_over", _mine(Redemption, town_id))
         .group_by(month, Reward.name).order_by(month, Reward.name))
    return [{"month": r.month, "reward": r.name, "count": r.count, "points": r.points}
            for r in db.session.execute(q) if year is None or r.month.startswith(f"{year}-")]


def totals(town_id: int | None = None) -> dict:
    """Across all time: what was issued, what is in people's balances now."""
    issued = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                               .where(PointsEntry.reason.not_in(SPENDING), _mine(PointsEntry, town_id)))
    outstanding = db.session.scalar(select(func.coalesce(func.sum(User.points_balance), 0)).where(_mine(User, town_id)))
    pending = db.session.scalar(select(func.count()).select_from(Redemption)
                                .where(Redemption.status == "pending", _mine(Redemption, town_id)))
    return {"issued": issued, "outstanding": outstanding, "pending_redemptions": pending}
