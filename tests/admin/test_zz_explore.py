import pytest
from core.extensions import db
pytestmark = pytest.mark.committing

def test_explore(open_panel, make):
    ed = make.admin(role="editor"); name = ed.username
    c = make.category(name="测试法")
    q = make.question(c)
    db.session.commit()
    p = open_panel()
    p.login(name)
    p.goto("/admin/questions/")
    p.page.click("text=添加筛选器")
    p.page.click(".field-filters >> text=分类")
    open("/tmp/explore/filt.html","w").write(p.page.content())
    p.page.screenshot(path="/tmp/explore/filt.png")
