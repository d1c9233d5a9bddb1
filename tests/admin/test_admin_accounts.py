"""Admin accounts and roles, through the panel's forms (CSRF off for the test client)."""
from sqlalchemy import select

from accounts.models import AdminUser, AuditLog
from core.extensions import db
from tests.admin.conftest import login


def test_admin_creates_an_editor_with_a_hashed_password_and_it_is_audited(panel, make):
    boss = make.admin("admin")
    login(panel, boss)
    r = panel.post("/admin/admins/new/", data={"username": "wangwu", "role": "editor", "active": "y", "password": "long-enough-pw"})
    assert r.status_code == 302
    created = db.session.scalar(select(AdminUser).where(AdminUser.username == "wangwu"))
    assert created.role == "editor" and created.check_password("long-enough-pw")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "admin_user"))
    assert entry.admin_id == boss.id and "wangwu" in entry.summary


def test_new_account_without_password_is_refused(panel, make):
    login(panel, make.admin("admin"))
    r = panel.post("/admin/admins/new/", data={"username": "nopass", "role": "reviewer", "active": "y"}, follow_redirects=True)
    assert "须设置密码" in r.get_data(as_text=True)
    assert db.session.scalar(select(AdminUser).where(AdminUser.username == "nopass")) is None


def test_editors_and_reviewers_cannot_manage_accounts(panel, make):
    for role in ("editor", "reviewer"):
        client = panel.application.test_client()
        login(client, make.admin(role))
        assert client.get("/admin/admins/").status_code == 403
