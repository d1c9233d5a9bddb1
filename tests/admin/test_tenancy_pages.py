"""Towns are tenants in the panel: a town's staff see, open and export only their town's
rows (another town's id is not found), and may never make a district account; district
staff see every town, pick one, and read the year's figures town by town."""
import io
from datetime import datetime, timedelta

import pytest
from flask_admin.contrib.sqla import ModelView
from openpyxl import load_workbook
from sqlalchemy import select

from accounts import tenancy
from accounts.models import AdminUser, Cadre
from activities.models import Event
from core.extensions import db
from points import ledger, rewards
from points.models import Reward
from quiz_bank.exams.models import Exam
from reports.models import PublicityTask
from tests.admin.conftest import login
from tests.admin.test_exam_rules_locked_pages import _form as exam_form


@pytest.fixture
def towns(app, make):
    """Two towns, each with a village, a department, a resident with points, a cadre, an
    event held last year, an exam, a reward redeemed by its resident, a publicity task
    and a town admin; the names carry the town (东湖 / 西岭) so a page shows whose it is."""
    year = datetime.now().year - 1
    made = {"year": year}
    for key, town_name in (("a", "东湖"), ("b", "西岭")):
        town = make.town(name=f"{town_name}镇")
        village = make.org_unit(name=f"{town_name}村", town=town)
        dept = make.org_unit(name=f"{town_name}司法所", kind="department", town=town)
        person = make.user(real_name=f"{town_name}居民", org_unit_id=village.id)
        ledger.credit(person.id, app.config["POINTS_RULES"]["daily_correct"], 40, f"tenancy-panel:{person.id}")
        cadre = make.cadre(name=f"{town_name}干部", org_unit=dept)
        starts = datetime(year, 6, 1, 1)
        event = make.event(title=f"{town_name}普法宣讲", org_unit=dept, starts_at=starts, ends_at=starts + timedelta(hours=2),
                           checkin_opens_at=starts, checkin_closes_at=starts + timedelta(hours=2))
        exam = make.exam(title=f"{town_name}年度学法考试", assign_all=False, units=[dept])
        reward = make.reward(name=f"{town_name}雨伞", cost=10, town_id=town.id)
        redemption = rewards.redeem(person.id, reward.id)
        task = PublicityTask(year=year, org_unit_id=dept.id, events=1, people=0)
        db.session.add(task)
        staff = make.admin("admin", username=f"{town_name}管理员", town_id=town.id)
        made[key] = {"name": town_name, "town": town, "village": village, "dept": dept, "person": person, "cadre": cadre,
                     "event": event, "exam": exam, "reward": reward, "redemption": redemption, "task": task, "staff": staff}
    db.session.flush()
    made["district"] = make.admin("admin", username="区管理员")
    return made


# Each list, its rows named by town.
LISTS = ["/admin/events/", "/admin/cadres/", "/admin/rewards/", "/admin/redemptions/", "/admin/publicity-tasks/",
         "/admin/exams/", "/admin/exam-results/", "/admin/exam-certificates/", "/admin/event-photos/", "/admin/residents/",
         "/admin/rankings/?period=all", "/admin/admins/", "/admin/mastery/"]


@pytest.mark.parametrize("path", LISTS)
def test_a_town_admin_lists_only_their_town(panel, towns, path):
    login(panel, towns["a"]["staff"])
    page = panel.get(path).get_data(as_text=True)
    assert "东湖" in page and "西岭" not in page


@pytest.mark.parametrize("path", LISTS)
def test_a_district_admin_lists_every_town(panel, towns, path):
    login(panel, towns["district"])
    page = panel.get(path).get_data(as_text=True)
    assert "东湖" in page and "西岭" in page


def _other_towns_pages(t) -> list[str]:
    b = t["b"]
    event, exam, cadre = b["event"].id, b["exam"].id, b["cadre"].id
    return [
        f"/admin/events/details/?id={event}", f"/admin/events/edit/?id={event}", f"/admin/events/{event}/attendance",
        f"/admin/events/{event}/attendance.xlsx", f"/admin/events/projector/{event}", f"/admin/events/projector/{event}/state.json",
        f"/admin/event-photos/{event}", f"/admin/cadres/details/?id={cadre}", f"/admin/cadres/edit/?id={cadre}",
        f"/admin/rewards/edit/?id={b['reward'].id}", f"/admin/redemptions/details/?id={b['redemption'].id}",
        f"/admin/publicity-tasks/edit/?id={b['task'].id}", f"/admin/exams/edit/?id={exam}", f"/admin/exam-results/{exam}/",
        f"/admin/exam-results/{exam}/export.xlsx", f"/admin/exam-certificates/{exam}/", f"/admin/residents/{b['person'].id}/",
        f"/admin/admins/edit/?id={b['staff'].id}", f"/admin/admins/edit/?id={t['district'].id}",
    ]


def test_another_towns_rows_are_not_found_by_id(panel, towns):
    login(panel, towns["a"]["staff"])
    for path in _other_towns_pages(towns):
        r = panel.get(path)
        assert r.status_code == 404, path
        assert "西岭" not in r.get_data(as_text=True), path
    # Their own are there.
    assert panel.get(f"/admin/events/{towns['a']['event'].id}/attendance").status_code == 200
    assert panel.get(f"/admin/residents/{towns['a']['person'].id}/").status_code == 200


def test_posts_on_another_towns_rows_change_nothing(panel, towns):
    a, b = towns["a"], towns["b"]
    login(panel, a["staff"])
    code = b["cadre"].binding_code
    panel.post("/admin/cadres/action/", data={"action": "reset_binding", "rowid": [str(b["cadre"].id)]})
    assert db.session.get(Cadre, b["cadre"].id).binding_code == code
    assert panel.post(f"/admin/pickup/{b['redemption'].id}/hand-over").status_code == 404
    assert db.session.get(type(b["redemption"]), b["redemption"].id).status == "pending"
    assert panel.post("/admin/exams/delete/", data={"id": str(b["exam"].id)}).status_code == 404
    assert panel.post(f"/admin/exams/{b['exam'].id}/copy").status_code == 404
    # The counter does not find another town's pickup code.
    assert "没有找到" in panel.get(f"/admin/pickup/?code={b['redemption'].pickup_code}").get_data(as_text=True)


def _sheet_text(response) -> str:
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.get_data()))
    return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)


EXPORTS = ["/admin/redemptions/export/xlsx/", "/admin/rankings/export.xlsx?period=all",
           "/admin/archive/{year}/figures.xlsx", "/admin/duties/export.xlsx?year={year}", "/admin/roster/binding-codes.xlsx"]


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_hold_only_the_towns_rows(panel, towns, path):
    path = path.format(year=towns["year"])
    login(panel, towns["a"]["staff"])
    text = _sheet_text(panel.get(path))
    assert "东湖" in text and "西岭" not in text
    login(panel, towns["district"])
    text = _sheet_text(panel.get(path))
    assert "东湖" in text and "西岭" in text


def test_reports_are_the_towns(panel, towns):
    a, year = towns["a"], towns["year"]
    login(panel, a["staff"])
    archive = panel.get(f"/admin/archive/?year={year}").get_data(as_text=True)
    assert "东湖司法所" in archive and "西岭司法所" not in archive and 'id="by-town"' not in archive
    duties = panel.get(f"/admin/duties/?year={year}").get_data(as_text=True)
    assert "东湖司法所" in duties and "西岭司法所" not in duties
    books = panel.get("/admin/books/").get_data(as_text=True)
    assert "待领取兑换 1 笔" in books  # the district has two
    # Asking for another town changes nothing for a town's staff.
    asked = panel.get(f"/admin/duties/?year={year}&town={towns['b']['town'].id}").get_data(as_text=True)
    assert "西岭司法所" not in asked


def test_district_staff_pick_a_town_and_read_the_figures_by_town(panel, towns):
    login(panel, towns["district"])
    year, b = towns["year"], towns["b"]
    archive = panel.get(f"/admin/archive/?year={year}").get_data(as_text=True)
    assert 'id="by-town"' in archive and "东湖镇" in archive and "西岭镇" in archive
    picked = panel.get(f"/admin/archive/?year={year}&town={b['town'].id}").get_data(as_text=True)
    assert "西岭司法所" in picked and "东湖司法所" not in picked and 'id="by-town"' not in picked
    assert 'id="by-town"' in panel.get("/admin/").get_data(as_text=True)
    people = panel.get(f"/admin/residents/?town={b['town'].id}").get_data(as_text=True)
    assert "西岭居民" in people and "东湖居民" not in people
    assert "只有区级账号能看到" in panel.get("/admin/residents/").get_data(as_text=True)


def test_a_town_admin_cannot_make_or_reach_a_district_account(panel, towns):
    a, b = towns["a"], towns["b"]
    login(panel, a["staff"])
    form = {"role": "admin", "active": "y", "password": "Yangtze-River-Protection-2026"}
    panel.post("/admin/admins/new/", data={**form, "username": "escalate-district", "town_id": ""})
    panel.post("/admin/admins/new/", data={**form, "username": "escalate-other", "town_id": str(b["town"].id)})
    made = set(db.session.scalars(select(AdminUser.username).where(AdminUser.username.like("escalate-%"))))
    assert made == set()
    # Their own account made district-wide: refused, it stays the town's.
    panel.post(f"/admin/admins/edit/?id={a['staff'].id}", data={**form, "username": a["staff"].username, "town_id": ""})
    db.session.expire_all()
    assert db.session.get(AdminUser, a["staff"].id).town_id == a["town"].id
    # A district account cannot be opened, so cannot be changed.
    r = panel.post(f"/admin/admins/edit/?id={towns['district'].id}", data={**form, "username": "区管理员", "town_id": str(a["town"].id)})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(AdminUser, towns["district"].id).town_id is None
    # Their own town's account is fine.
    r = panel.post("/admin/admins/new/", data={**form, "username": "east-clerk", "role": "reviewer", "town_id": str(a["town"].id)})
    assert r.status_code == 302
    assert db.session.scalar(select(AdminUser).where(AdminUser.username == "east-clerk")).town_id == a["town"].id


def test_a_district_admin_makes_town_and_district_accounts(panel, towns):
    login(panel, towns["district"])
    form = {"role": "admin", "active": "y", "password": "Yangtze-River-Protection-2026"}
    assert panel.post("/admin/admins/new/", data={**form, "username": "west-admin", "town_id": str(towns["b"]["town"].id)}).status_code == 302
    assert panel.post("/admin/admins/new/", data={**form, "username": "district-2", "town_id": ""}).status_code == 302
    made = dict(db.session.execute(select(AdminUser.username, AdminUser.town_id).where(AdminUser.username.in_(["west-admin", "district-2"]))).all())
    assert made == {"west-admin": towns["b"]["town"].id, "district-2": None}


def test_a_town_admin_saves_rows_only_inside_their_town(panel, towns):
    a, b = towns["a"], towns["b"]
    login(panel, a["staff"])
    page = panel.get("/admin/events/new/").get_data(as_text=True)
    assert "东湖司法所" in page and "西岭司法所" not in page
    start = datetime(towns["year"] + 2, 3, 1, 9)
    times = {k: (start + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M:%S") for k, h in
             (("starts_at", 0), ("ends_at", 2), ("checkin_opens_at", 0), ("checkin_closes_at", 2))}
    event = {"title": "跨镇活动", "kind": "outreach", "org_unit": str(b["dept"].id), **times, "location_name": "", "coord_type": "gcj02",
             "points": "2", "quiz_size": "5", "quiz_points_each": "2", "token_seconds": "30", "description": ""}
    panel.post("/admin/events/new/", data=event)
    assert db.session.scalar(select(Event).where(Event.title == "跨镇活动")) is None
    # A reward posted as district-wide is the town's.
    r = panel.post("/admin/rewards/new/", data={"name": "东湖毛巾", "town": "", "description": "", "cost": "5", "stock": "3",
                                                "limit_period": "all", "visible": "y"})
    assert r.status_code == 302
    assert db.session.scalar(select(Reward).where(Reward.name == "东湖毛巾")).town_id == a["town"].id
    # An exam for the whole district's cadres is not a town's to set.
    exam = a["exam"]
    r = panel.post(f"/admin/exams/edit/?id={exam.id}", data={**exam_form(exam), "assign_all": "y"})
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).assign_all is False
    assert "全体干部参加" in r.get_data(as_text=True)
    # The exam's pick list of cadres does not look into another town.
    found = panel.get("/admin/exams/ajax/lookup/?name=cadres&query=西岭").get_json()
    assert found == []


def test_the_publicity_task_form_offers_only_the_towns_units(panel, towns):
    login(panel, towns["a"]["staff"])
    page = panel.get("/admin/publicity-tasks/new/").get_data(as_text=True)
    assert "东湖司法所" in page and "西岭司法所" not in page
    r = panel.post("/admin/publicity-tasks/new/", data={"year": str(towns["year"] + 1), "org_unit": str(towns["b"]["dept"].id),
                                                         "events": "1", "people": "1", "exam_sat_percent": "", "note": ""})
    assert r.status_code == 200  # the form refuses the other town's unit
    assert db.session.scalar(select(PublicityTask).where(PublicityTask.year == towns["year"] + 1)) is None


def test_the_home_page_is_the_towns(panel, towns, make):
    for key in ("a", "b"):
        make.event(title=f"{towns[key]['name']}正在进行的宣讲", org_unit=towns[key]["dept"])
    login(panel, towns["a"]["staff"])
    page = panel.get("/admin/").get_data(as_text=True)
    assert "东湖正在进行的宣讲" in page and "西岭正在进行的宣讲" not in page
    assert "东湖年度学法考试" in page and "西岭年度学法考试" not in page  # open exams
    assert 'id="by-town"' not in page and 'id="town-select"' not in page


def test_a_township_shows_no_town_selector(panel, make):
    """With one town, district staff's pages are the township's pages they always were."""
    make.user(org_unit_id=make.org_unit().id)
    login(panel, make.admin("admin"))
    for path in ("/admin/", "/admin/residents/", "/admin/archive/", "/admin/books/", "/admin/rankings/", "/admin/mastery/"):
        page = panel.get(path).get_data(as_text=True)
        assert 'id="town-select"' not in page and 'id="by-town"' not in page and "只有区级账号" not in page, path


def test_district_staff_pick_units_by_town(panel, towns):
    login(panel, towns["district"])
    page = panel.get("/admin/events/new/").get_data(as_text=True)
    assert "东湖镇·东湖司法所" in page and "西岭镇·西岭司法所" in page


def test_a_district_exam_has_its_results_town_by_town(panel, towns, make):
    exam = make.exam(title="全区年度学法考试", assign_all=True)
    login(panel, towns["district"])
    page = panel.get(f"/admin/exam-results/{exam.id}/").get_data(as_text=True)
    table = page[page.index('id="town-table"'):page.index('id="unit-table-hint"')]
    assert "东湖镇" in table and "西岭镇" in table
    book = load_workbook(io.BytesIO(panel.get(f"/admin/exam-results/{exam.id}/export.xlsx").get_data()))
    assert [row[0] for row in book["各镇"].iter_rows(min_row=2, values_only=True)] == ["东湖镇", "西岭镇"]
    # Not a town's: its staff do not open it.
    login(panel, towns["a"]["staff"])
    assert panel.get(f"/admin/exam-results/{exam.id}/").status_code == 404


def test_every_model_the_panel_lists_is_a_towns_or_shared_on_purpose(app):
    """Each model view and ajax pick list of the panel goes through accounts.tenancy's
    scope, which refuses a model with no rule: a model added to the panel without one
    fails here, not by showing a town's staff every town's rows."""
    models = set()
    for view in app.extensions["admin"][0]._views:
        if isinstance(view, ModelView):
            models.add(view.model)
            models.update(loader.model for loader in view._form_ajax_refs.values())
    assert {m.__tablename__ for m in models} >= {"event", "cadre", "exam", "reward", "redemption", "admin_user", "question"}
    for model in models:
        if tenancy.has_town(model):  # raises LookupError for a model with no rule
            tenancy.condition(model, 1)
