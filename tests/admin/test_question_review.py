"""题库 → 待审核 and 导入记录 in the panel: a county bank without citations comes in for
review, an editor completes and publishes it, and an import nobody has answered is undone."""
import io
import re

from sqlalchemy import func, select

from accounts.models import AuditLog
from core.extensions import db
from quiz_bank.models import Question, QuestionImport
from tests.admin.conftest import login

HEADER = "题型,分类,题干,选项A,选项B,选项C,选项D,答案,解析,出处,难度\n"
ROWS = ("单选,民法典,自然人的民事权利能力始于何时？,出生,成年,入学,就业,A,,《民法典》第十三条,1\n"
        "单选,民法典,八周岁以上的未成年人是什么民事行为能力人？,完全,限制,无,部分,B,,,1\n")


def _import(panel, make, role="editor"):
    admin = make.admin(role)
    login(panel, admin)
    page = panel.post("/admin/import/preview", data={"file": (io.BytesIO((HEADER + ROWS).encode()), "县题库.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "其中待审核 1 道" in page and "没有填写出处" in page
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    # Nothing is refused, so no "only the good ones" is needed.
    r = panel.post("/admin/import/confirm", data={"token": token, "filename": "县题库.csv"}, follow_redirects=True)
    return admin, r.get_data(as_text=True)


def test_an_import_without_citations_lands_in_review_with_why(panel, make):
    editor, page = _import(panel, make)
    assert "已导入 2 道题（其中待审核 1 道" in page and "待审核原因" in page and "没有填写出处" in page
    pending = db.session.scalar(select(Question).where(Question.status == "pending"))
    assert pending.stem.startswith("八周岁以上")
    # The list is only what awaits review; filtering by the import's file finds it.
    listed = panel.get("/admin/pending-questions/").get_data(as_text=True)
    assert "八周岁以上" in listed and "自然人的民事权利能力" not in listed
    record = db.session.scalar(select(QuestionImport))
    assert record.admin_id == editor.id and (record.added, record.pending) == (2, 1)


def test_publishing_waits_for_the_citation(panel, make):
    _import(panel, make)
    pending = db.session.scalar(select(Question).where(Question.status == "pending"))
    r = panel.post("/admin/pending-questions/action/", data={"action": "publish", "rowid": str(pending.id)}, follow_redirects=True)
    assert "出处仍不完整" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Question, pending.id).status == "pending"
    form = {"category": str(pending.category_id), "type": "single", "stem": pending.stem, "option_a": "完全", "option_b": "限制",
            "option_c": "无", "option_d": "部分", "answer": "B", "explanation": "", "source": "《民法典》第十九条",
            "difficulty": "1", "status": "active"}
    r = panel.post(f"/admin/pending-questions/edit/?id={pending.id}", data=form, follow_redirects=True)
    assert r.status_code == 200
    db.session.expire_all()
    published = db.session.get(Question, pending.id)
    assert published.status == "active" and published.source == "《民法典》第十九条" and published.review_note is None
    assert "八周岁以上" not in panel.get("/admin/pending-questions/").get_data(as_text=True)


def test_rejecting_deletes_and_is_audited(panel, make):
    _import(panel, make)
    pending = db.session.scalar(select(Question).where(Question.status == "pending"))
    r = panel.post("/admin/pending-questions/action/", data={"action": "reject", "rowid": str(pending.id)}, follow_redirects=True)
    assert "已驳回并删除 1 道" in r.get_data(as_text=True)
    assert db.session.get(Question, pending.id) is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "reject")) is not None


def test_the_import_history_lists_and_undoes(panel, make):
    editor, _ = _import(panel, make)
    record = db.session.scalar(select(QuestionImport))
    history = panel.get("/admin/question-imports/").get_data(as_text=True)
    assert "县题库.csv" in history and editor.username in history
    listed = panel.get(f"/admin/question-imports/{record.id}/questions").get_data(as_text=True)
    assert "自然人的民事权利能力" in listed and "八周岁以上" in listed and "待审核" in listed
    r = panel.post("/admin/question-imports/action/", data={"action": "undo", "rowid": str(record.id)}, follow_redirects=True)
    assert "已撤销导入 县题库.csv，删除 2 道题目" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_a_reviewer_can_read_the_history_but_not_undo(panel, make):
    _import(panel, make)
    record = db.session.scalar(select(QuestionImport))
    panel.get("/admin/auth/logout")
    reviewer = make.admin("reviewer")
    login(panel, reviewer)
    assert "县题库.csv" in panel.get("/admin/question-imports/").get_data(as_text=True)
    panel.post("/admin/question-imports/action/", data={"action": "undo", "rowid": str(record.id)})
    db.session.expire_all()
    assert db.session.get(QuestionImport, record.id).undone_at is None
    assert db.session.scalar(select(func.count()).select_from(Question)) == 2
