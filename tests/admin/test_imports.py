"""Import in the panel: upload, preview with every problem, confirm; template and export downloads."""
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from accounts.models import AuditLog
from core.extensions import db
from quiz_bank.models import Question
from tests.admin.conftest import login

HEADER = "题型,分类,题干,选项A,选项B,选项C,选项D,答案,解析,出处,难度\n"
GOOD = "单选,民法典,成年年龄是？,十六周岁,十八周岁,二十周岁,二十二周岁,B,,《民法典》第十七条,1\n"
BAD = "单选,民法典,坏题？,甲,乙,,,E,,《民法典》第二条,1\n"


def _login(client, make, role):
    admin = make.admin(role)
    login(client, admin)
    return admin


def _upload(client, text, name="题库.csv", encoding="gbk"):
    return client.post("/admin/import/preview", data={"file": (io.BytesIO(text.encode(encoding)), name)},
                       content_type="multipart/form-data")


def _token(page):
    import re

    return re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)


def test_preview_lists_problems_and_confirm_imports_only_when_chosen(panel, make):
    editor = _login(panel, make, "editor")
    page = _upload(panel, HEADER + GOOD + BAD).get_data(as_text=True)
    assert "新题 1" in page and "有问题 1 道" in page and "第 3 行" in page and "不在选项中" in page
    token = _token(page)
    count = lambda: db.session.scalar(select(func.count()).select_from(Question))
    # Confirming without choosing "only the good ones" imports nothing.
    r = panel.post("/admin/import/confirm", data={"token": token, "filename": "题库.csv"}, follow_redirects=True)
    assert "未导入任何题目" in r.get_data(as_text=True) and count() == 0
    r = panel.post("/admin/import/confirm", data={"token": token, "filename": "题库.csv", "only_valid": "1"}, follow_redirects=True)
    assert "已导入 1 道题（其中仅用于考试 0 道" in r.get_data(as_text=True) and count() == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import"))
    assert entry.admin_id == editor.id and "题库.csv" in entry.summary
    # The file is gone once imported: the same token cannot import twice.
    r = panel.post("/admin/import/confirm", data={"token": token, "only_valid": "1"}, follow_redirects=True)
    assert "已失效" in r.get_data(as_text=True) and count() == 1


def test_a_forged_token_cannot_name_a_file(panel, make):
    _login(panel, make, "editor")
    r = panel.post("/admin/import/confirm", data={"token": "../../etc/passwd"}, follow_redirects=True)
    assert "已失效" in r.get_data(as_text=True)


def test_reviewer_may_export_but_not_import(panel, make):
    _login(panel, make, "reviewer")
    assert _upload(panel, HEADER + GOOD).status_code == 403
    make.question(make.category(name="宪法"))
    r = panel.get("/admin/import/export/xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in sheet[1]][:3] == ["题型", "分类", "题干"] and sheet.max_row == 2


def test_template_download_has_the_chinese_headers(panel, make):
    _login(panel, make, "editor")
    r = panel.get("/admin/import/template.xlsx")
    headers = [c.value for c in load_workbook(io.BytesIO(r.data)).active[1]]
    assert headers == ["题型", "分类", "题干", *[f"选项{k}" for k in "ABCDEFGH"], "答案", "解析", "出处", "难度", "仅用于考试"]
