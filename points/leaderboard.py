"""Leaderboards read the per-period tallies kept by the ledger, never the ledger itself.

The one rule, for the mini-program and the panel alike: a person's points in a period
are what they earned in it (spending does not lower them); people with no points are
not ranked; the order is points, most first, then who joined first (the user id); equal
points share a rank. A week, a month, a year and all time are each one tally row a person,
so every board reads one row a person from the board's index.
A unit's points are the sum of its members' (tallies follow a person who moves unit).
A town's board (`town_id`) is its people's, as accounts.tenancy.people_of says."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal, select

from accounts import tenancy
from accounts.models import OrgUnit, User
from core.domain_errors import Invalid
from core.extensions import db
from core.sql import in_ids, planned_for_parameters
from core.timeutil import local_today, period_keys
from points.models import PointsTally

PERIODS = ("week", "month", "year", "all")
PERIOD_LABELS = {"week": "本周", "month": "本月", "year": "本年", "all": "总榜"}
SCOPES = ("town", "org_unit")


def tally_key(period: str, day: date) -> str:
    """The tally a board of `period` reads, for the period holding `day` (local)."""
    return period_keys(day)[period]


def _standings(key: str, unit_id: int | None, town_id: int | None = None):
    """(user_id, points) of everyone with points in the tally `key`, in `unit_id` and
    `town_id` if given: one row a person, read in order straight from the board's index."""
    where = [PointsTally.org_unit_id == unit_id] if unit_id is not None else []
    if town_id is not None:
        where.append(tenancy.people_of(town_id, PointsTally.org_unit_id))
    return select(PointsTally.user_id.label("user_id"), PointsTally.points.label("points")).where(
        PointsTally.period == key, PointsTally.points > 0, *where)


def _ahead_of(key: str, unit_id: int | None, points: int, town_id: int | None = None) -> int:
    """How many people have more than `points`: one less than the rank of whoever has them."""
    standings = _standings(key, unit_id, town_id).subquery()
    return db.session.scalar(select(func.count()).select_from(standings).where(standings.c.points > points))


def _ranks(points: list[int], first_rank: int) -> list[int]:
    """Ranks of points in descending order, equal points sharing one, the first at `first_rank`."""
    ranks, rank, previous = [], first_rank, None
    for position, value in enumerate(points):
        if previous is not None and value != previous:
            rank = first_rank + position
        ranks.append(rank)
        previous = value
    return ranks


@dataclass(frozen=True)
class Standing:
    rank: int
    points: int
    user_id: int
    nickname: str
    real_name: str
    avatar_url: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str | None


def people_board(period: str, unit_id: int | None = None, limit: int = 50, offset: int = 0,
                 day: date | None = None, town_id: int | None = None) -> list[Standing]:
    """People ranked over `period` (the one holding `day`, by default today): everyone, a
    town's people or one unit's members; `limit` rows from `offset`. Two statements (one
    from the top), on PostgreSQL after core.sql.planned_for_parameters' setting."""
    key = tally_key(period, day or local_today())
    planned_for_parameters()  # a town's rows or the board's top: only its parameters tell
    standings = _standings(key, unit_id, town_id).subquery()
    rows = db.session.execute(
        select(standings.c.points, User.id, User.nickname, User.real_name, User.avatar_url, OrgUnit.id, OrgUnit.name, OrgUnit.kind)
        .join(User, User.id == standings.c.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .order_by(standings.c.points.desc(), standings.c.user_id)
        .limit(limit).offset(offset)
    ).all()
    if not rows:
        return []
    # Someone further up may have the first row's points: the rank is counted, not the position.
    first = offset + 1 if offset == 0 else _ahead_of(key, unit_id, rows[0][0], town_id) + 1
    return [Standing(rank, *row) for rank, row in zip(_ranks([r[0] for r in rows], first), rows)]


def people_count(period: str, unit_id: int | None = None, day: date | None = None, town_id: int | None = None) -> int:
    """How many people the board of `period` ranks."""
    planned_for_parameters()
    standings = _standings(tally_key(period, day or local_today()), unit_id, town_id).subquery()
    return db.session.scalar(select(func.count()).select_from(standings))


def points_of(user_id: int, periods=PERIODS, day: date | None = None) -> dict[str, int]:
    """One person's points on each board of `periods`, in one statement."""
    day = day or local_today()
    keys = {period: tally_key(period, day) for period in periods}
    rows = dict(db.session.execute(select(PointsTally.period, PointsTally.points).where(
        PointsTally.user_id == user_id, PointsTally.period.in_(set(keys.values())))).all())
    return {period: rows.get(key, 0) for period, key in keys.items()}


def rank_of(user_id: int, period: str, unit_id: int | None = None, day: date | None = None,
            town_id: int | None = None) -> dict:
    """{"rank", "points"} of one person on a board; rank None without points."""
    day = day or local_today()
    planned_for_parameters()
    mine = points_of(user_id, (period,), day)[period]
    return {"rank": _ahead_of(tally_key(period, day), unit_id, mine, town_id) + 1 if mine else None, "points": mine}


@dataclass(frozen=True)
class UnitStanding:
    rank: int
    points: int
    unit_id: int
    name: str
    kind: str
    earners: int  # members with points in the period
    members: int  # members registered now


def unit_board(period: str, kinds: tuple[str, ...] | None = None, day: date | None = None,
               town_id: int | None = None) -> list[UnitStanding]:
    """Every unit (of `kinds` and `town_id`, if given) ranked by its members' points over
    `period`, by the same rule; a unit nobody earned in ranks last with 0. One statement
    (and the plan setting on PostgreSQL)."""
    key = tally_key(period, day or local_today())
    planned_for_parameters()

    def in_town(unit_column) -> list:  # a town's board sums its own units' rows, not the whole district's
        return [] if town_id is None else [in_ids(unit_column, tenancy.units_of(town_id))]

    earned = (select(PointsTally.org_unit_id.label("unit_id"), func.sum(PointsTally.points).label("points"),
                     func.count().label("earners"))  # one row a person
              .where(PointsTally.period == key, PointsTally.points > 0, *in_town(PointsTally.org_unit_id))
              .group_by(PointsTally.org_unit_id).subquery())
    members = (select(User.org_unit_id.label("unit_id"), func.count().label("members"))
               .where(User.org_unit_id.is_not(None), *in_town(User.org_unit_id)).group_by(User.org_unit_id).subquery())
    points = func.coalesce(earned.c.points, literal(0))
    query = (select(points, OrgUnit.id, OrgUnit.name, OrgUnit.kind, func.coalesce(earned.c.earners, 0),
                    func.coalesce(members.c.members, 0))
             .outerjoin(earned, earned.c.unit_id == OrgUnit.id).outerjoin(members, members.c.unit_id == OrgUnit.id)
             .order_by(points.desc(), OrgUnit.id))
    if kinds:
        query = query.where(OrgUnit.kind.in_(kinds))
    if town_id is not None:
        query = query.where(OrgUnit.town_id == town_id)
    rows = db.session.execute(query).all()
    return [UnitStanding(rank, *row) for rank, row in zip(_ranks([r[0] for r in rows], 1), rows)]


def leaderboard(user: User, period: str, scope: str, limit: int = 50) -> dict:
    """The mini-program's board: the person's town's (the whole district's for a person
    with no unit) or their own unit's, and where they stand."""
    unit_id, town_id = None, tenancy.person_town(user)
    if scope == "org_unit":
        if user.org_unit_id is None:
            raise Invalid("请先在个人资料中选择所在村、社区或单位。", {"scope": ["未设置所在单位。"]}, code="org_unit_required")
        unit_id, town_id = user.org_unit_id, None
    items = [
        {"rank": s.rank, "points": s.points,
         "user": {"id": s.user_id, "nickname": s.nickname, "avatar_url": s.avatar_url,
                  "org_unit": {"id": s.unit_id, "name": s.unit_name} if s.unit_id else None}}
        for s in people_board(period, unit_id, limit, town_id=town_id)
    ]
    return {"period": period, "scope": scope, "items": items, "me": rank_of(user.id, period, unit_id, town_id=town_id)}
