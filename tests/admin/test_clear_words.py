"""Clear words in the panel (issue 17, part 6): 对/错 for a 判断题's answer, the audit log
in Chinese with search and filters, lists with their states in words, exam statistics a
clerk can read, styled error pages and the panel's icon. Through the Flask test client."""
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import select

from accounts import audit
from accounts.models import AuditLog
from admin.views import ACTION_LABELS, ENTITY_LABELS
from core.extensions import db
from core.timeutil import from_local, utcnow
from points import rewards
from tests.admin.conftest import login
from tests.quiz_bank.test_exam_results import attempt, cadre

ROOT = Path(__file__).resolve().parents[2]


def _login(client, make, role):
    admin = make.admin(role)
    login(client, admin)
    return admin


def _page(client, path, **query) -> str:
    r = client.get(path, query_string=query)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _cells(page: str, column: str) -> list[str]:
    """The texts of one column of a Flask-Admin list, top to bottom."""
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)]


def _headers(table: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


def _filter(client, path: str, name: str, position: int = 0) -> str:
    """The query argument of a list's filter, as the list's filter menu writes it
    (`position`: its place among the filters applied at once)."""
    page = _page(client, path)
    menu = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    return f"flt{position}_{menu[name][0]['arg']}"


def _app_sources():
    for top in ROOT.iterdir():
        if top.is_dir() and not top.name.startswith(".") and top.name != "tests":
            yield from top.rglob("*.py")


def _beijing(text: str) -> datetime:
    return from_local(datetime.strptime(text, "%Y-%m-%d %H:%M"))


# -- 对/错 ---------------------------------------------------------------------------


def test_a_true_false_answer_reads_dui_or_cuo_in_the_list_details_and_form_and_saves_unchanged(panel, make):
    law = make.category(name="民法典（判断）")
    question = make.question(law, type="true_false", answer=["F"], stem="离婚冷静期为六十日。",
                             source="《民法典》第一千零七十七条")
    _login(panel, make, "editor")

    listed = _page(panel, "/admin/questions/", search="离婚冷静期")
    assert _cells(listed, "answer") == ["错"]
    details = _page(panel, "/admin/questions/details/", id=question.id)
    assert re.search(r"<td>\s*错\s*</td>", details) and "对 / 错" in details
    assert not re.search(r"<td>\s*F\s*</td>", details) and "T. 正确" not in details
    form = _page(panel, "/admin/questions/edit/", id=question.id)
    assert re.search(r'name="answer"[^>]*value="错"|value="错"[^>]*name="answer"', form)

    # Saving the form as it was filled in keeps the answer 错 (F inside).
    r = panel.post(f"/admin/questions/edit/?id={question.id}", data={
        "category": str(law.id), "type": "true_false", "stem": question.stem, "answer": "错",
        "explanation": "", "source": question.source, "difficulty": "1", "status": "active",
    })
    assert r.status_code == 302
    db.session.refresh(question)
    assert question.answer == ["F"]


def test_the_import_preview_shows_dui_and_cuo(panel, make):
    _login(panel, make, "editor")
    sheet = ("题型,分类,题干,选项A,选项B,答案,解析,出处,难度\n"
             "判断,民法典,结婚应当男女双方完全自愿。,,,正确,,《民法典》第一千零四十六条,1\n"
             "判断,民法典,夫妻一方可以单方决定收养子女。,,,×,,《民法典》第一千一百零一条,1\n")
    r = panel.post("/admin/import/preview", data={"file": (io.BytesIO(sheet.encode("utf-8")), "判断题.csv")},
                   content_type="multipart/form-data")
    table = r.get_data(as_text=True).split('id="new-questions"')[1].split("</table>")[0]
    rows = {cells[3]: cells[4] for cells in (re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S))
            if cells}
    assert rows == {"结婚应当男女双方完全自愿。": "对", "夫妻一方可以单方决定收养子女。": "错"}


# -- the audit log -------------------------------------------------------------------


def test_the_audit_log_names_what_was_done_to_what_in_chinese(panel, make):
    clerk = make.admin("admin", username="wangli")
    audit.record(clerk.id, "update", "redemption", 7, "发放奖品：保温杯，领取码 K3M9Q2")
    audit.record(clerk.id, "delete", "event_photo", 12, "删除活动照片 宣讲现场.jpg")
    audit.record(clerk.id, "create", "exam", 3, "为“2026年度学法考试”生成补考")
    audit.record(clerk.id, "import", "cadre", "", "导入干部花名册 花名册.xlsx：新增 3 人")
    audit.record(None, "login_failed", "admin_session", "", "地址 10.0.0.8 登录 wangli：用户名、密码或验证码错误")
    _login(panel, make, "reviewer")

    page = _page(panel, "/admin/audit/", search="wangli")
    assert _cells(page, "entity") == ["后台登录"]
    assert _cells(page, "admin") == ["—"]
    page = _page(panel, "/admin/audit/", **{_filter(panel, "/admin/audit/", "操作人"): clerk.id})
    assert _cells(page, "entity") == ["干部", "考试", "活动照片", "兑换记录"]
    assert _cells(page, "action") == ["导入", "新建", "删除", "修改"]
    assert _cells(page, "admin") == ["wangli"] * 4


def test_every_object_the_app_records_has_a_chinese_name(app):
    """Whatever is recorded, by a panel view's save or by audit.record anywhere in the
    app, reads in Chinese in the log (not as a table name)."""
    entities = {view.model.__tablename__ for view in app.extensions["admin"][0]._views
                if isinstance(view, ModelView) and view.model.__tablename__ != "audit_log"}
    for path in _app_sources():
        source = path.read_text(encoding="utf-8")
        entities.update(re.findall(r'audit\.record\(\s*[^,()]+,\s*"\w+",\s*"(\w+)"', source))
    assert {"redemption", "event_photo", "exam", "question_import", "cadre"} <= entities
    assert entities - set(ENTITY_LABELS) == set()


def test_an_action_without_a_chinese_name_is_refused_where_it_is_recorded(app):
    # Actions are checked as they are recorded, computed ones ("create" if … else "update",
    # audit.VIEWED) included: a new one without its name fails at once, not in the log.
    with pytest.raises(ValueError, match="issue"):
        audit.record(None, "issue", "certificate", 1, "签发合格证书")
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "issue")) is None


def test_the_audit_log_names_every_action_in_chinese_and_filters_by_it(panel, make):
    clerk = make.admin("admin", username="every-action")
    for action in ACTION_LABELS:
        audit.record(clerk.id, action, "exam", 1, f"动作 {action}")
    _login(panel, make, "reviewer")
    page = _page(panel, "/admin/audit/", **{_filter(panel, "/admin/audit/", "操作人"): clerk.id})
    assert sorted(_cells(page, "action")) == sorted(ACTION_LABELS.values())
    assert not re.search(r"[A-Za-z]", "".join(_cells(page, "action")))
    menu = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    assert [label for _, label in menu["操作"][0]["options"]] == list(ACTION_LABELS.values())


def test_the_audit_log_is_filtered_by_operator_action_object_and_beijing_date_and_searched(panel, make):
    a, b = make.admin("admin", username="zhaomin"), make.admin("admin", username="sunhao")
    entries = [  # (who, action, object, Beijing time, summary)
        (a, "create", "exam", "2026-02-28 23:30", "新建考试：宪法知识测试"),
        (a, "update", "redemption", "2026-03-01 00:30", "发放奖品：保温杯"),
        (b, "delete", "event_photo", "2026-03-01 23:30", "删除活动照片 村委会.jpg"),
        (b, "update", "cadre", "2026-03-02 00:10", "解除绑定并换新绑定码：李明"),
    ]
    for who, action, entity, _, summary in entries:
        audit.record(who.id, action, entity, 1, summary)
    db.session.flush()
    when = {summary: _beijing(at) for _, _, _, at, summary in entries}
    for row in db.session.scalars(select(AuditLog).where(AuditLog.summary.in_(when))):
        row.created_at = when[row.summary]
    db.session.flush()
    _login(panel, make, "reviewer")
    mine = set(when)

    def summaries(**query):
        return [s for s in _cells(_page(panel, "/admin/audit/", **query), "summary") if s in mine]

    assert summaries(**{_filter(panel, "/admin/audit/", "操作人"): a.id}) == ["发放奖品：保温杯", "新建考试：宪法知识测试"]
    assert summaries(**{_filter(panel, "/admin/audit/", "操作"): "delete"}) == ["删除活动照片 村委会.jpg"]
    assert summaries(**{_filter(panel, "/admin/audit/", "对象"): "redemption"}) == ["发放奖品：保温杯"]
    # 1 March in Beijing: from 00:00 to 24:00 there, whatever the hour in UTC.
    assert summaries(**{_filter(panel, "/admin/audit/", "日期"): "2026-03-01 to 2026-03-01"}) == ["删除活动照片 村委会.jpg", "发放奖品：保温杯"]
    assert summaries(search="保温杯") == ["发放奖品：保温杯"]
    both = {_filter(panel, "/admin/audit/", "操作人"): b.id, _filter(panel, "/admin/audit/", "对象", position=1): "cadre"}
    assert summaries(**both) == ["解除绑定并换新绑定码：李明"]


# -- lists ---------------------------------------------------------------------------


def test_lists_say_states_in_words(panel, make):
    now = utcnow()
    make.cadre(name="周新任", newly_promoted=True)
    make.reward(name="法治宣传帆布袋", visible=True)
    for title, start in (("宪法宣传周启动仪式", now + timedelta(days=2)), ("民法典进村宣讲会", now - timedelta(minutes=10)),
                         ("禁毒知识讲座", now - timedelta(days=3))):
        make.event(title=title, starts_at=start, ends_at=start + timedelta(hours=2))
    _login(panel, make, "admin")

    cadres = _page(panel, "/admin/cadres/", search="周新任")
    assert _cells(cadres, "newly_promoted") == ["是"] and _cells(cadres, "active") == ["是"]
    rewards_page = _page(panel, "/admin/rewards/", search="帆布袋")
    assert _cells(rewards_page, "visible") == ["是"] and _cells(rewards_page, "per_user_limit") == ["不限"]
    assert "是" in _cells(_page(panel, "/admin/admins/"), "active")
    events = _page(panel, "/admin/events/")
    states = dict(zip(_cells(events, "title"), _cells(events, "state")))
    assert {states["宪法宣传周启动仪式"], states["民法典进村宣讲会"], states["禁毒知识讲座"]} == {"未开始", "进行中", "已结束"}
    assert states["宪法宣传周启动仪式"] == "未开始" and states["禁毒知识讲座"] == "已结束"


def test_events_and_redemptions_are_filtered_by_beijing_date(panel, make):
    make.event(title="三月一日零点半的宣讲", starts_at=_beijing("2026-03-01 00:30"), ends_at=_beijing("2026-03-01 02:00"))
    make.event(title="二月末深夜的宣讲", starts_at=_beijing("2026-02-28 23:00"), ends_at=_beijing("2026-03-01 00:10"))
    person = make.rich_user(points=100, real_name="陈晓燕")
    redemption = rewards.redeem(person.id, make.reward(name="普法台历", cost=20).id)
    other = rewards.redeem(make.rich_user(points=100, real_name="刘建国").id, make.reward(name="雨伞", cost=20).id)
    redemption.created_at = _beijing("2026-03-01 07:00")  # 2月28日 23:00 in UTC
    other.created_at = _beijing("2026-03-02 09:00")
    db.session.flush()
    _login(panel, make, "reviewer")

    events = _page(panel, "/admin/events/", **{_filter(panel, "/admin/events/", "开始日期"): "2026-03-01 to 2026-03-01"})
    assert _cells(events, "title") == ["三月一日零点半的宣讲"]
    day = _page(panel, "/admin/redemptions/", **{_filter(panel, "/admin/redemptions/", "兑换日期"): "2026-03-01 to 2026-03-01"})
    assert _cells(day, "reward") == ["普法台历"] and _cells(day, "user") == ["陈晓燕"] and _cells(day, "status") == ["待领取"]


# -- exam statistics -----------------------------------------------------------------


def test_an_exam_not_yet_open_says_not_started_instead_of_zero_percent(panel, make):
    unit = make.org_unit(kind="department", name="综治办")
    exam = make.exam(title="新提拔干部任前考试", assign_all=False, opens_at=utcnow() + timedelta(days=2),
                     closes_at=utcnow() + timedelta(days=3))
    exam.units = [unit]
    cadre(make, unit, name="吴敏")
    db.session.flush()
    _login(panel, make, "reviewer")

    listed = _page(panel, "/admin/exam-results/")
    row = re.search(rf'<tr data-exam-id="{exam.id}">(.*?)</tr>', listed, re.S).group(1)
    assert re.findall(r'<td class="text-right">([^<]*)</td>', row) == ["1", "0", "0", "未开始"]
    detail = _page(panel, f"/admin/exam-results/{exam.id}/")
    total = re.findall(r"<td[^>]*>([^<]*)</td>", detail.split('id="total-row"')[1].split("</tr>")[0])
    assert total[:6] == ["合计", "1", "0", "0", "0", "未开始"]
    assert "0.0%" not in detail.split('id="unit-table"')[1].split("</table>")[0]


def _closed_exam_with_questions(make, n_questions):
    unit = make.org_unit(kind="department", name="司法所（统计）")
    law = make.category(name="民法典（试题分析）")
    questions = make.questions(n_questions, law)
    exam = make.exam(title="2026年度民法典考试", rules=[(law, "single", n_questions, 10)], assign_all=False,
                     opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(days=1))
    exam.units = [unit]
    db.session.flush()
    attempt(exam, cadre(make, unit, name="郑强"), 80, items=[(q, i % 3 != 0) for i, q in enumerate(questions)])
    attempt(exam, cadre(make, unit, name="冯丽"), 40, items=[(q, i % 2 == 0) for i, q in enumerate(questions)])
    return exam, questions


def test_the_exam_statistics_have_distinct_column_titles(panel, make):
    exam, _ = _closed_exam_with_questions(make, 3)
    _login(panel, make, "reviewer")

    listed = _page(panel, "/admin/exam-results/").split('id="exam-list"')[1].split("</thead>")[0]
    detail = _page(panel, f"/admin/exam-results/{exam.id}/").split('id="unit-table"')[1].split("</thead>")[0]
    for titles in (_headers(listed), _headers(detail)):
        assert len(titles) == len(set(titles)), titles
        assert "合格人数" in titles
    assert {"优秀等次", "良好等次", "合格等次", "不合格等次"} <= set(_headers(detail))


def test_the_question_analysis_comes_twenty_questions_a_page(panel, make):
    exam, questions = _closed_exam_with_questions(make, 25)
    _login(panel, make, "reviewer")

    def shown(**query):
        page = _page(panel, f"/admin/exam-results/{exam.id}/", **query)
        table = page.split('id="question-stats"')[1].split("</table>")[0]
        return page, [int(i) for i in re.findall(r'data-question-id="(\d+)"', table)]

    first, on_first = shown()
    assert len(on_first) == 20 and "共 25 题" in first
    assert f'href="/admin/exam-results/{exam.id}/?qpage=2#question-analysis"' in first
    _, on_second = shown(qpage=2)
    assert len(on_second) == 5
    assert sorted(on_first + on_second) == sorted(q.id for q in questions)
    # A page past the end shows the last one.
    assert shown(qpage=9)[1] == on_second


# -- error pages and the icon ---------------------------------------------------------


def test_a_missing_panel_page_is_a_styled_chinese_page_and_the_api_keeps_json(panel, make, client):
    def missing(path):
        r = panel.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html"
        page = r.get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and "<style>" in page
        assert "页面不存在" in page and re.search(r'<a class="home" href="/admin/">返回首页</a>', page)
        assert 'rel="icon" href="/static/favicon.ico"' in page

    missing("/admin/no-such-screen/")
    _login(panel, make, "reviewer")
    missing("/admin/exam-results/999999/")
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json and api.get_json()["code"] == "not_found"


def test_the_panel_has_its_own_icon_served_by_the_app(client):
    r = client.get("/static/favicon.ico")
    assert r.status_code == 200 and r.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    login_page = client.get("/admin/auth/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.ico"' in login_page


def test_a_refused_page_is_the_styled_chinese_403(panel, make):
    from tests.admin.conftest import login

    login(panel, make.admin("reviewer"))
    r = panel.get("/admin/questions/new/")
    page = r.get_data(as_text=True)
    assert r.status_code == 403 and "当前账号没有权限进行此操作。" in page and "返回首页" in page and "favicon" in page


def test_the_exam_form_asks_for_cadres_in_chinese(panel, make):
    from tests.admin.conftest import login

    login(panel, make.admin("admin"))
    page = panel.get("/admin/exams/new/").get_data(as_text=True)
    assert "输入姓名或手机号查找干部" in page and "Please select model" not in page and "请选择模型" not in page


def test_the_event_form_says_when_there_is_no_on_site_quiz(panel, make):
    from tests.admin.conftest import login

    login(panel, make.admin("admin"))
    page = panel.get("/admin/events/new/").get_data(as_text=True)
    assert "（不设现场答题）" in page and ">__None<" not in page


def test_every_column_a_list_or_a_row_page_shows_is_named_in_chinese(app):
    """A column the clerk sees is never titled by its code name (User, Created At, Image Mime)."""
    han = re.compile(r"[\u4e00-\u9fff]")
    with app.test_request_context():
        views = [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]
        unnamed = [(v.endpoint, name, label) for v in views
                   for name, label in [*v.get_list_columns(), *(v.get_details_columns() if v.can_view_details else [])]
                   if label and not han.search(label)]
    assert len(views) > 10 and unnamed == []
