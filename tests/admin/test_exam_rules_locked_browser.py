"""A sat exam's edit page in a real browser: the notice says what is locked, saving a
locked change is refused with why, and 复制为新考试 asks first, then opens the copy."""
import pytest
from playwright.sync_api import expect

from core.extensions import db
from quiz_bank.exams.models import Exam, PaperRule
from tests.admin.conftest import table_rows
from tests.quiz_bank.test_exam_results import attempt, cadre


@pytest.mark.committing
def test_a_sat_exam_says_what_is_locked_and_copies_itself_on_confirmation(open_panel, make):
    username = make.admin("admin").username
    civil = make.category(name="民法典")
    make.questions(8, civil)
    unit = make.org_unit(kind="department", name="司法所")
    exam = make.exam(title="2026年度学法考试", rules=[(civil, "single", 5, 20)])
    attempt(exam, cadre(make, unit, name="张三"), 80)
    exam_id = exam.id
    db.session.commit()

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/exams/edit/?id={exam_id}")
    expect(page.locator("#exam-locked")).to_contain_text("本场考试已有 1 人次作答")
    expect(page.locator("#paper-total-score")).to_have_text("100")  # the page's own script still runs

    # A locked change: the form comes back with why, and nothing is saved.
    page.fill("#pass_score", "80")
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    expect(page.locator(".alert-danger")).to_contain_text("这次改动了：合格分")
    assert table_rows(Exam)[0]["pass_score"] == 60

    # Dismissed: nothing happens.
    page.once("dialog", lambda d: (panel.dialogs.append(d.message), d.dismiss()))
    page.click("#copy-exam-form button")
    page.wait_for_timeout(300)
    assert len(table_rows(Exam)) == 1 and panel.dialogs == ["复制“2026年度学法考试”为新考试？副本的开放时间与本场相同，请在副本中修改后保存。"]

    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("#copy-exam-form button")
    exams = table_rows(Exam)
    assert [e["title"] for e in exams] == ["2026年度学法考试", "2026年度学法考试（副本）"]
    assert panel.path().startswith(f"/admin/exams/edit/?id={exams[1]['id']}")
    expect(page.locator(".alert-success")).to_contain_text("已复制为新考试“2026年度学法考试（副本）”")
    expect(page.locator("#exam-locked")).to_have_count(0)

    # The copy takes the change.
    page.fill("#pass_score", "80")
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    assert {e["title"]: e["pass_score"] for e in table_rows(Exam)} == {"2026年度学法考试": 60, "2026年度学法考试（副本）": 80}
    assert sorted((r["exam_id"], r["count"], r["points"]) for r in table_rows(PaperRule)) == [(exam_id, 5, 20), (exams[1]["id"], 5, 20)]
