"""Writing to the points ledger: the only way a balance changes."""
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import Integer, bindparam, case, func, select, text, update

from accounts.models import User
from core.errors import ApiError
from core.extensions import db
from core.sql import driver_connection, insert, prepared, values
from core.timeutil import local_midnight_utc, local_today, period_keys, utcnow
from points.models import DailyEarning, PointsEntry, PointsTally
from points.rules import REASON_LABELS, Rule


@prepared
def _statements(dialect: str) -> SimpleNamespace:
    daily, tally, users, entries = DailyEarning.__table__, PointsTally.__table__, User.__table__, PointsEntry.__table__
    # Take up to `wanted` points from today's allowance: the upsert locks the row and
    # last_grant records what this call took (SET sees the old row), so concurrent
    # calls never pass the cap.
    room = bindparam("cap", type_=Integer) - daily.c.earned
    wanted = bindparam("wanted", type_=Integer)
    take = case((room < wanted, room), else_=wanted)
    grant = (
        insert(daily, dialect)
        .values(user_id=bindparam("uid"), day=bindparam("today"), rule=bindparam("rule_name"),
                earned=bindparam("first"), last_grant=bindparam("first"))
        .on_conflict_do_update(index_elements=["user_id", "day", "rule"], set_={"last_grant": take, "earned": daily.c.earned + take})
        .returning(daily.c.last_grant)
    )
    move = (
        update(users).where(users.c.id == bindparam("uid"))
        .values(points_balance=users.c.points_balance + bindparam("delta", type_=Integer))
        .returning(users.c.points_balance, users.c.org_unit_id)
    )
    entry = entries.insert().values(
        user_id=bindparam("uid"), delta=bindparam("points"), reason=bindparam("rule_name"), note=bindparam("why"),
        idempotency_key=bindparam("key"), balance_after=bindparam("balance"), created_at=bindparam("at"),
    )
    upsert = insert(tally, dialect).values([
        {"user_id": bindparam("uid"), "period": bindparam(f"period{i}"), "org_unit_id": bindparam("unit"), "points": bindparam("points")}
        for i in range(3)
    ])
    add_to_tally = upsert.on_conflict_do_update(
        index_elements=["user_id", "period"],
        set_={"points": tally.c.points + upsert.excluded.points, "org_unit_id": upsert.excluded.org_unit_id},
    )
    if dialect == "postgresql":
        return SimpleNamespace(credit=text(f"WITH {CREDIT_CTES} SELECT (SELECT points FROM paid)"))
    return SimpleNamespace(grant=grant, move=move, entry=entry, tally=add_to_tally)


# PostgreSQL pays in one round trip: the capped grant, the balance, the ledger entry and
# the three tallies move together in one statement of data-changing CTEs (SQLite has
# none: it runs the statements above one by one). The parameters are credit_params'.
# quiz_bank.quizzes puts the grading's own writes after these CTEs, so that an answer is
# one statement too; its `paid` is what the answer earned.
CREDIT_CTES = """
granted AS (
    INSERT INTO points_daily (user_id, day, rule, earned, last_grant)
    SELECT :uid, :today, :rule_name, :first, :first WHERE :capped
    ON CONFLICT (user_id, day, rule) DO UPDATE SET
        last_grant = LEAST(:cap - points_daily.earned, :wanted),
        earned = points_daily.earned + LEAST(:cap - points_daily.earned, :wanted)
    RETURNING last_grant
), paid AS (
    SELECT CASE WHEN :capped THEN GREATEST(COALESCE((SELECT last_grant FROM granted), 0), 0) ELSE :wanted END AS points
), moved AS (
    UPDATE app_user SET points_balance = points_balance + paid.points
    FROM paid WHERE app_user.id = :uid AND paid.points > 0
    RETURNING points_balance, org_unit_id, paid.points
), entry AS (
    INSERT INTO points_entry (user_id, delta, reason, note, idempotency_key, balance_after, created_at)
    SELECT :uid, moved.points, :rule_name, :why, :key, moved.points_balance, :at FROM moved
    RETURNING balance_after
), tallied AS (
    INSERT INTO points_tally (user_id, period, org_unit_id, points)
    SELECT :uid, periods.period, moved.org_unit_id, moved.points
    FROM moved, (VALUES (:period0), (:period1), (:period2)) AS periods (period)
    ON CONFLICT (user_id, period)
    DO UPDATE SET points = points_tally.points + excluded.points, org_unit_id = excluded.org_unit_id
)"""


def credit_params(user_id: int, rule: Rule | None, points: int, key: str, note: str, now: datetime, val) -> dict:
    """The parameters of one credit (none: rule None or points 0), for either dialect."""
    today = local_today(now)
    capped = rule is not None and rule.daily_cap is not None and points > 0
    return {
        "uid": user_id, "today": val.day(today), "rule_name": rule.name if rule else "", "capped": capped,
        "cap": rule.daily_cap if capped else 0, "wanted": points if rule else 0,
        "first": min(points, rule.daily_cap) if capped else 0,
        "why": note or (REASON_LABELS.get(rule.name, "") if rule else ""), "key": key, "at": val.time(now),
        **period_params(today),
    }


@lru_cache(maxsize=4)
def period_params(today) -> dict[str, str]:
    return {f"period{i}": p for i, p in enumerate(period_keys(today).values())}


def credit(user_id: int, rule: Rule, points: int, key: str, note: str = "", now: datetime | None = None, conn=None) -> int:
    """Pay `points` under `rule` (capped per day), once per idempotency key.

    Runs in the caller's transaction (`conn`: its driver connection, if the caller has
    it at hand); returns the points actually paid. A hot path: it runs ready-compiled
    SQL (see core.sql.prepared)."""
    if points <= 0:
        return 0
    conn = conn or driver_connection()
    sql, val = _statements(conn), values(conn)
    # A duplicate key raises IntegrityError and rolls the whole payment back.
    params = credit_params(user_id, rule, points, key, note, now or utcnow(), val)
    if hasattr(sql, "credit"):
        return sql.credit(conn, params).fetchone()[0]
    if params["capped"]:
        points = sql.grant(conn, params).fetchone()[0]
        if points <= 0:
            return 0
    balance, org_unit_id = sql.move(conn, {"uid": user_id, "delta": points}).fetchone()
    sql.entry(conn, {**params, "points": points, "balance": balance})
    sql.tally(conn, {**params, "unit": org_unit_id, "points": points})
    return points


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
        raise ApiError(409, "insufficient_points", "积分不足。")
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
