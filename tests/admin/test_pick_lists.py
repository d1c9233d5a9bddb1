"""The panel's pick lists (select fields, ajax look-ups) offer a town's staff only their
town's rows, kept to the town in the statement (accounts.tenancy.scope): another town's
rows are neither offered nor read."""
from contextlib import contextmanager

import pytest
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_login import login_user
from sqlalchemy import event, select

from accounts.models import AdminUser, Cadre, OrgUnit, User
from core.extensions import db
from points import ledger, rewards
from points.models import Redemption, Reward
from tests.admin.conftest import login


@pytest.fixture
def west(app, make):
    """Two towns, each with units, a cadre, a resident who redeemed its reward and an admin;
    returns the east town's admin and the (model, id) of every row of the west town."""
    rows, staff = {}, {}
    for name in ("东湖", "西岭"):
        town = make.town(name=f"{name}镇")
        village, dept = make.org_unit(name=f"{name}村", town=town), make.org_unit(name=f"{name}司法所", kind="department", town=town)
        person = make.user(real_name=f"{name}居民", org_unit_id=village.id)
        ledger.credit(person.id, app.config["POINTS_RULES"]["daily_correct"], 40, f"pick-lists:{person.id}")
        reward = make.reward(name=f"{name}雨伞", cost=10, town_id=town.id)
        redemption = rewards.redeem(person.id, reward.id)
        cadre = make.cadre(name=f"{name}干部", org_unit=dept)
        staff[name] = make.admin("admin", username=f"{name}管理员", town_id=town.id)
        rows[name] = {(OrgUnit, town.id), (OrgUnit, village.id), (OrgUnit, dept.id), (User, person.id), (Reward, reward.id),
                      (Redemption, redemption.id), (Cadre, cadre.id), (AdminUser, staff[name].id)}
    db.session.flush()
    return staff["东湖"], rows["西岭"]


@contextmanager
def _rows_loaded():
    """(model, id) of every row loaded from the database while the block runs."""
    read = []

    def loaded(obj, context):
        read.append((type(obj), obj.id))

    event.listen(db.Model, "load", loaded, propagate=True)
    try:
        yield read
    finally:
        event.remove(db.Model, "load", loaded)


def _pick_lists(app):
    for view in app.extensions["admin"][0]._views:
        if isinstance(view, ModelView):
            for field in view.create_form():
                if isinstance(field, QuerySelectField):
                    yield (view.endpoint, field.name), field


def test_no_pick_list_offers_or_reads_another_towns_rows(app, make, west):
    east_admin, west_rows = west
    district = make.admin("admin", username="区管理员").id
    with app.test_request_context("/admin/"):
        login_user(db.session.get(AdminUser, east_admin.id))
        for where, field in _pick_lists(app):
            db.session.expunge_all()  # every row the list reads is loaded anew
            with _rows_loaded() as read:
                choices = {(type(obj), obj.id) for obj in (choice for _, choice in field._get_object_list())}
            assert not choices & west_rows, where
            assert not set(read) & west_rows, where  # kept to the town in SQL, not after loading
        units = dict(_pick_lists(app))["events", "org_unit"]
        assert {obj.name for _, obj in units._get_object_list()} == {"东湖镇", "东湖村", "东湖司法所"}
        # District staff are offered every town's units, each named with its town.
        login_user(db.session.get(AdminUser, district))
        units = dict(_pick_lists(app))["events", "org_unit"]
        assert {"东湖镇·东湖司法所", "西岭镇·西岭司法所"} <= {units.get_label(obj) for _, obj in units._get_object_list()}


def _look_up(panel, query: str, **args) -> list[str]:
    """The labels the exam form's 指定人员 box offers for what the clerk typed."""
    found = panel.get("/admin/exams/ajax/lookup/", query_string={"name": "cadres", "query": query, **args})
    assert found.status_code == 200
    return [label for _, label in found.get_json()]


def _tail(name: str) -> str:
    return db.session.scalar(select(Cadre.phone).where(Cadre.name == name))[-4:]


def test_an_ajax_pick_list_finds_and_takes_only_the_towns_cadres(app, panel, west, count_queries):
    east_admin, west_rows = west
    west_cadre = next(i for model, i in west_rows if model is Cadre)
    login(panel, east_admin)
    assert _look_up(panel, "干部") == [f"东湖干部（东湖司法所，尾号{_tail('东湖干部')}）"]
    loader = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "exams")._form_ajax_refs["cadres"]
    with app.test_request_context("/admin/"):
        login_user(db.session.get(AdminUser, east_admin.id))
        own = loader.get_list("东湖")[0]
        assert loader.get_one(str(own.id)) is own
        db.session.expunge_all()
        with count_queries() as statements:
            assert loader.get_one(str(west_cadre)) is None
        # One statement, with the town in it: the row is not read first and refused after.
        assert len(statements) == 1 and "org_unit" in statements[0], statements


def test_district_staff_find_cadres_named_with_their_town(panel, make, west):
    """Every town has its 司法所: district staff see whose a cadre is."""
    login(panel, make.admin("admin", username="区管理员"))
    assert _look_up(panel, "干部") == [f"东湖干部（东湖镇·东湖司法所，尾号{_tail('东湖干部')}）",
                                       f"西岭干部（西岭镇·西岭司法所，尾号{_tail('西岭干部')}）"]


def test_the_cadre_look_up_answers_one_page_whatever_is_asked(panel, make, west, count_queries):
    """A look-up answers a page of at most 20, by name, whatever `limit` the request asks,
    in the same statements however many cadres match; namesakes are told apart by phone."""
    east_admin, _ = west
    east = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "东湖镇"))
    units = [make.org_unit(name=f"东湖{n}村", town=east) for n in range(6)]
    for n in (17, 3, 29, 11, 0, 24, 8, 21, 14, 5, 27, 1, 19, 9, 26, 12, 2, 23, 6, 15, 28, 4, 18, 10, 25, 7, 20, 13, 22, 16):
        make.cadre(name=f"王伟{n:02d}", org_unit=units[n % 6], phone=f"1370000{n:04d}")
    make.cadre(name="王伟03", org_unit=units[0], phone="13700009999")  # a namesake
    make.cadre(name="王伟99", org_unit=db.session.scalar(select(OrgUnit).where(OrgUnit.name == "西岭司法所")))
    login(panel, east_admin)
    with count_queries() as one:
        assert _look_up(panel, "王伟07") == ["王伟07（东湖1村，尾号0007）"]
    with count_queries() as many:
        first = _look_up(panel, "王伟", limit=100_000)
    assert len(many) == len(one)
    assert first[:5] == ["王伟00（东湖0村，尾号0000）", "王伟01（东湖1村，尾号0001）", "王伟02（东湖2村，尾号0002）",
                         "王伟03（东湖3村，尾号0003）", "王伟03（东湖0村，尾号9999）"]
    assert len(first) == 20
    # The box asks 10 at a time as the clerk scrolls; the rest follow, the other town's never.
    rest = _look_up(panel, "王伟", offset=20, limit=10) + _look_up(panel, "王伟", offset=30, limit=10)
    assert len(first + rest) == len(set(first + rest)) == 31 and not any("王伟99" in label for label in rest)
    assert _look_up(panel, "1370000001") == [f"王伟{n:02d}（东湖{n % 6}村，尾号{n:04d}）" for n in range(10, 20)]
    assert _look_up(panel, "%") == []  # typed text, not a pattern


def test_no_pick_list_grows_with_the_people(app, panel, make, west, count_queries):
    """A district has a million accounts and 5,100 cadres: no form offers a list of them.
    Every pick list of every model view's form (even a form no one opens), and every page
    a clerk opens to fill one in, offers the same options in the same statements however
    many people there are."""
    east_admin, _ = west
    district = make.admin("admin", username="区管理员")
    village, dept = (db.session.scalar(select(OrgUnit).where(OrgUnit.name == name)) for name in ("东湖村", "东湖司法所"))
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]

    def measure() -> dict:
        found = {}
        for staff in (east_admin, district):
            login(panel, staff)
            for view in views:
                panel.get(f"{view.url}/new/")  # what a first page load reads once (the signed-in account)
                with count_queries() as statements:
                    page = panel.get(f"{view.url}/new/").get_data(as_text=True)
                found[staff.username, view.url] = page.count("<option"), len(statements)
            with app.test_request_context("/admin/"):
                login_user(db.session.get(AdminUser, staff.id))
                for where, field in _pick_lists(app):
                    found[(staff.username, *where)] = len(list(field._get_object_list()))
        return found

    before = measure()
    for n in range(25):
        make.user(org_unit_id=village.id)
        make.cadre(org_unit=dept)
    assert measure() == before
