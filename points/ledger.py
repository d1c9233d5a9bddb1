"""Writing to the points ledger: the only way a balance changes."""
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Integer, bindparam, case, func, select, update

from accounts.models import User
from core.errors import ApiError
from core.extensions import db
from core.sql import insert, prepared
from core.timeutil import local_midnight_utc, local_today, period_keys, utcnow
from points.models import DailyEarning, PointsEntry, PointsTally
from points.rules import REASON_LABELS, Rule


@prepared
def _statements(dialect: str) -> SimpleNamespace:
    daily, tally, users = DailyEarning.__table__, PointsTally.__table__, User.__table__
    # Take up to `wanted` points from today's allowance: the upsert locks the row and
    # last_grant records what this call took (SET sees the old row), so concurrent
    # calls never pass the cap.
    room = bindparam("cap", type_=Integer) - daily.c.earned
    wanted = bindparam("wanted", type_=Integer)
    take = case((room < wanted, room), else_=wanted)
    grant = (
        insert(daily, dialect)
        .values(user_id=bindparam("user_id"), day=bindparam("day"), rule=bindparam("rule"),
                earned=bindparam("first"), last_grant=bindparam("first"))
        .on_conflict_do_update(index_elements=["user_id", "day", "rule"], set_={"last_grant": take, "earned": daily.c.earned + take})
        .returning(daily.c.last_grant)
    )
    move = (
        update(users)
        .where(users.c.id == bindparam("uid"), users.c.points_balance + bindparam("delta", type_=Integer) >= 0)
        .values(points_balance=users.c.points_balance + bindparam("delta", type_=Integer))
        .returning(users.c.points_balance, users.c.org_unit_id)
    )
    upsert = insert(tally, dialect)
    add_to_tally = upsert.on_conflict_do_update(
        index_elements=["user_id", "period"],
        set_={"points": tally.c.points + upsert.excluded.points, "org_unit_id": upsert.excluded.org_unit_id},
    )
    return SimpleNamespace(grant=grant, move=move, entry=PointsEntry.__table__.insert(), tally=add_to_tally)


def credit(user_id: int, rule: Rule, points: int, key: str, note: str = "", now: datetime | None = None) -> int:
    """Pay `points` under `rule` (capped per day), once per idempotency key.

    Runs in the caller's transaction; returns the points actually paid."""
    if points <= 0:
        return 0
    now = now or utcnow()
    today = local_today(now)
    sql = _statements()
    conn = db.session.connection()
    if rule.daily_cap is not None:
        points = conn.execute(sql.grant, {
            "user_id": user_id, "day": today, "rule": rule.name, "cap": rule.daily_cap,
            "wanted": points, "first": min(points, rule.daily_cap),
        }).scalar_one()
        if points <= 0:
            return 0
    balance, org_unit_id = _move_balance(user_id, points)
    # A duplicate key raises IntegrityError and rolls the whole payment back.
    conn.execute(sql.entry, {
        "user_id": user_id, "delta": points, "reason": rule.name, "note": note or REASON_LABELS.get(rule.name, ""),
        "idempotency_key": key, "balance_after": balance, "created_at": now,
    })
    conn.execute(sql.tally, [
        {"user_id": user_id, "period": p, "org_unit_id": org_unit_id, "points": points} for p in period_keys(today).values()
    ])
    return points


def _move_balance(user_id: int, delta: int) -> tuple[int, int | None]:
    row = db.session.connection().execute(_statements().move, {"uid": user_id, "delta": delta}).one_or_none()
    if row is None:
        raise ApiError(409, "insufficient_points", "积分不足。")
    return row[0], row[1]


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
