"""Writing to the points ledger: the only way a balance changes."""
from datetime import datetime

from sqlalchemy import case, func, select, update

from accounts.models import User
from core.domain_errors import Conflict
from core.extensions import db
from core.sql import insert
from core.timeutil import local_midnight_utc, local_today, period_keys, utcnow
from points.models import DailyEarning, PointsEntry, PointsTally
from points.rules import REASON_LABELS, Rule


def credit(user_id: int, rule: Rule | None, points: int, key: str, note: str = "", now: datetime | None = None) -> int:
    """Pay `points` under `rule` (capped per day when the rule has a cap), once per
    idempotency key, in the caller's unit of work; returns the points actually paid.

    The daily allowance is taken by an upsert that locks the day's row: `last_grant`
    records what this call took (SET sees the old row), so concurrent calls never pass
    the cap. A duplicate key raises IntegrityError and rolls the whole payment back."""
    if points <= 0 or rule is None:
        return 0
    now = now or utcnow()
    today = local_today(now)
    if rule.daily_cap is not None:
        points = _take_allowance(user_id, today, rule, points)
        if points <= 0:
            return 0
    users = User.__table__  # a table statement: the session may hold the user, whose balance expires at commit
    balance, org_unit_id = db.session.execute(
        update(users).where(users.c.id == user_id).values(points_balance=users.c.points_balance + points)
        .returning(users.c.points_balance, users.c.org_unit_id)
    ).one()
    db.session.execute(insert(PointsEntry.__table__).values(
        user_id=user_id, delta=points, reason=rule.name, note=note or REASON_LABELS.get(rule.name, ""),
        idempotency_key=key, balance_after=balance, created_at=now,
    ))
    tallies = PointsTally.__table__
    tally = insert(tallies).values(
        [{"user_id": user_id, "period": period, "org_unit_id": org_unit_id, "points": points} for period in period_keys(today).values()]
    )
    db.session.execute(tally.on_conflict_do_update(
        index_elements=["user_id", "period"],
        set_={"points": tallies.c.points + tally.excluded.points, "org_unit_id": tally.excluded.org_unit_id},
    ))
    return points


def _take_allowance(user_id: int, today, rule: Rule, wanted: int) -> int:
    """Up to `wanted` of today's allowance under `rule`: what is left of it, at most."""
    daily = DailyEarning.__table__
    room = rule.daily_cap - daily.c.earned
    take = case((room < wanted, room), else_=wanted)
    first = min(wanted, rule.daily_cap)
    grant = insert(daily).values(user_id=user_id, day=today, rule=rule.name, earned=first, last_grant=first)
    return db.session.execute(
        grant.on_conflict_do_update(index_elements=["user_id", "day", "rule"], set_={"last_grant": take, "earned": daily.c.earned + take})
        .returning(daily.c.last_grant)
    ).scalar_one()


def spend_or_refund(user_id: int, delta: int, reason: str, key: str, note: str = "", now: datetime | None = None) -> int:
    """Move points that are not earned by learning (redeeming: negative; a refund:
    positive): the balance and the ledger together, never below zero, once per key.
    Leaderboards count what was earned, so the tallies are left alone. Returns the new
    balance; 409 insufficient_points if the balance cannot cover it. Runs in the
    caller's transaction; locks the user's row until it ends."""
    now = now or utcnow()
    balance = db.session.execute(
        update(User).where(User.id == user_id, User.points_balance + delta >= 0)
        .values(points_balance=User.points_balance + delta).returning(User.points_balance)
    ).scalar()
    if balance is None:
        raise Conflict("积分不足。", code="insufficient_points")
    # A duplicate key raises IntegrityError: the caller's transaction pays nothing.
    db.session.execute(insert(PointsEntry.__table__).values(
        user_id=user_id, delta=delta, reason=reason, note=note or REASON_LABELS.get(reason, ""), idempotency_key=key,
        balance_after=balance, created_at=now,
    ))
    return balance


def earned_today(user_id: int) -> int:
    since = local_midnight_utc(local_today())
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
            PointsEntry.user_id == user_id, PointsEntry.created_at >= since, PointsEntry.delta > 0
        )
    )


def ledger_page(user_id: int, page: int, per_page: int):
    return db.paginate(
        select(PointsEntry).where(PointsEntry.user_id == user_id).order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )
