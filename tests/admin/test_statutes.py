"""题库 → 法规库, 待复核 and 出处核对 in the panel: an editor imports a law's text (preview,
then confirm), imports its amendment and sees what changed; the questions citing a changed
article wait in 待复核 until confirmed or edited; a reviewer reads but cannot import."""
import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from quiz_bank.models import Question
from statutes.models import Statute
from tests.admin.conftest import login, table_rows
from tests.statutes.helpers import import_law
from tests.statutes.texts import AMENDED, LAW, docx_bytes


def _preview(client, data: bytes, filename: str, **form):
    r = client.post("/admin/statutes/preview", data={"file": (io.BytesIO(data), filename), **form},
                    content_type="multipart/form-data")
    return r, r.get_data(as_text=True)


def _import(client, text: str = LAW, filename: str = "乡村示范法.txt", data: bytes | None = None, **form):
    r, page = _preview(client, data or text.encode(), filename)
    assert r.status_code == 200, page
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    fields = {"token": token, "filename": filename, "name": re.search(r'id="name" name="name" maxlength="100" value="([^"]*)"', page).group(1),
              "version_date": re.search(r'id="version_date" name="version_date"\s+value="([^"]*)"', page).group(1), **form}
    return client.post("/admin/statutes/confirm", data=fields, follow_redirects=True).get_data(as_text=True)


def test_an_editor_previews_and_imports_a_law(panel, make):
    login(panel, make.admin("editor"))
    r, page = _preview(panel, docx_bytes(LAW), "乡村示范法.docx")
    assert "中华人民共和国乡村示范法" in page and "2023年12月29日" in page and "（新法律）" in page
    assert '<td id="article-count">8</td>' in page and "第一分编 通则" in page and "第一节 村务公开" in page
    assert "第七条　本法自2024年1月1日起施行。" in page  # the last article
    assert db.session.scalar(select(Statute)) is None  # nothing stored before confirming
    page = _import(panel, data=docx_bytes(LAW), filename="乡村示范法.docx")
    assert "已导入《乡村示范法》2023年12月29日版本，共 8 条" in page and "第一个版本" in page
    listed = panel.get("/admin/statutes/").get_data(as_text=True)
    assert "乡村示范法" in listed and "2023-12-29" in listed
    statute = db.session.scalar(select(Statute))
    law = panel.get(f"/admin/statutes/{statute.id}").get_data(as_text=True)
    assert "第二编 治理　第一分编 通则　第三章 村务　第一节 村务公开" in law and "（一）财务收支；" in law
    found = panel.get(f"/admin/statutes/{statute.id}?q=村规民约").get_data(as_text=True)
    assert "第四条" in found and "第五条" not in found
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "statute"))
    assert entry.action == "import" and "乡村示范法" in entry.summary


def test_a_reviewer_reads_the_library_but_cannot_import(panel, make):
    import_law()
    statute_id = db.session.scalar(select(Statute.id))
    reviewer = panel
    login(reviewer, make.admin("reviewer"))
    index = reviewer.get("/admin/statutes/").get_data(as_text=True)
    assert "乡村示范法" in index and "statute-upload" not in index
    assert reviewer.get(f"/admin/statutes/{statute_id}").status_code == 200
    assert reviewer.get("/admin/source-check/").status_code == 200
    assert reviewer.get("/admin/recheck-questions/").status_code == 200
    r, _ = _preview(reviewer, AMENDED.encode(), "新版.txt")
    assert r.status_code == 403
    assert reviewer.post("/admin/statutes/confirm", data={"token": "0" * 32}).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(panel):
    for path in ("/admin/statutes/", "/admin/source-check/", "/admin/recheck-questions/"):
        r = panel.get(path)
        assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"]
    assert panel.post("/admin/statutes/preview").status_code == 302


def test_what_cannot_be_imported_is_said_in_chinese(panel, make):
    login(panel, make.admin("editor"))
    _, page = _preview(panel, "关于开展普法宣传的通知\n各村：请做好宣传。".encode(), "通知.txt")
    assert "没有在文件中找到法律条文" in panel.get("/admin/statutes/").get_data(as_text=True)
    r, _ = _preview(panel, b"x", "法.pdf")
    assert r.status_code == 302 and "只支持" in panel.get("/admin/statutes/").get_data(as_text=True)
    _import(panel)
    page = _import(panel)
    assert "该版本已导入" in page
    undated = LAW.replace("（2020年5月28日", "（").replace("2023年12月29日", "")
    _, page = _preview(panel, undated.encode(), "无日期.txt", name="无日期法")
    assert "未读出，请填写" in page and "请填写版本日期" in page
    page = _import(panel, undated, "无日期.txt", version_date="2023-03-01")
    assert "早于法规库中《乡村示范法》的最新版本（2023年12月29日）" in page and "已导入《" not in page
    page = _import(panel, undated, "无日期.txt", name="无日期法", version_date="2024-03-01")
    assert "已导入《无日期法》2024年3月1日版本" in page


def test_an_amendment_lists_the_changes_and_sends_questions_to_recheck(panel, make):
    editor = make.admin("editor")
    login(panel, editor)
    _import(panel)
    law = make.category(name="乡村示范法")
    changed = make.question(law, source="《乡村示范法》第二条", stem="示范法适用于哪里？")
    kept = make.question(law, source="《乡村示范法》第三条")
    page = _import(panel, AMENDED, "乡村示范法（2025年修正）.txt")
    assert "1 道题目引用的条文已修改或删除" in page and "修改 1 条，新增 1 条，删除 1 条" in page
    assert "本法适用于全国的行政村<mark>和社区</mark>。" in page and "村务公开每季度至少一次。" in page and "本法由国务院负责解释。" in page
    db.session.expire_all()
    assert (db.session.get(Question, changed.id).status, db.session.get(Question, kept.id).status) == ("recheck", "active")
    listed = panel.get("/admin/recheck-questions/").get_data(as_text=True)
    assert "示范法适用于哪里？" in listed and "《乡村示范法》第二条已随2025年1月1日版本修改，请核对" in listed
    r = panel.post("/admin/recheck-questions/action/", data={"action": "confirm", "rowid": str(changed.id)}, follow_redirects=True)
    assert "已确认 1 道题目无误" in r.get_data(as_text=True)
    db.session.expire_all()
    confirmed = db.session.get(Question, changed.id)
    assert confirmed.status == "active" and confirmed.review_note is None
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "confirm"))
    assert entry.admin_id == editor.id and entry.entity_id == str(changed.id)


def test_saving_a_recheck_question_in_the_form_serves_it_again(panel, make):
    login(panel, make.admin("editor"))
    _import(panel)
    law = make.category(name="乡村示范法")
    question = make.question(law, source="《乡村示范法》第二条", options=[{"key": k, "text": t} for k, t in zip("ABCD", ("村", "镇", "县", "市"))])
    _import(panel, AMENDED, "新版.txt")
    form = panel.get(f"/admin/recheck-questions/edit/?id={question.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="active">启用</option>', form)
    data = {"category": str(law.id), "type": "single", "stem": question.stem, "option_a": "村和社区", "option_b": "镇",
            "option_c": "县", "option_d": "市", "answer": "B", "explanation": "", "source": "《乡村示范法》第二条",
            "difficulty": "1", "status": "active"}
    assert panel.post(f"/admin/recheck-questions/edit/?id={question.id}", data=data).status_code == 302
    db.session.expire_all()
    edited = db.session.get(Question, question.id)
    assert (edited.status, edited.review_note, edited.options[0]["text"]) == ("active", None, "村和社区")


def test_the_source_check_lists_a_citation_of_a_missing_article(panel, make):
    import_law()
    login(panel, make.admin("reviewer"))
    law = make.category(name="乡村示范法")
    make.question(law, source="《乡村示范法》第三条")
    make.question(law, source="《乡村示范法》第三十条", stem="<b>第三十条</b>的题目")
    make.question(source="《民法典》第一千零七十九条")
    page = panel.get("/admin/source-check/").get_data(as_text=True)
    assert "核对了 2 道" in page and "出处中的条文不存在 1 道" in page and "1 道所引法律不在法规库中" in page and "民法典" in page
    assert "&lt;b&gt;第三十条&lt;/b&gt;的题目" in page and "《乡村示范法》第三十条" in page
    assert "/admin/questions/edit/" not in page  # a reviewer is not offered the edit


def test_the_library_pages_cost_the_same_statements_however_many_laws_and_articles(panel, make, count_queries):
    login(panel, make.admin("reviewer"))
    law = make.category(name="乡村示范法")
    make.question(law, source="《乡村示范法》第三十条")
    import_law()
    amended, _ = import_law(AMENDED, "新版.txt")

    def statements(version):
        counts = []
        for path in ("/admin/statutes/", f"/admin/statutes/{version.statute_id}", f"/admin/statutes/version/{version.id}",
                     "/admin/source-check/"):
            with count_queries() as sent:
                assert panel.get(path).status_code == 200
            counts.append(len(sent))
        return counts

    before = statements(amended)
    longer = AMENDED.replace("第八条　本法由国务院负责解释。", "\n".join(f"第{n}条　第{n}条的内容。" for n in
                             ("八", "九", "十", "十一", "十二")) + "\n第十三条　本法由国务院负责解释。")
    for name in ("甲法", "乙法"):
        import_law(longer, name=name)
    make.questions(5, law, source="《乡村示范法》第四十条")
    make.questions(3, source="《甲法》第九十条")
    latest, _ = import_law(longer, name="乡村示范法", version_date=date(2026, 1, 1))
    assert statements(latest) == before


def test_user_text_in_a_law_is_shown_as_text(panel, make):
    login(panel, make.admin("editor"))
    _import(panel, LAW.replace("中华人民共和国乡村示范法", "<i>示范</i>法", 1).replace("制定本法。", "制定本法。<script>x</script>"), "x.txt")
    statute = db.session.scalar(select(Statute))
    page = panel.get(f"/admin/statutes/{statute.id}").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;i&gt;示范&lt;/i&gt;法" in page


@pytest.mark.committing
def test_in_a_browser_an_editor_imports_an_amendment_and_confirms_a_question(open_panel, make, tmp_path):
    editor = make.admin("editor")
    username = editor.username
    import_law()
    law = make.category(name="乡村示范法")
    question_id = make.question(law, source="《乡村示范法》第二条", stem="示范法适用于哪里？").id
    db.session.commit()
    upload = tmp_path / "乡村示范法（2025年修正）.docx"
    upload.write_bytes(docx_bytes(AMENDED))

    panel = open_panel()
    page = panel.page
    panel.login(username)
    panel.goto("/admin/statutes/")
    page.set_input_files("#file", str(upload))
    with page.expect_navigation():
        page.click("#statute-upload button[type=submit]")
    expect(page.locator("#statute-read")).to_contain_text("2025年1月1日")
    expect(page.locator("#statute-read")).to_contain_text("法规库中已有，将作为新版本导入")
    with page.expect_navigation():
        page.click("#statute-confirm button[type=submit]")
    expect(page.locator(".alert-warning")).to_contain_text("1 道题目引用的条文已修改或删除")
    expect(page.locator("#statute-changed mark")).to_have_text("和社区")

    panel.goto("/admin/recheck-questions/")
    expect(page.locator("#recheck-help")).to_be_visible()
    page.check(f"input.action-checkbox[value='{question_id}']")
    page.once("dialog", lambda d: (panel.dialogs.append(d.message), d.accept()))
    with page.expect_navigation():
        page.click("a.nav-link.dropdown-toggle:text-is('选中的')")
        page.click(".dropdown-menu a.dropdown-item:text-is('确认无误')")
    expect(page.locator(".alert-success")).to_contain_text("已确认 1 道题目无误")
    assert panel.dialogs == ["确定所选题目无需修改吗？确认后恢复启用，重新出现在答题和考试试卷中。"]
    assert [r["status"] for r in table_rows(Question, Question.id == question_id)] == ["active"]
