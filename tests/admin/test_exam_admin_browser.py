"""Exams and the cadre roster in the panel, in a real browser."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from accounts.models import AuditLog, Cadre
from core.extensions import db
from quiz_bank.exams.models import Exam, PaperRule
from tests.admin.conftest import table_rows
from tests.admin.test_panel_browser import _select2_choose

browser_test = pytest.mark.committing


def _fill_time(page, selector: str, value: str) -> None:
    """Type into a date-time picker as a person does: the picker reads the text on a key
    release and writes its own value back when it closes."""
    page.fill(selector, value)
    page.press(selector, "End")
    page.press(selector, "Tab")
    expect(page.locator(selector)).to_have_value(value)


def _add_rule(page, index: int, category: str, qtype: str, count: int, points: int) -> None:
    page.click("#rules-button")
    _select2_choose(page, f"#s2id_rules-{index}-category", category)
    _select2_choose(page, f"#s2id_rules-{index}-qtype", qtype)
    page.fill(f"#rules-{index}-count", str(count))
    page.fill(f"#rules-{index}-points", str(points))


@browser_test
def test_admin_creates_an_exam_seeing_the_total_as_rules_are_added(open_panel, make):
    username = make.admin(role="admin").username
    civil = make.category(name="民法典")
    make.questions(12, civil)
    make.questions(6, civil, type="true_false")
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/exams/new/")
    page.fill("#title", "2026年度领导干部学法考试")
    _select2_choose(page, "#s2id_kind", "年度学法考试")
    _fill_time(page, "#opens_at", "2026-12-01 09:00:00")
    _fill_time(page, "#closes_at", "2026-12-10 18:00:00")
    page.fill("#duration_minutes", "60")
    page.fill("#pass_score", "60")
    page.check("#assign_all")
    expect(page.locator("#paper-total-score")).to_have_text("0")
    _add_rule(page, 0, "民法典", "单选", 10, 8)
    expect(page.locator("#paper-total-score")).to_have_text("80")
    _add_rule(page, 1, "民法典", "判断", 5, 4)
    expect(page.locator("#paper-total-score")).to_have_text("100")
    expect(page.locator("#paper-total-count")).to_have_text("15")
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    assert "/admin/exams/" in panel.path() and "new" not in panel.path(), panel.flashes()
    exam = table_rows(Exam)[0]
    # Typed in Beijing time, stored in UTC.
    assert str(exam["opens_at"]).startswith("2026-12-01 01:00") and str(exam["closes_at"]).startswith("2026-12-10 10:00")
    rules = table_rows(PaperRule)
    assert sorted((r["qtype"], r["count"], r["points"]) for r in rules) == [("single", 10, 8), ("true_false", 5, 4)]
    assert any("100" in a["summary"] for a in table_rows(AuditLog))
    expect(page.locator("table.model-list")).to_contain_text("100（15 题）")


@browser_test
def test_exam_with_more_questions_than_the_bank_has_is_refused(open_panel, make):
    username = make.admin(role="admin").username
    make.questions(3, make.category(name="宪法"))
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/exams/new/")
    page.fill("#title", "题目不够的考试")
    _fill_time(page, "#opens_at", "2026-12-01 09:00:00")
    _fill_time(page, "#closes_at", "2026-12-10 18:00:00")
    page.check("#assign_all")
    _add_rule(page, 0, "宪法", "单选", 5, 20)
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    assert any("只有 3 道" in f for f in panel.flashes()), panel.flashes()
    assert table_rows(Exam) == []


@browser_test
def test_roster_import_preview_confirm_and_binding_codes(open_panel, make, tmp_path):
    username = make.admin(role="admin").username
    make.org_unit(name="镇党政办", kind="department")
    db.session.commit()
    book = Workbook()
    book.active.append(["姓名", "手机号", "单位", "职务", "是否新提拔"])
    book.active.append(["陈静", "13811112222", "镇党政办", "主任", "否"])
    book.active.append(["刘洋", "13833334444", "镇党政办", "副主任", "是"])
    path = tmp_path / "花名册.xlsx"
    book.save(path)

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/roster/")
    page.set_input_files("#roster-upload input[type=file]", str(path))
    with page.expect_navigation():
        page.click("#roster-upload button[type=submit]")
    expect(page.locator("#summary")).to_contain_text("新增 2 人")
    expect(page.locator("#rows")).to_contain_text("刘洋")
    with page.expect_navigation():
        page.click("#confirm-form button[type=submit]")
    assert panel.path().startswith("/admin/cadres/")
    expect(page.locator("table.model-list")).to_contain_text("陈静")
    cadres = table_rows(Cadre)
    assert {c["name"] for c in cadres} == {"陈静", "刘洋"} and all(len(c["binding_code"]) == 8 for c in cadres)

    panel.goto("/admin/roster/")
    with page.expect_download() as download:
        page.click("#binding-codes")
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    codes = {row[0]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == {c["name"]: c["binding_code"] for c in cadres}
