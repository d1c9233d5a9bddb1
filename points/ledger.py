"""Writing to the points ledger: the only way a balance changes."""
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Integer, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from accounts.models import User
from core.domain_errors import Conflict
from core.extensions import db
from core.sql import insert
from core.timeutil import local_midnight_utc, local_today, period_keys, utcnow
from points.models import DailyEarning, PointsEntry, PointsTally
from points.rules import REASON_LABELS, Rule


_daily, _users, _entries, _tallies = DailyEarning.__table__, User.__table__, PointsEntry.__table__, PointsTally.__table__
# Statements built once, values bound per call: building a statement costs more than
# running it. Table statements: the session may hold the person, whose balance simply
# expires when the unit commits.
_MOVE = (
    update(_users).where(_users.c.id == bindparam("uid"))
    .values(points_balance=_users.c.points_balance + bindparam("points", type_=Integer))
    .returning(_users.c.points_balance, _users.c.org_unit_id)
)
_ENTRY = _entries.insert().values(
    user_id=bindparam("uid"), delta=bindparam("points"), reason=bindparam("rule"), note=bindparam("why"),
    idempotency_key=bindparam("key"), balance_after=bindparam("balance"), created_at=bindparam("at"),
)


def _upserts(dialect_insert) -> SimpleNamespace:
    """The two upserts, in a dialect's spelling of INSERT … ON CONFLICT."""
    room = bindparam("cap", type_=Integer) - _daily.c.earned
    wanted = bindparam("wanted", type_=Integer)
    take = case((room < wanted, room), else_=wanted)
    grant = dialect_insert(_daily).values(user_id=bindparam("uid"), day=bindparam("today"), rule=bindparam("rule"),
                                  earned=bindparam("first"), last_grant=bindparam("first"))
    tally = dialect_insert(_tallies).values(user_id=bindparam("uid"), period=bindparam("period"), org_unit_id=bindparam("unit"),
                                            points=bindparam("points"))
    return SimpleNamespace(
        # The allowance's row is locked by the upsert; last_grant records what this call
        # took (SET sees the old row), so concurrent calls never pass the cap.
        grant=grant.on_conflict_do_update(index_elements=["user_id", "day", "rule"],
                                          set_={"last_grant": take, "earned": _daily.c.earned + take}).returning(_daily.c.last_grant),
        tally=tally.on_conflict_do_update(index_elements=["user_id", "period"],
                                          set_={"points": _tallies.c.points + tally.excluded.points, "org_unit_id": tally.excluded.org_unit_id}),
    )


_UPSERTS = {"sqlite": _upserts(sqlite.insert), "postgresql": _upserts(postgresql.insert)}


def credit(user_id: int, rule: Rule | None, points: int, key: str, note: str = "", now: datetime | None = None) -> int:
    """Pay `points` under `rule` (capped per day when the rule has a cap), once per
    idempotency key, in the caller's unit of work; returns the points actually paid.
    The leaderboards' tallies of the day's week, month, year and all time move in one
    statement. A duplicate key raises IntegrityError and rolls the whole payment back."""
    if points <= 0 or rule is None:
        return 0
    now = now or utcnow()
    today = local_today(now)
    conn = db.session.connection()
    upserts = _UPSERTS[conn.dialect.name]
    if rule.daily_cap is not None:
        points = conn.execute(upserts.grant, {"uid": user_id, "today": today, "rule": rule.name, "cap": rule.daily_cap,
                                              "wanted": points, "first": min(points, rule.daily_cap)}).scalar_one()
        if points <= 0:
            return 0
    balance, unit = conn.execute(_MOVE, {"uid": user_id, "points": points}).one()
    conn.execute(_ENTRY, {"uid": user_id, "points": points, "rule": rule.name, "why": note or REASON_LABELS.get(rule.name, ""),
                          "key": key, "balance": balance, "at": now})
    conn.execute(upserts.tally, [{"uid": user_id, "unit": unit, "points": points, "period": period}
                                 for period in period_keys(today).values()])
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
