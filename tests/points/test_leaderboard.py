from datetime import datetime

from points import ledger


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
    assert me.get("/leaderboard?period=year").status_code == 422
