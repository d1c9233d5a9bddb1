"""`flask seed-district`: a district's data in bulk, at a tiny scale."""
from datetime import datetime

from sqlalchemy import func, select

from accounts.models import AdminUser, Cadre, OrgUnit, User
from activities.models import CheckIn, Event
from core.extensions import db
from core.timeutil import from_local, local_today
from learning.models import ReviewCard
from points.models import PointsEntry, PointsTally, Redemption, Reward
from quiz_bank.exams.models import ExamAttempt
from quiz_bank.models import Question, Quiz, QuizItem
from quiz_bank.questions import citation_problem

SCALE = "0.001"  # 500 residents, 1,000 accounts, 5 cadres, 100 questions in the district's bank


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _earned(user_id: int, since: datetime | None = None, until: datetime | None = None) -> int:
    where = [PointsEntry.user_id == user_id, PointsEntry.reason.not_in(("redeem", "refund"))]
    if since is not None:
        where += [PointsEntry.created_at >= since, PointsEntry.created_at < until]
    return db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(*where))


def test_seed_district_builds_towns_people_and_a_year_whose_books_balance(app, api, monkeypatch):
    monkeypatch.setattr("demo.district.BATCH", 3_000)  # several batches, written while the next is made (PostgreSQL)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-district", "--towns", "3", "--residents", "500000", "--scale", SCALE, "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "行/秒" in result.output and "district-admin" in result.output

    # Three towns, each with 10-25 villages and communities and 8-15 departments.
    towns = db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "town")).all()
    assert len(towns) == 3
    for town in towns:
        kinds = dict(db.session.execute(select(OrgUnit.kind, func.count()).where(OrgUnit.parent_id == town.id).group_by(OrgUnit.kind)).all())
        assert 10 <= kinds.get("village", 0) + kinds.get("community", 0) <= 25 and 8 <= kinds["department"] <= 15
        # Towns are tenants: the town, its units, its staff account and its rewards are the town's.
        assert town.town_id == town.id
        assert {u.town_id for u in db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == town.id))} == {town.id}
        assert db.session.scalar(select(func.count()).select_from(AdminUser).where(AdminUser.town_id == town.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(Reward).where(Reward.town_id == town.id)) > 0
    assert db.session.scalar(select(AdminUser.town_id).where(AdminUser.username == "district-admin")) is None

    # 500 residents in units out of 1,000 accounts; 5 cadres bound to users in departments.
    assert _count(User) == 1000
    assert _count(User, User.org_unit_id.is_not(None)) == 500
    bound = db.session.scalars(select(Cadre).where(Cadre.user_id.is_not(None))).all()
    assert len(bound) == 5 and {c.org_unit.kind for c in bound} == {"department"}

    # The district's one bank, shared by its towns as the app shares it: a load copy of each
    # shipped law, 100 questions at this scale (8 a law), marked, active and servable.
    load = db.session.scalars(select(Question).where(Question.stem.like("（压测题）%"))).all()
    assert len({q.category_id for q in load}) == 12 and len(load) == 12 * 8
    assert all(q.status == "active" and not q.exam_only and citation_problem(q.source) is None for q in load)

    # A year of answers: about 20 ledger rows a resident, quizzes and items to match.
    entries = _count(PointsEntry)
    assert 5_000 <= entries <= 20_000
    items, answered = _count(QuizItem), _count(QuizItem, QuizItem.answered_at.is_not(None))
    assert entries < answered <= items and _count(Quiz) * 4 < items
    assert _count(ReviewCard) > 1_000
    assert _count(CheckIn) > 0 and _count(Event, Event.checkin_count > 0) > 0
    assert _count(ExamAttempt) >= 4 and _count(Redemption) > 0

    # The books balance: every balance is its ledger (the points audit passes).
    audit = runner.invoke(args=["points", "audit"])
    assert audit.exit_code == 0 and "核对无误" in audit.output, audit.output

    # The leaderboard's tallies are the ledger: the keenest resident's year, month and all time.
    keen = db.session.scalar(select(PointsTally.user_id).where(PointsTally.period == "all").order_by(PointsTally.points.desc()).limit(1))
    today = local_today()
    year = (from_local(datetime(today.year, 1, 1)), from_local(datetime(today.year + 1, 1, 1)))
    month = (from_local(datetime(today.year, today.month, 1)),
             from_local(datetime(today.year + today.month // 12, today.month % 12 + 1, 1)))
    me = api.as_user(db.session.get(User, keen))
    assert me.get("/leaderboard?period=year").get_json()["me"]["points"] == _earned(keen, *year) > 0
    assert me.get("/leaderboard?period=month").get_json()["me"]["points"] == _earned(keen, *month)
    assert me.get("/leaderboard?period=all").get_json()["me"]["points"] == _earned(keen)
    # And everyone's all-time tally is what they earned.
    earned = dict(db.session.execute(select(PointsEntry.user_id, func.sum(PointsEntry.delta))
                                     .where(PointsEntry.reason.not_in(("redeem", "refund"))).group_by(PointsEntry.user_id)).all())
    assert dict(db.session.execute(select(PointsTally.user_id, PointsTally.points).where(PointsTally.period == "all")).all()) == earned

    # Running it again refuses, and changes nothing.
    again = runner.invoke(args=["seed-district", "--towns", "3", "--scale", SCALE])
    assert again.exit_code != 0 and "已存在" in again.output
    assert _count(User) == 1000 and _count(PointsEntry) == entries


def test_seed_district_refuses_a_year_to_come_and_a_scale_of_nothing(app):
    runner = app.test_cli_runner()
    later = runner.invoke(args=["seed-district", "--scale", SCALE, "--year", str(local_today().year + 1)])
    assert later.exit_code != 0 and "还没有到" in later.output
    nothing = runner.invoke(args=["seed-district", "--scale", "0"])
    assert nothing.exit_code != 0 and "必须大于 0" in nothing.output
    assert _count(OrgUnit) == 0
