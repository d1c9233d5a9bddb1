"""The admin panel in a real browser (Chromium via Playwright), as township staff use it.

Every browser test builds its rows, commits them (the server thread must see them),
then works through the panel and checks the database afterwards. The `open_panel`
fixture fails a test whose pages reached for anything but the local server.
"""
import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from quiz_bank.models import Question, QuizItem
from quiz_bank.quizzes import start_quiz
from tests.admin.conftest import PASSWORD, csrf_token_from, table_rows

browser_test = pytest.mark.committing


def _select2_choose(page, container: str, text: str) -> None:
    """Pick `text` in a select2 (v3) widget the way a person does: open, type, click."""
    page.click(f"{container} .select2-choice")
    page.keyboard.type(text)
    page.locator(".select2-drop-active .select2-result-label").filter(has_text=re.compile(f"^{re.escape(text)}$")).click()
    expect(page.locator(f"{container} .select2-chosen")).to_have_text(text)


def _list_stems(page) -> list[str]:
    return [s.strip() for s in page.locator("table.model-list tbody td.col-stem").all_inner_texts()]


def _fill_question(page, *, category: str, stem: str, options: list[str], answer: str, source: str, difficulty: int) -> None:
    _select2_choose(page, "#s2id_category", category)
    page.select_option("#type", label="单选")
    page.fill("#stem", stem)
    for key, text in zip("abcdefgh", options):
        page.fill(f"#option_{key}", text)
    page.fill("#answer", answer)
    page.fill("#source", source)
    page.fill("#difficulty", str(difficulty))


def _save(page) -> None:
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')


# 1. Login ------------------------------------------------------------------------------

@browser_test
def test_login_dashboard_logout_and_redirect_to_login_work_offline_in_chinese(open_panel, make):
    admin = make.admin(role="admin")
    username = admin.username
    make.questions(3)
    make.question(status="retired")
    db.session.commit()
    panel = open_panel()
    page = panel.page

    panel.goto("/admin/auth/login")
    expect(page.locator("h4")).to_have_text("管理后台登录")
    expect(page.locator("label[for=username]")).to_have_text("用户名")
    expect(page.locator("label[for=password]")).to_have_text("密码")

    # A wrong password, or an unknown name, is refused with the same Chinese message.
    panel.login(username, "not-the-password")
    expect(page.locator(".alert-danger")).to_contain_text("用户名、密码或动态验证码错误")
    assert panel.path() == "/admin/auth/login"
    expect(page.locator("#password")).to_have_value("")
    page.fill("#username", "nobody-here")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("用户名、密码或动态验证码错误")

    # The right password lands on the dashboard, which counts only active questions.
    panel.login(username)
    assert panel.path() == "/admin/"
    expect(page.locator("body")).to_contain_text(f"欢迎，{username}（管理员）")
    stat = page.locator(".card-body", has_text="题库中启用的题目").locator(".stat-value")
    expect(stat).to_have_text("3")
    expect(page.locator("a.navbar-brand")).to_have_text("普法积分管理后台")
    expect(page.locator("nav")).to_contain_text("题库")

    # Styles and scripts really loaded, from the server itself.
    assert page.evaluate("() => typeof window.jQuery") == "function"
    assert page.evaluate("() => getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    static = [u for u in panel.requests if "/admin/static/" in u]
    assert any(".css" in u for u in static) and any(".js" in u for u in static)
    assert panel.foreign_requests() == []

    # Logging out ends the session.
    page.click("a.nav-link:text-is('退出登录')")
    assert panel.path().startswith("/admin/auth/login")
    expect(page.locator(".alert")).to_contain_text("已退出登录")

    # Logged out, the question list sends you to the login page, and back after login.
    panel.goto("/admin/questions/")
    assert unquote(panel.path()).startswith("/admin/auth/login?next=/admin/questions/")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert panel.path().startswith("/admin/questions/")
    expect(page.locator("h4")).to_have_text("题目")


# 2. Create, search, filter ---------------------------------------------------------------

@browser_test
def test_editor_creates_a_question_then_finds_it_by_search_and_by_category(open_panel, make):
    editor = make.admin(role="editor")
    username = editor.username
    minors = make.category(name="未成年人保护法", slug="minors")
    minors_id = minors.id
    other = make.category(name="道路交通安全法", slug="traffic")
    other_stem = make.question(other, stem="机动车在道路上发生故障时应当怎么做？").stem
    db.session.commit()

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/questions/")
    page.click("a.nav-link[title='创建新记录']")
    assert panel.path().startswith("/admin/questions/new/")

    stem = "八周岁以上的未成年人属于哪一类民事行为能力人？"
    options = ["完全民事行为能力人", "限制民事行为能力人", "无民事行为能力人", "视情况而定"]
    _fill_question(page, category="未成年人保护法", stem=stem, options=options, answer="B",
                   source="《民法典》第十七条", difficulty=2)
    page.fill("#explanation", "八周岁以上的未成年人为限制民事行为能力人。")
    _save(page)

    assert panel.path().startswith("/admin/questions/")
    expect(page.locator(".alert-success")).to_contain_text("成功")
    rows = table_rows(Question, Question.stem == stem)
    assert len(rows) == 1
    q = rows[0]
    assert q["category_id"] == minors_id and q["type"] == "single"
    assert q["options"] == [{"key": k, "text": t} for k, t in zip("ABCD", options)]
    assert q["answer"] == ["B"] and q["source"] == "《民法典》第十七条" and q["difficulty"] == 2
    assert q["status"] == "active" and q["version"] == 1 and q["previous_id"] is None

    # Search by (part of) the stem.
    page.fill("input[name=search]", "民事行为能力")
    with page.expect_navigation():
        page.click("button:text-is('搜索')")
    assert _list_stems(page) == [stem]
    row = page.locator("table.model-list tbody tr")
    expect(row.locator("td.col-category")).to_have_text("未成年人保护法")
    expect(row.locator("td.col-type")).to_have_text("单选")
    expect(row.locator("td.col-answer")).to_have_text("B")
    expect(row.locator("td.col-status")).to_have_text("启用")

    # Filter on the category, through the filter menu.
    panel.goto("/admin/questions/")
    assert sorted(_list_stems(page)) == sorted([stem, other_stem])
    page.click("a.nav-link:text-is('添加筛选器')")
    page.click(".field-filters a.filter:text-is('分类')")
    _select2_choose(page, "table.filters .select2-container.filter-op", "等于")
    page.fill("table.filters input.filter-val", "未成年人保护法")
    with page.expect_navigation():
        page.click("#filter_form button:text-is('应用')")
    assert _list_stems(page) == [stem]
    expect(page.locator("ul.nav-tabs a.nav-link.active")).to_have_text("列表 (1)")


# 3. Invalid questions --------------------------------------------------------------------

@browser_test
def test_invalid_question_shows_the_problems_in_chinese_and_creates_nothing(open_panel, make):
    editor = make.admin(role="editor")
    username = editor.username
    make.category(name="民法典", slug="civil")
    db.session.commit()

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/questions/new/")
    stem = "自然人的民事权利能力始于何时？"
    _fill_question(page, category="民法典", stem=stem, options=["出生", "成年", "结婚", "就业"], answer="E",
                   source="民法典17条", difficulty=1)
    _save(page)

    errors = page.locator(".alert-danger")
    expect(errors.filter(has_text="答案 E 不在选项中")).to_have_count(1)
    expect(errors.filter(has_text="出处须写成《法律简称》第X条")).to_have_count(1)
    assert table_rows(Question) == []
    assert table_rows(AuditLog, AuditLog.entity != "admin_session") == []  # only the login
    # What was typed is still there to correct.
    expect(page.locator("#stem")).to_have_value(stem)
    expect(page.locator("#option_d")).to_have_value("就业")

    page.fill("#answer", "A")
    _save(page)
    expect(errors.filter(has_text="出处须写成")).to_have_count(1)
    expect(errors.filter(has_text="不在选项中")).to_have_count(0)
    assert table_rows(Question) == []

    page.fill("#source", "《民法典》第十三条")
    _save(page)
    expect(page.locator(".alert-success")).to_have_count(1)
    rows = table_rows(Question)
    assert [(r["stem"], r["answer"], r["source"]) for r in rows] == [(stem, ["A"], "《民法典》第十三条")]


# 4. Editing an answered question makes a new version ------------------------------------

@browser_test
def test_editing_an_answered_question_saves_a_new_version_and_retires_the_old(open_panel, make):
    editor = make.admin(role="editor")
    username = editor.username
    cat = make.category(name="劳动合同法", slug="labour")
    old = make.question(cat, stem="用人单位应当自用工之日起多久内订立书面劳动合同？", answer=["B"])
    old_id, cat_id, old_options = old.id, cat.id, old.options
    # A question nobody has been given yet: its edits change it in place.
    fresh = make.question(make.category(name="消费者权益保护法", slug="consumer"), stem="经营者提供商品应当明码标价吗？")
    fresh_id = fresh.id
    user_id = make.user().id
    db.session.commit()
    quiz, created = start_quiz(user_id, "practice", cat_id)
    assert created
    quiz_id = quiz.id
    db.session.rollback()  # release the database for the server thread
    assert [r["question_id"] for r in table_rows(QuizItem, QuizItem.quiz_id == quiz_id)] == [old_id]

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/questions/")
    page.click(f"table.model-list a[title='编辑记录'][href*='id={old_id}&']")
    assert panel.path().startswith(f"/admin/questions/edit/?id={old_id}")
    # The form shows the question as it is.
    expect(page.locator("#option_a")).to_have_value(old_options[0]["text"])
    expect(page.locator("#option_d")).to_have_value(old_options[3]["text"])
    expect(page.locator("#answer")).to_have_value("B")
    expect(page.locator("#s2id_category .select2-chosen")).to_have_text("劳动合同法")

    new_stem = "用人单位自用工之日起最迟多久内应当与劳动者订立书面劳动合同？"
    page.fill("#stem", new_stem)
    _save(page)

    rows = {r["id"]: r for r in table_rows(Question, Question.category_id == cat_id)}
    assert len(rows) == 2
    old_row = rows.pop(old_id)
    new_row = next(iter(rows.values()))
    assert old_row["status"] == "retired" and old_row["version"] == 1
    assert old_row["stem"] == "用人单位应当自用工之日起多久内订立书面劳动合同？"  # history kept
    assert new_row["status"] == "active" and new_row["version"] == 2 and new_row["previous_id"] == old_id
    assert new_row["stem"] == new_stem and new_row["options"] == old_options and new_row["answer"] == ["B"]
    # The quiz still points at what was actually asked.
    assert [r["question_id"] for r in table_rows(QuizItem, QuizItem.quiz_id == quiz_id)] == [old_id]

    notice = page.locator(".alert", has_text="新版本")
    expect(notice).to_contain_text(f"新版本（编号 {new_row['id']}）")
    expect(notice).to_contain_text("原题已停用")
    audit = table_rows(AuditLog, AuditLog.action == "new_version")
    assert [(a["entity"], a["entity_id"]) for a in audit] == [("question", str(new_row["id"]))]

    # In the list, the old version shows as retired, the new one as version 2.
    old_tr = page.locator("table.model-list tbody tr", has=page.locator(f"input.action-checkbox[value='{old_id}']"))
    new_tr = page.locator("table.model-list tbody tr", has=page.locator(f"input.action-checkbox[value='{new_row['id']}']"))
    expect(old_tr.locator("td.col-status")).to_have_text("停用")
    expect(new_tr.locator("td.col-status")).to_have_text("启用")
    expect(new_tr.locator("td.col-version")).to_have_text("2")

    # An unanswered question is simply corrected.
    panel.goto(f"/admin/questions/edit/?id={fresh_id}")
    page.fill("#stem", "经营者销售商品应当明码标价吗？")
    _save(page)
    expect(page.locator(".alert", has_text="新版本")).to_have_count(0)
    fresh_rows = table_rows(Question, Question.category_id != cat_id)
    assert [(r["id"], r["version"], r["status"], r["stem"]) for r in fresh_rows] == [
        (fresh_id, 1, "active", "经营者销售商品应当明码标价吗？")
    ]


@browser_test
def test_save_and_continue_editing_an_answered_question_continues_on_the_new_version(open_panel, make):
    username = make.admin(role="editor").username
    cat = make.category()
    old_id, cat_id, user_id = make.question(cat).id, cat.id, make.user().id
    db.session.commit()
    start_quiz(user_id, "practice", cat_id)
    db.session.rollback()

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto(f"/admin/questions/edit/?id={old_id}")
    page.fill("#stem", "第二版题干：当事人可以协商解决纠纷吗？")
    with page.expect_navigation():
        page.click("form.admin-form input[name=_continue_editing]")
    new_id = next(r["id"] for r in table_rows(Question) if r["previous_id"] == old_id)
    # Still editing, and what is on screen is the version just saved.
    assert panel.path().startswith(f"/admin/questions/edit/?id={new_id}&")
    expect(page.locator("#stem")).to_have_value("第二版题干：当事人可以协商解决纠纷吗？")


# 5. Retire through the list action -------------------------------------------------------

@browser_test
def test_retire_action_asks_for_confirmation_then_retires_the_selected_question(open_panel, make):
    editor = make.admin(role="editor")
    username = editor.username
    cat = make.category()
    target, keep = make.question(cat).id, make.question(cat).id
    db.session.commit()

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/questions/")
    page.check(f"input.action-checkbox[value='{target}']")

    def run_action(answer: str) -> None:
        page.once("dialog", lambda d: (panel.dialogs.append(d.message), getattr(d, answer)()))
        page.click("a.nav-link.dropdown-toggle:text-is('选中的')")
        page.click(".dropdown-menu a.dropdown-item:text-is('停用')")

    # Cancelling the dialog changes nothing.
    run_action("dismiss")
    page.wait_for_timeout(300)
    assert panel.dialogs == ["确定停用所选题目吗？停用后不再出现在新的答题中。"]
    assert {r["id"]: r["status"] for r in table_rows(Question)} == {target: "active", keep: "active"}

    with page.expect_navigation():
        run_action("accept")
    assert len(panel.dialogs) == 2
    expect(page.locator(".alert-success")).to_contain_text("已停用 1 道题目")
    assert {r["id"]: r["status"] for r in table_rows(Question)} == {target: "retired", keep: "active"}
    row = page.locator("table.model-list tbody tr", has=page.locator(f"input.action-checkbox[value='{target}']"))
    expect(row.locator("td.col-status")).to_have_text("停用")
    assert [(a["action"], a["entity_id"]) for a in table_rows(AuditLog, AuditLog.entity != "admin_session")] == [("retire", str(target))]


# 6. Roles --------------------------------------------------------------------------------

@browser_test
def test_reviewer_reads_but_cannot_create_edit_or_retire(open_panel, make):
    reviewer = make.admin(role="reviewer")
    username = reviewer.username
    cat = make.category(name="反家庭暴力法", slug="dv")
    cat_id, qid = cat.id, make.question(cat).id
    db.session.commit()

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/questions/")
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)
    expect(page.locator("a.nav-link[title='创建新记录']")).to_have_count(0)
    expect(page.locator("a.nav-link", has_text="创建")).to_have_count(0)
    expect(page.locator("a.nav-link.dropdown-toggle", has_text="选中的")).to_have_count(0)
    expect(page.locator("a[title='编辑记录']")).to_have_count(0)
    expect(page.locator("input.action-checkbox")).to_have_count(0)

    # Typing the address of the create or edit form gives a 403 page that says why.
    for path in ("/admin/questions/new/", f"/admin/questions/edit/?id={qid}"):
        response = panel.goto(path)
        assert response.status == 403
        expect(page.locator("body")).to_contain_text("没有权限")
        expect(page.locator("form.admin-form")).to_have_count(0)

    # Nor does posting one (with a valid CSRF token from the reviewer's own session).
    token = csrf_token_from(page.request.get(panel.url("/admin/auth/login")).text())
    r = page.request.post(panel.url("/admin/questions/new/"), form={
        "csrf_token": token, "category": str(cat_id), "type": "single", "stem": "审阅员不应能新建的题目",
        "option_a": "甲", "option_b": "乙", "answer": "A", "source": "《民法典》第一条", "difficulty": "1", "status": "active",
    }, max_redirects=0)
    assert r.status == 403
    r = page.request.post(panel.url("/admin/questions/action/"), form={"csrf_token": token, "action": "retire", "rowid": str(qid)},
                          max_redirects=0)
    assert r.status in (302, 403)
    assert [(q["stem"] == "审阅员不应能新建的题目", q["status"]) for q in table_rows(Question)] == [(False, "active")]

    # Reviewers may read the audit log.
    response = panel.goto("/admin/audit/")
    assert response.status == 200
    expect(page.locator("h4")).to_have_text("操作日志")


@browser_test
def test_editor_is_kept_out_of_the_audit_log_which_admin_sees_with_their_changes(open_panel, make):
    editor, admin = make.admin(role="editor"), make.admin(role="admin")
    editor_name, admin_name = editor.username, admin.username
    qid = make.question(make.category(name="人民调解法", slug="mediation"), stem="人民调解委员会调解民间纠纷收费吗？").id
    db.session.commit()

    ed = open_panel()
    ed.login(editor_name)
    expect(ed.page.locator("nav")).not_to_contain_text("操作日志")
    response = ed.goto("/admin/audit/")
    assert response.status == 403
    expect(ed.page.locator("body")).to_contain_text("没有权限")

    # The editor makes a category and corrects a question.
    ed.goto("/admin/categories/new/")
    ed.page.fill("#name", "农村土地承包法")
    ed.page.fill("#slug", "land")
    _save(ed.page)
    expect(ed.page.locator(".alert-success")).to_have_count(1)
    ed.goto(f"/admin/questions/edit/?id={qid}")
    ed.page.fill("#stem", "人民调解委员会调解民间纠纷是否收取费用？")
    _save(ed.page)
    expect(ed.page.locator(".alert-success")).to_have_count(1)

    ad = open_panel()
    ad.login(admin_name)
    ad.page.click("a.nav-link.dropdown-toggle:has-text('系统')")
    ad.page.click("a.dropdown-item:text-is('操作日志')")
    assert ad.path().startswith("/admin/audit/")
    rows = ad.page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(4)  # with both logins
    seen = set()
    for i in range(4):
        row = rows.nth(i)
        seen.add((row.locator("td.col-admin").inner_text().strip(), row.locator("td.col-action").inner_text().strip(),
                  row.locator("td.col-entity").inner_text().strip()))
    assert seen == {(editor_name, "新建", "法律分类"), (editor_name, "修改", "题目"),
                    (editor_name, "登录", "后台登录"), (admin_name, "登录", "后台登录")}
    expect(rows.filter(has_text="修改")).to_contain_text("人民调解委员会调解民间纠纷是否收取费用？")
    expect(rows.filter(has_text="新建")).to_contain_text("农村土地承包法")


# 7. CSRF ---------------------------------------------------------------------------------

def test_login_post_without_csrf_token_is_rejected(app, make):
    username = make.admin(role="admin").username
    assert app.config.get("WTF_CSRF_ENABLED", True)
    client = app.test_client()

    r = client.post("/admin/auth/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 400
    r = client.post("/admin/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 400
    r = client.get("/admin/questions/")
    assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"]

    # The same post with the form's token signs in: the 400 above was the missing token.
    token = csrf_token_from(client.get("/admin/auth/login").get_data(as_text=True))
    r = client.post("/admin/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/")
    assert client.get("/admin/questions/").status_code == 200


def test_retire_action_without_csrf_token_is_rejected(app, make):
    username = make.admin(role="editor").username
    qid = make.question().id
    client = app.test_client()
    token = csrf_token_from(client.get("/admin/auth/login").get_data(as_text=True))
    client.post("/admin/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert client.get("/admin/questions/").status_code == 200

    r = client.post("/admin/questions/action/", data={"action": "retire", "rowid": str(qid)})
    assert r.status_code == 400
    assert db.session.scalar(select(Question.status).where(Question.id == qid)) == "active"
