from datetime import date, datetime

from sqlalchemy import select, text

from core.extensions import db
from points import ledger
from points.leaderboard import people_board, people_count, points_of, unit_board
from points.models import PointsTally


def _earn(app, user, points, when=None, key=None):
    r = app.config["POINTS_RULES"]["daily_correct"]
    ledger.credit(user.id, r, points, key or f"lb:{user.id}:{points}:{when}", now=when)


def test_town_board_ranks_with_ties_and_shows_me(api, app, make):
    east, west = make.org_unit(name="东湖村"), make.org_unit(name="西岭村")
    a, b, c, d = make.user(org_unit_id=east.id), make.user(org_unit_id=east.id), make.user(org_unit_id=west.id), make.user(org_unit_id=west.id)
    _earn(app, a, 30)
    _earn(app, b, 20)
    _earn(app, c, 20)
    board = api.as_user(c).get("/leaderboard?period=week&scope=town").get_json()
    assert [(row["rank"], row["user"]["id"], row["points"]) for row in board["items"]] == [(1, a.id, 30), (2, b.id, 20), (2, c.id, 20)]
    assert board["items"][0]["user"]["org_unit"]["name"] == "东湖村"
    assert board["me"] == {"rank": 2, "points": 20}
    # No points yet: no rank.
    assert api.as_user(d).get("/leaderboard").get_json()["me"] == {"rank": None, "points": 0}


def test_unit_board_and_moving_unit(api, app, make):
    east, west = make.org_unit(), make.org_unit()
    a, b = make.user(org_unit_id=east.id), make.user(org_unit_id=west.id)
    _earn(app, a, 10)
    _earn(app, b, 50)
    me = api.as_user(a)
    board = me.get("/leaderboard?scope=org_unit").get_json()
    assert [row["user"]["id"] for row in board["items"]] == [a.id] and board["me"]["rank"] == 1
    me.patch("/me", json={"org_unit_id": west.id})
    board = me.get("/leaderboard?scope=org_unit").get_json()
    assert [row["user"]["id"] for row in board["items"]] == [b.id, a.id] and board["me"]["rank"] == 2


def test_periods_week_month_all(api, app, make):
    user = make.user()
    _earn(app, user, 5, when=datetime(2020, 1, 1))
    _earn(app, user, 3)
    me = api.as_user(user)
    assert me.get("/leaderboard?period=all").get_json()["me"]["points"] == 8
    assert me.get("/leaderboard?period=month").get_json()["me"]["points"] == 3
    assert me.get("/leaderboard?period=week").get_json()["me"]["points"] == 3


def test_unit_board_without_unit_and_bad_params(api, make):
    me = api.as_user(make.user())
    r = me.get("/leaderboard?scope=org_unit")
    assert r.status_code == 422 and r.get_json()["code"] == "org_unit_required"
    assert me.get("/leaderboard?period=decade").status_code == 422


def test_the_year_adds_up_its_local_months(api, app, make):
    user, other = make.user(), make.user()
    _earn(app, user, 5, when=datetime(2020, 3, 10, 2, 0))
    # 2019-12-31 17:00 UTC is already New Year's Day in Beijing.
    _earn(app, user, 4, when=datetime(2019, 12, 31, 17, 0))
    _earn(app, user, 7, when=datetime(2019, 12, 31, 15, 0))  # 23:00 in Beijing: still 2019
    _earn(app, other, 8, when=datetime(2020, 11, 2, 3, 0))
    board = people_board("year", day=date(2020, 6, 1))
    assert [(s.rank, s.user_id, s.points) for s in board] == [(1, user.id, 9), (2, other.id, 8)]
    assert [(s.user_id, s.points) for s in people_board("year", day=date(2019, 6, 1))] == [(user.id, 7)]
    # The mini-program asks for this year's the same way.
    _earn(app, other, 2)
    assert api.as_user(other).get("/leaderboard?period=year").get_json()["me"] == {"rank": 1, "points": 2}


def test_a_year_is_one_tally_row_holding_the_sum_of_its_months(app, make):
    """Each paid answer moves the year's row with the week's, month's and all time's, so
    the year board reads one row a person, and it is what the months add up to."""
    village = make.org_unit(name="东湖村")
    user = make.user(org_unit_id=village.id)
    for when, points in ((datetime(2020, 1, 5, 2), 3), (datetime(2020, 6, 1, 2), 4), (datetime(2020, 6, 20, 2), 5),
                         (datetime(2020, 12, 31, 15), 6), (datetime(2020, 12, 31, 17), 9)):  # the last is 2021 in Beijing
        _earn(app, user, points, when=when)
    tallies = dict(db.session.execute(select(PointsTally.period, PointsTally.points).where(PointsTally.user_id == user.id)).all())
    months = sum(points for period, points in tallies.items() if period.startswith("m2020-"))
    assert tallies["y2020"] == months == 18 and tallies["y2021"] == 9
    assert [(s.user_id, s.points) for s in people_board("year", day=date(2020, 3, 1))] == [(user.id, 18)]
    assert points_of(user.id, day=date(2020, 3, 1))["year"] == 18
    assert next(s for s in unit_board("year", day=date(2020, 3, 1)) if s.unit_id == village.id).earners == 1


def test_spending_and_refunds_leave_the_year_board_alone(api, app, make):
    user = make.user()
    _earn(app, user, 30)
    ledger.spend_or_refund(user.id, -20, "redeem", f"redeem:lb:{user.id}")
    ledger.spend_or_refund(user.id, 20, "refund", f"refund:lb:{user.id}")
    assert api.as_user(user).get("/leaderboard?period=year").get_json()["me"] == {"rank": 1, "points": 30}


def test_ranks_carry_over_pages_with_ties(app, make):
    people = [make.user() for _ in range(5)]
    for person, points in zip(people, (50, 40, 40, 40, 10)):
        _earn(app, person, points)
    assert [(s.rank, s.points) for s in people_board("week", limit=2)] == [(1, 50), (2, 40)]
    # The third 40 on the second page still shares rank 2, and the 10 after it is 5th.
    assert [(s.rank, s.points) for s in people_board("week", limit=2, offset=2)] == [(2, 40), (2, 40)]
    assert [(s.rank, s.points) for s in people_board("week", limit=2, offset=4)] == [(5, 10)]
    assert people_count("week") == 5


def test_units_rank_by_their_members_points_and_an_idle_village_comes_last(app, make):
    east, west, idle = make.org_unit(name="东湖村"), make.org_unit(name="西岭村"), make.org_unit(name="南山村")
    office = make.org_unit(name="镇司法所", kind="department")
    a, b, c = make.user(org_unit_id=east.id), make.user(org_unit_id=east.id), make.user(org_unit_id=west.id)
    make.user(org_unit_id=idle.id)
    cadre = make.user(org_unit_id=office.id)
    _earn(app, a, 10)
    _earn(app, b, 15)
    _earn(app, c, 30)
    _earn(app, cadre, 100)
    _earn(app, a, 50, when=datetime(2020, 1, 1))  # another year, another week
    board = [s for s in unit_board("week", kinds=("village",)) if s.unit_id in (east.id, west.id, idle.id)]
    assert [(s.name, s.points, s.earners, s.members) for s in board] == [("西岭村", 30, 1, 1), ("东湖村", 25, 2, 2), ("南山村", 0, 0, 1)]
    assert board[0].rank < board[1].rank < board[2].rank
    assert office.id not in [s.unit_id for s in unit_board("week", kinds=("village",))]
    assert next(s for s in unit_board("all") if s.unit_id == east.id).points == 75


def test_a_towns_unit_board_is_its_units_with_their_own_members_and_points(app, make):
    a, b = make.town(name="东湖镇"), make.town(name="西岭镇")
    ours, idle, theirs = make.org_unit(name="东湖村", town=a), make.org_unit(name="东山村", town=a), make.org_unit(name="西岭村", town=b)
    anna, amy, bo = make.user(org_unit_id=ours.id), make.user(org_unit_id=ours.id), make.user(org_unit_id=theirs.id)
    make.user(org_unit_id=idle.id)
    nobody = make.user()
    for person, points in ((anna, 10), (amy, 5), (bo, 40), (nobody, 90)):
        _earn(app, person, points)
    board = unit_board("week", kinds=("village",), town_id=a.id)
    assert [(s.rank, s.name, s.points, s.earners, s.members) for s in board] == [(1, "东湖村", 15, 2, 2), (2, "东山村", 0, 0, 1)]
    assert [(s.name, s.points, s.members) for s in unit_board("week", town_id=b.id)] == [("西岭村", 40, 1), ("西岭镇", 0, 0)]


def test_a_towns_board_is_planned_for_its_town_at_every_run(app, make):
    """PostgreSQL: psycopg prepares a statement from its fifth run on a connection, and a
    generic plan cannot know how many of a period's rows a town holds (a district's town
    top 50 read 16,004 rows through the town index: 239 ms against 1.8). Every run of a
    prepared statement is planned for its parameters instead. SQLite plans every
    statement afresh."""
    a, b = make.town(name="东湖镇"), make.town(name="西岭镇")
    ours, theirs = make.org_unit(name="东湖村", town=a), make.org_unit(name="西岭村", town=b)
    for unit, points in ((ours, 10), (ours, 5), (theirs, 40)):
        _earn(app, make.user(org_unit_id=unit.id), points)
    # psycopg prepares from the fifth run; PostgreSQL weighs a generic plan from the sixth run of a prepared statement.
    for _ in range(14):
        assert [s.points for s in people_board("week", town_id=a.id)] == [10, 5]
        assert people_count("week", town_id=b.id) == 1
    if db.engine.dialect.name == "postgresql":
        plans = db.session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM points_tally%'")).all()
        assert plans and all(generic == 0 and custom >= 9 for generic, custom in plans), plans
