"""The panel's pick lists (select fields, ajax look-ups) offer a town's staff only their
town's rows, kept to the town in the statement (accounts.tenancy.scope): another town's
rows are neither offered nor read."""
from contextlib import contextmanager

import pytest
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_login import login_user
from sqlalchemy import event

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


def test_an_ajax_pick_list_finds_and_takes_only_the_towns_cadres(app, panel, west, count_queries):
    east_admin, west_rows = west
    west_cadre = next(i for model, i in west_rows if model is Cadre)
    login(panel, east_admin)
    assert [label for _, label in panel.get("/admin/exams/ajax/lookup/?name=cadres&query=干部").get_json()] == ["东湖干部（东湖司法所）"]
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
