"""Leaderboards read the per-period tallies kept by the ledger, never the ledger itself."""
from sqlalchemy import func, select

from accounts.models import OrgUnit, User
from core.domain_errors import Invalid
from core.extensions import db
from core.timeutil import local_today, period_keys
from points.models import PointsTally

PERIODS = ("week", "month", "all")
SCOPES = ("town", "org_unit")


def leaderboard(user: User, period: str, scope: str, limit: int = 50) -> dict:
    key = period_keys(local_today())[period]
    where = [PointsTally.period == key, PointsTally.points > 0]
    if scope == "org_unit":
        if user.org_unit_id is None:
            raise Invalid("请先在个人资料中选择所在村、社区或单位。", {"scope": ["未设置所在单位。"]}, code="org_unit_required")
        where.append(PointsTally.org_unit_id == user.org_unit_id)
    rows = db.session.execute(
        select(PointsTally.points, User.id, User.nickname, User.avatar_url, OrgUnit.id, OrgUnit.name)
        .join(User, User.id == PointsTally.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(*where)
        .order_by(PointsTally.points.desc(), PointsTally.user_id)
        .limit(limit)
    ).all()
    items, rank, previous = [], 0, None
    for position, (points, uid, nickname, avatar, unit_id, unit_name) in enumerate(rows, start=1):
        if points != previous:  # equal points share a rank
            rank, previous = position, points
        items.append({
            "rank": rank, "points": points,
            "user": {"id": uid, "nickname": nickname, "avatar_url": avatar,
                     "org_unit": {"id": unit_id, "name": unit_name} if unit_id else None},
        })
    mine = db.session.scalar(select(PointsTally.points).where(PointsTally.user_id == user.id, PointsTally.period == key)) or 0
    ahead = db.session.scalar(select(func.count()).select_from(PointsTally).where(*where, PointsTally.points > mine))
    return {"period": period, "scope": scope, "items": items, "me": {"rank": ahead + 1 if mine else None, "points": mine}}
