"""题库 → 分类 shows each law's active questions as the bank keeps them."""
import re

from tests.admin.conftest import login


def _row(page: str, name: str) -> str:
    return next(row for row in re.findall(r"<tr.*?</tr>", page, re.S) if name in row)


def test_the_laws_list_shows_their_questions_and_follows_a_retirement_in_the_panel(panel, make):
    law = make.category(name="长江保护法")
    served = make.questions(3, law)
    make.question(law, exam_only=True)
    login(panel, make.admin("editor"))
    row = _row(panel.get("/admin/categories/").get_data(as_text=True), "长江保护法")
    assert re.findall(r">\s*(\d+)\s*<", row)[-2:] == ["3", "1"]
    panel.post("/admin/questions/action/", data={"action": "retire", "rowid": [str(served[0].id)]})
    row = _row(panel.get("/admin/categories/").get_data(as_text=True), "长江保护法")
    assert re.findall(r">\s*(\d+)\s*<", row)[-2:] == ["2", "1"]
