"""Towns are tenants (accounts.tenancy): every unit has a town, every row that hangs on a
unit belongs to that town, and the mini-program shows a person their town's board,
events and rewards. A deployment of one town behaves as it did before towns existed."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts import tenancy
from accounts.models import Cadre, OrgUnit, User
from activities.models import Event
from core.extensions import db
from core.timeutil import utcnow
from points import ledger, rewards
from points.models import DailyEarning, Redemption, Reward
from quiz_bank.exams.models import Exam
from quiz_bank.models import Question
from reports.figures import by_town, year_figures


def _earn(app, user, points, when=None):
    ledger.credit(user.id, app.config["POINTS_RULES"]["daily_correct"], points, f"tenancy:{user.id}:{points}", now=when)


def _two_towns(make):
    a, b = make.town(name="东湖镇"), make.town(name="西岭镇")
    units = {"a": make.org_unit(name="东湖村", town=a), "b": make.org_unit(name="西岭村", town=b),
             "a_dept": make.org_unit(name="东湖司法所", kind="department", town=a),
             "b_dept": make.org_unit(name="西岭司法所", kind="department", town=b)}
    return a, b, units


def _ids(model, town_id):
    return set(db.session.scalars(tenancy.scope(select(model.id), model, town_id)))


def test_a_unit_takes_its_town_from_its_parent_and_a_town_is_its_own():
    town = OrgUnit(name="东湖镇", kind="town")
    village = OrgUnit(name="东湖村", kind="village", parent=town)
    db.session.add_all([town, village])
    db.session.flush()
    later = OrgUnit(name="南山村", kind="village", parent_id=town.id)
    db.session.add(later)
    db.session.flush()
    assert town.town_id == town.id and village.town_id == town.id and later.town_id == town.id


def test_a_unit_without_a_parent_goes_to_the_only_town_and_is_refused_among_several(make):
    only = make.town(name="东湖镇")
    orphan = OrgUnit(name="无主村", kind="village")
    db.session.add(orphan)
    db.session.flush()
    assert orphan.town_id == only.id and orphan.parent_id == only.id
    make.town(name="西岭镇")
    with pytest.raises(ValueError, match="须属于某个镇"):
        with db.session.begin_nested():
            db.session.add(OrgUnit(name="另一个无主村", kind="village"))
            db.session.flush()


def test_each_kind_of_row_belongs_to_its_units_town(make):
    a, b, u = _two_towns(make)
    anna, bo = make.user(org_unit_id=u["a"].id), make.user(org_unit_id=u["b"].id)
    nobody = make.user()  # chose no unit: no town's
    cadre_a, cadre_b = make.cadre(org_unit=u["a_dept"]), make.cadre(org_unit=u["b_dept"])
    event_a, event_b = make.event(org_unit=u["a_dept"]), make.event(org_unit=u["b_dept"])
    reward_a, reward_b, everywhere = make.reward(town_id=a.id), make.reward(town_id=b.id), make.reward()
    assert _ids(User, a.id) == {anna.id} and _ids(User, b.id) == {bo.id}
    assert nobody.id in _ids(User, None)
    assert _ids(Cadre, a.id) == {cadre_a.id} and _ids(Event, b.id) == {event_b.id} and event_a.id not in _ids(Event, b.id)
    assert _ids(Reward, a.id) == {reward_a.id}  # a district-wide reward is the district's to manage
    assert {reward_a.id, reward_b.id, everywhere.id} <= _ids(Reward, None)
    assert _ids(OrgUnit, a.id) == {a.id, u["a"].id, u["a_dept"].id}


def test_an_exam_is_a_towns_only_when_all_it_reaches_is_in_that_town(make):
    a, b, u = _two_towns(make)
    ours = make.exam(assign_all=False, units=[u["a_dept"]])
    named = make.exam(assign_all=False, cadres=[make.cadre(org_unit=u["a"])])
    spanning = make.exam(assign_all=False, units=[u["a_dept"], u["b_dept"]])
    everyone = make.exam(assign_all=True)
    new_leaders = make.exam(assign_all=False, assign_new_leaders=True, units=[u["a_dept"]])
    assert _ids(Exam, a.id) == {ours.id, named.id}
    assert _ids(Exam, b.id) == set()
    assert {spanning.id, everyone.id, new_leaders.id} <= _ids(Exam, None)


def test_with_one_town_the_district_wide_rows_are_the_towns(make):
    """A township made its town's by the migration towns_are_tenants keeps seeing everything it saw."""
    town = make.default_town()
    nobody, exam, reward = make.user(), make.exam(assign_all=True), make.reward()
    assert nobody.id in _ids(User, town.id) and exam.id in _ids(Exam, town.id) and reward.id in _ids(Reward, town.id)


def test_among_several_towns_a_towns_people_are_read_from_its_units_index_entries_alone(make):
    """A district's million people hold half a million who chose no unit: counting one
    town's may read the index entries of its units, never every person's."""
    a, b, u = _two_towns(make)
    for unit in (u["a"], u["b"], None):
        make.user(org_unit_id=unit.id if unit else None)
    compiled = select(func.count()).select_from(User).where(tenancy.condition(User, a.id)).compile(
        dialect=db.session.get_bind().dialect)
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        plan = [row[-1] for row in conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[k] for k in compiled.positiontup))]
        assert [p for p in plan if "app_user" in p] == [
            "SEARCH app_user USING COVERING INDEX ix_app_user_org_unit_id (org_unit_id=?)"], plan
    else:  # on a test's few rows PostgreSQL would rather read the table: ask whether it could do without
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        assert "Index Cond: (org_unit_id = ANY" in plan and "IS NULL" not in plan, plan
    assert db.session.scalar(select(func.count()).select_from(User).where(tenancy.condition(User, a.id))) == 1


def test_redemptions_go_with_the_rewards_town(make):
    a, b, u = _two_towns(make)
    person = make.rich_user(100, org_unit_id=u["a"].id)
    mine = rewards.redeem(person.id, make.reward(town_id=a.id, cost=5).id)
    district = rewards.redeem(person.id, make.reward(cost=5).id)
    assert _ids(Redemption, a.id) == {mine.id} and _ids(Redemption, b.id) == set()
    assert {mine.id, district.id} <= _ids(Redemption, None)


def test_the_town_board_is_the_persons_town(api, app, make):
    a, b, u = _two_towns(make)
    anna, amy = make.user(org_unit_id=u["a"].id), make.user(org_unit_id=u["a_dept"].id)
    bo, nobody = make.user(org_unit_id=u["b"].id), make.user()
    for person, points in ((anna, 30), (amy, 10), (bo, 50), (nobody, 5)):
        _earn(app, person, points)
    board = api.as_user(amy).get("/leaderboard?period=week&scope=town").get_json()
    assert [(row["rank"], row["user"]["id"]) for row in board["items"]] == [(1, anna.id), (2, amy.id)]
    assert board["me"] == {"rank": 2, "points": 10}
    # Someone with no unit sees the whole district's board.
    whole = api.as_user(nobody).get("/leaderboard?period=week&scope=town").get_json()
    assert [row["user"]["id"] for row in whole["items"]] == [bo.id, anna.id, amy.id, nobody.id]
    assert whole["me"]["rank"] == 4


def test_in_a_township_people_without_a_unit_stay_on_the_town_board(api, app, make):
    village = make.org_unit()
    anna, nobody = make.user(org_unit_id=village.id), make.user()
    _earn(app, anna, 20)
    _earn(app, nobody, 10)
    board = api.as_user(anna).get("/leaderboard?period=week&scope=town").get_json()
    assert [row["user"]["id"] for row in board["items"]] == [anna.id, nobody.id]


def test_events_listed_are_the_persons_towns(api, make):
    a, b, u = _two_towns(make)
    ours, theirs = make.event(org_unit=u["a_dept"], title="东湖普法"), make.event(org_unit=u["b_dept"], title="西岭普法")
    listed = api.as_user(make.user(org_unit_id=u["a"].id)).get("/events").get_json()
    assert [e["id"] for e in listed["items"]] == [ours.id] and listed["total"] == 1
    everything = api.as_user(make.user()).get("/events").get_json()
    assert {ours.id, theirs.id} <= {e["id"] for e in everything["items"]}


def test_rewards_on_offer_are_the_towns_and_the_districts_and_no_other_towns(api, make):
    a, b, u = _two_towns(make)
    ours, theirs, everywhere = make.reward(town_id=a.id, name="东湖雨伞"), make.reward(town_id=b.id, name="西岭毛巾"), make.reward(name="全区读本")
    person = make.rich_user(100, org_unit_id=u["a"].id)
    me = api.as_user(person)
    assert {r["id"] for r in me.get("/rewards").get_json()["items"]} == {ours.id, everywhere.id}
    refused = me.post("/redemptions", json={"reward_id": theirs.id})
    assert refused.status_code == 404
    assert me.post("/redemptions", json={"reward_id": ours.id}).status_code == 201
    nobody = api.as_user(make.rich_user(100))
    assert {r["id"] for r in nobody.get("/rewards").get_json()["items"]} == {everywhere.id}


def test_a_towns_year_figures_and_the_figures_by_town(app, make):
    a, b, u = _two_towns(make)
    now = utcnow()
    year = now.year - 1  # a whole year gone by
    start = datetime(year, 6, 1, 2)
    held_a = make.event(org_unit=u["a_dept"], starts_at=start, ends_at=start + timedelta(hours=2))
    make.event(org_unit=u["b_dept"], starts_at=start, ends_at=start + timedelta(hours=2))
    make.event(org_unit=u["b_dept"], starts_at=start + timedelta(hours=3), ends_at=start + timedelta(hours=5))
    anna, bo = make.user(org_unit_id=u["a"].id), make.user(org_unit_id=u["b"].id)
    _earn(app, anna, 7, start)
    _earn(app, bo, 11, start)
    mine = year_figures(year, now, a.id)
    assert mine["events"]["held"] == 1 and mine["events"]["by_organiser"][0]["unit_id"] == held_a.org_unit_id
    assert mine["points"]["issued"] == 7
    district = year_figures(year, now)
    assert district["events"]["held"] == 3 and district["points"]["issued"] == 18
    rows = {r["town"]: r for r in by_town(year, now)}
    assert rows["东湖镇"]["events"] == 1 and rows["西岭镇"]["events"] == 2
    assert rows["东湖镇"]["issued"] == 7 and rows["西岭镇"]["issued"] == 11


def test_a_town_admin_may_only_keep_accounts_of_their_town(make):
    a, b, _ = _two_towns(make)
    town_admin, district_admin = make.admin(town_id=a.id), make.admin()
    tenancy.check_account_change(town_admin, a.id)
    for target in (None, b.id):
        with pytest.raises(tenancy.NotYours):
            tenancy.check_account_change(town_admin, target)
    tenancy.check_account_change(district_admin, None)
    tenancy.check_account_change(district_admin, b.id)
    with pytest.raises(tenancy.NotYours):  # a village is no town
        tenancy.check_account_change(district_admin, make.org_unit(town=a).id)


def test_a_towns_reports_send_the_statements_the_districts_do(app, make, count_queries):
    """The town is a condition inside each statement, never a statement more a row. Only
    whether it is the only town is asked beforehand, once for each condition on its people
    (tenancy.people_of)."""
    from points import books
    from reports.dashboard import year_at_a_glance

    a, b, u = _two_towns(make)
    for key in ("a", "b", "a_dept", "b_dept"):
        _earn(app, make.user(org_unit_id=u[key].id), 5)
        make.event(org_unit=u["a_dept" if key.startswith("a") else "b_dept"])
    now = utcnow()
    only_town = str(select(tenancy.only_town(a.id)).compile(dialect=db.session.get_bind().dialect))
    counts = []
    for town_id in (None, a.id):
        with count_queries() as sql:
            year_figures(now.year, now, town_id)
            year_at_a_glance(now.year, now, town_id)
            books.monthly_points(now.year, town_id)
            books.totals(town_id)
        counts.append(len([s for s in sql if s != only_town]))
    # The district of several towns asks for its towns and counts two figures by town in
    # each year_figures (reports.figures._by_towns), which year_at_a_glance calls again.
    assert counts[0] == counts[1] + 2 * 3
    with count_queries() as sql:
        by_town(now.year, now)
    assert len(sql) == 6


def test_the_units_to_choose_from_carry_their_town(api, make):
    a, b, u = _two_towns(make)
    units = {row["name"]: row for row in api.as_user(make.user()).get("/org-units").get_json()}
    assert units["东湖村"]["town_id"] == a.id and units["西岭司法所"]["town_id"] == b.id and units["西岭镇"]["town_id"] == b.id


def test_a_model_neither_a_towns_nor_shared_is_refused_not_shown_whole(make):
    """Fail closed: a model with no rule here (a person's daily points, say) raises for
    whoever asks, instead of handing a town's staff every town's rows."""
    a, b, u = _two_towns(make)
    for town_id in (a.id, None):
        with pytest.raises(LookupError, match="DailyEarning"):
            tenancy.scope(select(DailyEarning), DailyEarning, town_id)
        with pytest.raises(LookupError):
            tenancy.has_town(DailyEarning)
    question = make.question()
    assert question.id in _ids(Question, a.id)  # the question bank is shared on purpose


def test_every_town_table_has_its_condition_and_no_table_is_both():
    tables = {m.class_.__tablename__: m.class_ for m in db.Model.registry.mappers}
    assert tenancy.TOWN_TABLES <= tables.keys() and tenancy.SHARED_TABLES <= tables.keys()
    assert not tenancy.TOWN_TABLES & tenancy.SHARED_TABLES
    for name in tenancy.TOWN_TABLES:
        assert tenancy.has_town(tables[name])
        tenancy.condition(tables[name], 1)  # raises LookupError for a table `condition` forgot
