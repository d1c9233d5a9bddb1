"""Who may see and do what in the panel: every screen x every role, from one table.

SCREENS says, per screen, what each role may do there: 修改 (see and change), 查看
(see only) or — (nothing). Each screen lists the requests that read it and those
that change something. The tests hold every role to its cell:

- anonymous: every request is sent to the login page;
- —: every request is refused (403);
- 查看: every read answers, every change is refused (403; a Flask-Admin list
  action, which answers every request alike, does nothing);
- 修改: every read answers and every change is made.

Secrets (binding codes, pickup codes) never appear in anything a reviewer or an
editor can open. `readme_table()` prints the table for the README:
`.venv/bin/python -m tests.admin.test_roles`."""
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from accounts import roster
from accounts.models import AdminUser, Cadre
from activities import photos
from activities.models import Event, EventPhoto
from core.extensions import db
from core.timeutil import local_today, utcnow
from points import rewards
from points.models import Redemption, Reward
from quiz_bank.exams.models import Certificate, Exam, ExamAttempt
from quiz_bank.formats import tabular
from quiz_bank.models import Category, Question, QuestionImport
from reports.models import PublicityTask
from tests.activities.photo_helpers import image_bytes
from tests.admin.conftest import login
from tests.statutes.helpers import import_law
from tests.statutes.texts import LAW

EDIT, VIEW, NONE = "修改", "查看", "—"
ROLES = ("admin", "editor", "reviewer")
ROLE_NAMES = {"admin": "管理员 admin", "editor": "题库编辑 editor", "reviewer": "只读审阅 reviewer"}


@dataclass(frozen=True)
class Req:
    """One request. `path` and `data` are formatted with the world's ids; `data` may be
    a function of the world (for files, made fresh each time). `done(world)` says
    whether a change was made."""

    method: str
    path: str
    data: dict | Callable | None = None
    ok: int | None = None  # expected when allowed: 200 for GET, 302 for POST unless told
    done: Callable | None = None
    action: bool = False  # a Flask-Admin list action: refused with a redirect, not a 403

    def expected(self) -> int:
        return self.ok or (200 if self.method == "GET" else 302)


def GET(path, **kw):
    return Req("GET", path, **kw)


def POST(path, data=None, **kw):
    return Req("POST", path, data, **kw)


@dataclass(frozen=True)
class Screen:
    name: str  # as the panel's menu says it
    endpoint: str  # the Flask-Admin view's endpoint (with a part of it after a slash)
    access: dict  # role -> EDIT, VIEW or NONE
    reads: tuple = ()
    writes: tuple = field(default=())


def _access(admin=EDIT, editor=VIEW, reviewer=VIEW) -> dict:
    return {"admin": admin, "editor": editor, "reviewer": reviewer}


ALL_VIEW = _access(VIEW, VIEW, VIEW)
ADMIN_ONLY = _access(VIEW, NONE, NONE)


def _exists(model, **where):
    return lambda w: db.session.scalar(select(model.id).filter_by(**where)) is not None


def _question_form(w):
    return {"category": str(w["category"]), "type": "single", "stem": "表格中新建的题目：民事主体从事民事活动，应当遵循什么原则？",
            "option_a": "自愿", "option_b": "诚信", "option_c": "公平", "option_d": "以上都是", "answer": "D",
            "explanation": "", "source": "《民法典》第六条", "difficulty": "1", "status": "active"}


def _event_form(w):
    return {"title": "表格中新建的活动", "kind": "outreach", "org_unit": str(w["unit"]), "starts_at": "2026-06-26 09:00:00",
            "ends_at": "2026-06-26 11:00:00", "checkin_opens_at": "2026-06-26 08:30:00", "checkin_closes_at": "2026-06-26 11:00:00",
            "location_name": "镇文化站", "latitude": "", "longitude": "", "radius_m": "", "points": "2",
            "quiz_size": "5", "quiz_points_each": "2", "token_seconds": "30", "description": ""}


def _photo_upload(w):
    return {"file": (io.BytesIO(image_bytes("JPEG")), "现场.jpg"), "caption": "表格中上传"}


def _issued(w) -> bool:
    return db.session.scalar(select(Certificate.id).where(Certificate.attempt_id == w["passed"])) is not None


def _photos_of(w) -> int:
    return len(db.session.scalars(select(EventPhoto.id).where(EventPhoto.event_id == w["event"])).all())


SCREENS = (
    Screen("首页", "admin", ALL_VIEW, reads=(GET("/admin/"),)),
    Screen("法律分类", "categories", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/categories/"), GET("/admin/categories/details/?id={category}")),
           writes=(GET("/admin/categories/new/"), GET("/admin/categories/edit/?id={category}"),
                   POST("/admin/categories/new/", {"name": "表格法", "slug": "matrix-law", "description": "", "sort_order": "0"},
                        done=_exists(Category, slug="matrix-law")),
                   POST("/admin/categories/edit/?id={category}", {"name": "改名法", "slug": "renamed-law", "description": "", "sort_order": "0"},
                        done=_exists(Category, slug="renamed-law")))),
    Screen("题目", "questions", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/questions/"), GET("/admin/questions/details/?id={question}")),
           writes=(GET("/admin/questions/new/"), GET("/admin/questions/edit/?id={question}"),
                   POST("/admin/questions/new/", _question_form, done=_exists(Question, source="《民法典》第六条")),
                   POST("/admin/questions/action/", {"action": "retire", "rowid": "{question}"}, action=True,
                        done=lambda w: db.session.get(Question, w["question"]).status == "retired"))),
    Screen("待审核", "pending_questions", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/pending-questions/"), GET("/admin/pending-questions/details/?id={pending}")),
           writes=(GET("/admin/pending-questions/edit/?id={pending}"),
                   POST("/admin/pending-questions/action/", {"action": "publish", "rowid": "{pending}"}, action=True,
                        done=lambda w: db.session.get(Question, w["pending"]).status == "active"))),
    Screen("待复核", "recheck_questions", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/recheck-questions/"), GET("/admin/recheck-questions/details/?id={recheck}")),
           writes=(GET("/admin/recheck-questions/edit/?id={recheck}"),
                   POST("/admin/recheck-questions/action/", {"action": "confirm", "rowid": "{recheck}"}, action=True,
                        done=lambda w: db.session.get(Question, w["recheck"]).status == "active"))),
    Screen("法规库", "statutes", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/statutes/"), GET("/admin/statutes/{statute}"), GET("/admin/statutes/version/{statute_version}")),
           writes=(POST("/admin/statutes/preview", lambda w: {"file": (io.BytesIO(LAW.encode()), "法.txt")}, ok=200),
                   POST("/admin/statutes/confirm", {"token": "0" * 32}))),
    Screen("出处核对", "source_check", ALL_VIEW, reads=(GET("/admin/source-check/"),)),
    Screen("导入导出", "imports", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/import/"), GET("/admin/import/template.xlsx"), GET("/admin/import/export/csv")),
           writes=(POST("/admin/import/preview", lambda w: {"file": (io.BytesIO(tabular.template()), "题库.xlsx")}, ok=200),
                   POST("/admin/import/confirm", {"token": "0" * 32}))),
    Screen("导入记录", "question_imports", _access(EDIT, EDIT, VIEW),
           reads=(GET("/admin/question-imports/"), GET("/admin/question-imports/{import}/questions")),
           writes=(POST("/admin/question-imports/action/", {"action": "undo", "rowid": "{import}"}, action=True,
                        done=lambda w: db.session.get(QuestionImport, w["import"]).undone_at is not None),)),
    Screen("普法责任任务", "publicity_tasks", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/publicity-tasks/"),),
           writes=(GET("/admin/publicity-tasks/new/"),
                   POST("/admin/publicity-tasks/new/", lambda w: {"year": "2026", "org_unit": str(w["unit"]), "events": "4",
                                                                  "people": "120", "exam_sat_percent": "90", "note": "表格"},
                        done=lambda w: db.session.scalar(select(PublicityTask.id).where(PublicityTask.note == "表格")) is not None))),
    Screen("谁执法谁普法考核", "duties", ALL_VIEW, reads=(GET("/admin/duties/?year={year}"), GET("/admin/duties/export.xlsx"))),
    Screen("年度报告", "annual_report", ALL_VIEW, reads=(GET("/admin/annual-report/"), GET("/admin/annual-report/{year}.docx"))),
    Screen("活动", "events", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/events/"), GET("/admin/events/details/?id={event}")),
           writes=(GET("/admin/events/new/"), GET("/admin/events/edit/?id={event}"),
                   POST("/admin/events/new/", _event_form, done=_exists(Event, title="表格中新建的活动")))),
    Screen("签到大屏", "events/projector", ADMIN_ONLY,
           reads=(GET("/admin/events/projector/{event}"), GET("/admin/events/projector/{event}/state.json"))),
    Screen("活动照片", "event_photos", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/event-photos/"), GET("/admin/event-photos/{event}")),
           writes=(POST("/admin/event-photos/{event}/upload", _photo_upload, done=lambda w: _photos_of(w) == 2),
                   POST("/admin/event-photos/{event}/photos/{photo}/delete",
                        done=lambda w: db.session.get(EventPhoto, w["photo"]) is None))),
    Screen("年度档案与统计", "archive", ALL_VIEW,
           reads=(GET("/admin/archive/"), GET("/admin/archive/{year}/figures.xlsx"), GET("/admin/archive/{year}/archive.zip"))),
    Screen("考试", "exams", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/exams/"), GET("/admin/exams/details/?id={exam}")),
           writes=(GET("/admin/exams/new/"), GET("/admin/exams/edit/?id={exam}"),
                   POST("/admin/exams/{exam}/copy", done=lambda w: _exists(Exam, title=db.session.get(Exam, w["exam"]).title + "（副本）")(w)))),
    Screen("成绩统计", "exam_results", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/exam-results/"), GET("/admin/exam-results/{exam}/"), GET("/admin/exam-results/{exam}/export.xlsx")),
           writes=(POST("/admin/exam-results/{exam}/makeup", done=lambda w: _exists(Exam, makeup_of_id=w["exam"])(w)),)),
    Screen("证书查验", "certificates", ALL_VIEW, reads=(GET("/admin/certificates/?serial=PF-0000"),)),
    # Opening and printing only read (nothing issued yet: back to the list); issuing is the admin's.
    Screen("合格证书", "exam_certificates", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/exam-certificates/"), GET("/admin/exam-certificates/{exam}/"),
                  GET("/admin/exam-certificates/{exam}/{passed}.pdf", ok=302),
                  GET("/admin/exam-certificates/{exam}/certificates.pdf", ok=302)),
           writes=(POST("/admin/exam-certificates/{exam}/{passed}/issue", done=_issued),
                   POST("/admin/exam-certificates/{exam}/issue", done=_issued))),
    Screen("干部名册", "cadres", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/cadres/"), GET("/admin/cadres/details/?id={cadre}"), GET("/admin/cadres/?search={cadre_name}")),
           writes=(GET("/admin/cadres/new/"), GET("/admin/cadres/edit/?id={cadre}"),
                   POST("/admin/cadres/new/", {"name": "表格新干部", "phone": "13912345678", "org_unit": "{unit}", "position": "科员",
                                               "active": "y"}, done=_exists(Cadre, phone="13912345678")),
                   POST("/admin/cadres/action/", {"action": "reset_binding", "rowid": "{cadre}"}, action=True,
                        done=lambda w: db.session.get(Cadre, w["cadre"]).binding_code != w["binding_code"]))),
    Screen("导入花名册", "roster", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/roster/"), GET("/admin/roster/template.xlsx")),
           writes=(POST("/admin/roster/preview", lambda w: {"file": (io.BytesIO(roster.template()), "花名册.xlsx")}, ok=200),
                   POST("/admin/roster/confirm", {"token": "0" * 32}))),
    Screen("绑定码表", "roster/binding-codes", ADMIN_ONLY, reads=(GET("/admin/roster/binding-codes.xlsx"),)),
    Screen("奖品", "rewards", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/rewards/"), GET("/admin/rewards/details/?id={reward}")),
           writes=(GET("/admin/rewards/new/"), GET("/admin/rewards/edit/?id={reward}"),
                   POST("/admin/rewards/new/", {"name": "表格雨伞", "description": "", "cost": "10", "stock": "5", "limit_period": "all",
                                                "visible": "y"}, done=_exists(Reward, name="表格雨伞")))),
    Screen("领取奖品", "pickup", _access(EDIT, VIEW, VIEW),
           reads=(GET("/admin/pickup/"),),
           writes=(POST("/admin/pickup/{redemption}/hand-over",
                        done=lambda w: db.session.get(Redemption, w["redemption"]).status == "handed_over"),)),
    Screen("兑换记录", "redemptions", ALL_VIEW,
           reads=(GET("/admin/redemptions/"), GET("/admin/redemptions/details/?id={redemption}"),
                  GET("/admin/redemptions/export/xlsx/"))),
    Screen("积分账目", "books", ALL_VIEW, reads=(GET("/admin/books/"),)),
    Screen("居民", "residents", ALL_VIEW,
           reads=(GET("/admin/residents/"), GET("/admin/residents/?q=%E5%B1%85&phone=0000&unit={unit}"),
                  GET("/admin/residents/{resident}/"))),
    Screen("排行榜", "rankings", ALL_VIEW,
           reads=(GET("/admin/rankings/"), GET("/admin/rankings/?board=units&period=year"), GET("/admin/rankings/export.xlsx"),
                  GET("/admin/rankings/export.xlsx?board=units"))),
    Screen("掌握程度", "mastery", ALL_VIEW,
           reads=(GET("/admin/mastery/"), GET("/admin/mastery/?from=2026-01-01&to=2026-03-31"), GET("/admin/mastery/export.xlsx"))),
    Screen("签到名单", "events/checkin_list", ALL_VIEW,
           reads=(GET("/admin/events/{event}/attendance"), GET("/admin/events/{event}/attendance.xlsx"))),
    Screen("后台账号", "admins", _access(EDIT, NONE, NONE),
           reads=(GET("/admin/admins/"),),
           writes=(GET("/admin/admins/new/"), GET("/admin/admins/edit/?id={staff}"),
                   POST("/admin/admins/new/", {"username": "matrix-new", "role": "reviewer", "active": "y",
                                               "password": "Yangtze-River-Protection-2026"}, done=_exists(AdminUser, username="matrix-new")))),
    Screen("操作日志", "audit", _access(VIEW, NONE, VIEW), reads=(GET("/admin/audit/"),)),
    # Every account's own: its second step and its sessions.
    Screen("账号安全", "account", _access(EDIT, EDIT, EDIT), reads=(GET("/admin/account/"),)),
)


def readme_table() -> str:
    """The role x screen table for the README."""
    lines = ["| 页面 | " + " | ".join(ROLE_NAMES[r] for r in ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    lines += [f"| {s.name} | " + " | ".join(s.access[r] for r in ROLES) + " |" for s in SCREENS]
    return "\n".join(lines)


# -- the world every request runs against ------------------------------------------


@pytest.fixture
def world(make):
    unit = make.org_unit(kind="department", name="镇司法所")
    category = make.category()
    question = make.question(category)
    # Imported without its citation, which an editor has since added: ready to publish.
    record = QuestionImport(filename="县里的题库.csv", fmt="csv", added=1, pending=1)
    db.session.add(record)
    db.session.flush()
    pending = make.question(category, status="pending", review_note="这道题没有填写出处。", import_id=record.id)
    recheck = make.question(category, status="recheck", review_note="《乡村示范法》第二条已随2025年1月1日版本修改，请核对")
    statute_version, _ = import_law()
    event = make.event(org_unit=unit)
    photo, _ = photos.store_photo(event, image_bytes("JPEG"), "现场.jpg", "image/jpeg", "")
    exam = make.exam(opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(days=1))
    unbound = make.cadre(org_unit=unit)
    bound = make.cadre(make.user(), org_unit=unit)
    sat = exam.closes_at - timedelta(hours=2)
    passed = ExamAttempt(exam_id=exam.id, user_id=bound.user_id, cadre_id=bound.id, number=1, status="submitted", started_at=sat,
                         deadline=sat + timedelta(hours=1), submitted_at=sat, score=90, passed=True, total_score=100,
                         pass_score=exam.pass_score, paper=[])
    db.session.add(passed)
    db.session.flush()
    redemption = rewards.redeem(make.rich_user(100).id, make.reward(cost=20, name="普法帆布袋").id)
    return {
        "unit": unit.id, "category": category.id, "question": question.id, "event": event.id, "photo": photo.id,
        "pending": pending.id, "import": record.id, "recheck": recheck.id,
        "statute": statute_version.statute_id, "statute_version": statute_version.id,
        "exam": exam.id, "passed": passed.id, "cadre": unbound.id, "cadre_name": unbound.name, "binding_code": unbound.binding_code,
        "reward": redemption.reward_id, "redemption": redemption.id, "resident": redemption.user_id, "year": local_today().year,
        "staff": make.admin("reviewer").id,
        "secrets": {unbound.binding_code, bound.binding_code, redemption.pickup_code},
    }


def _fill(value, w):
    if isinstance(value, str):
        return value.format(**w)
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    return value


def _send(client, req: Req, w):
    data = req.data(w) if callable(req.data) else _fill(req.data, w)
    db.session.expire_all()
    path = req.path.format(**w)
    if req.method == "GET":
        return client.get(path)
    files = data and any(isinstance(v, tuple) for v in data.values())
    return client.post(path, data=data or {}, content_type="multipart/form-data" if files else None)


def _readable(body: bytes) -> str:
    """What a person could read in a response: the page, every cell of a workbook, or
    what an archive holds (its workbooks read the same way)."""
    if not body.startswith(b"PK"):
        return body.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        if "xl/workbook.xml" in z.namelist():
            book = load_workbook(io.BytesIO(body), read_only=True)
            return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
        return "\n".join(_readable(z.read(name)) for name in z.namelist())


def _client(panel, make, role):
    client = panel.application.test_client()
    if role is not None:
        login(client, make.admin(role))
    return client


CASES = [pytest.param(s, role, id=f"{s.endpoint}-{role or 'anonymous'}") for s in SCREENS for role in (None, *ROLES)]


@pytest.mark.parametrize("screen,role", CASES)
def test_each_role_sees_and_does_what_its_cell_says(panel, make, world, screen, role):
    client = _client(panel, make, role)
    for req in screen.reads + screen.writes:
        r = _send(client, req, world)
        where = f"{req.method} {req.path} as {role}"
        if role is None:
            assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"], where
            if req.done is not None:
                assert not req.done(world), where
            continue
        level = screen.access[role]
        allowed = level == EDIT or (level == VIEW and req in screen.reads)
        if allowed:
            assert r.status_code == req.expected(), (where, r.status_code, r.get_data(as_text=True)[:500])
            if req.done is not None:
                db.session.expire_all()
                assert req.done(world), where
        else:
            assert r.status_code == (302 if req.action else 403), (where, r.status_code)
            if req.done is not None:
                db.session.expire_all()
                assert not req.done(world), where
        if role != "admin" and r.status_code == 200:
            text = _readable(r.get_data())
            assert not [s for s in world["secrets"] if s in text], f"a secret in {where}"


# -- what the table cannot say by status alone ------------------------------------------


def test_admins_see_the_binding_codes_the_others_never_do(panel, make, world):
    code = world["binding_code"]
    admin = _client(panel, make, "admin")
    assert code in admin.get("/admin/cadres/").get_data(as_text=True)
    assert code in admin.get(f"/admin/cadres/details/?id={world['cadre']}").get_data(as_text=True)
    found = admin.get(f"/admin/cadres/?search={code}").get_data(as_text=True)
    assert world["cadre_name"] in found
    for role in ("editor", "reviewer"):
        client = _client(panel, make, role)
        page = client.get("/admin/cadres/").get_data(as_text=True)
        assert world["cadre_name"] in page and "绑定码" not in page
        # Searching by a code finds no one: no oracle to spell one out.
        for term in (code, code[:3]):
            assert world["cadre_name"] not in client.get(f"/admin/cadres/?search={term}").get_data(as_text=True)
        assert "reset_binding" not in page  # the action is not offered either
        exported = client.get("/admin/cadres/export/csv/")
        assert exported.status_code != 200 and code not in exported.get_data(as_text=True)


def test_pickup_codes_are_listed_and_searchable_for_admins_only(panel, make, world):
    code = next(s for s in world["secrets"] if len(s) == rewards.CODE_LENGTH)
    admin = _client(panel, make, "admin")
    assert code in admin.get("/admin/redemptions/").get_data(as_text=True)
    assert "普法帆布袋" in admin.get(f"/admin/redemptions/?search={code[:4]}").get_data(as_text=True)
    reviewer = _client(panel, make, "reviewer")
    page = reviewer.get("/admin/redemptions/").get_data(as_text=True)
    assert "普法帆布袋" in page and code not in page
    # Others search by who redeemed, never by a code: no oracle to spell one out.
    for term in (code, code[:4]):
        assert "普法帆布袋" not in reviewer.get(f"/admin/redemptions/?search={term}").get_data(as_text=True)


def test_the_event_list_links_to_the_projector_for_admins_only(panel, make, world):
    projector = f"/admin/events/projector/{world['event']}"
    assert projector in _client(panel, make, "admin").get("/admin/events/").get_data(as_text=True)
    for role in ("editor", "reviewer"):
        assert projector not in _client(panel, make, role).get("/admin/events/").get_data(as_text=True)


def test_every_panel_view_is_in_the_table(app):
    [panel] = app.extensions["admin"]
    registered = {view.endpoint for view in panel._views} - {"auth"}  # login and logout are everyone's
    assert registered == {s.endpoint.split("/")[0] for s in SCREENS}
    assert all(set(s.access) == set(ROLES) for s in SCREENS)


def test_the_readme_table_has_a_row_per_screen():
    table = readme_table()
    assert len(table.splitlines()) == len(SCREENS) + 2 and re.search(r"\| 绑定码表 \| 查看 \| — \| — \|", table)


if __name__ == "__main__":
    print(readme_table())
