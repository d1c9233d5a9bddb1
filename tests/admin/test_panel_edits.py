"""Saving a row in the panel without changing its unique fields (a cadre's phone, a
law's name) saves it: the unique check knows the row being edited."""
from core.extensions import db
from tests.admin.conftest import login


def test_a_cadre_edited_without_a_new_phone_is_saved(panel, make):
    login(panel, make.admin("admin"))
    cadre = make.cadre(position="副镇长")
    r = panel.post(f"/admin/cadres/edit/?id={cadre.id}", data={
        "name": cadre.name, "phone": cadre.phone, "org_unit": str(cadre.org_unit_id), "position": "镇长", "active": "y"})
    assert r.status_code == 302, "已经存在" in r.get_data(as_text=True)
    db.session.expire_all()
    assert cadre.position == "镇长"


def test_a_form_that_does_not_validate_says_so_in_chinese(panel, make):
    login(panel, make.admin("admin"))
    cadre = make.cadre()
    r = panel.post(f"/admin/cadres/edit/?id={cadre.id}", data={
        "name": cadre.name, "phone": "12345", "org_unit": str(cadre.org_unit_id), "position": "镇长", "active": "y"})
    page = r.get_data(as_text=True)
    assert "请输入 11 位手机号码" in page and "保存失败：请按表单中的提示修改后再保存。" in page
    assert "Failed to save record" not in page
