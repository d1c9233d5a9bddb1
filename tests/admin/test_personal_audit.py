"""The audit log shows who saw or exported people's personal information: a person's
page, the roster with its phones, and the files of names, for every role that may."""
import pytest
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from tests.admin.conftest import login
from tests.admin.test_clear_words import _cells, _filter, _page


def _entries(admin, action):
    return db.session.execute(select(AuditLog.entity, AuditLog.entity_id, AuditLog.summary)
                              .where(AuditLog.admin_id == admin.id, AuditLog.action == action).order_by(AuditLog.id)).all()


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer"])
def test_a_persons_page_and_an_export_are_logged_for_every_role(panel, make, role):
    person = make.user(real_name="周芷若")
    event = make.event(title="宪法宣传日活动")
    staff = make.admin(role)
    login(panel, staff)

    assert panel.get(f"/admin/residents/{person.id}/").status_code == 200
    assert _entries(staff, "view_personal") == [("app_user", str(person.id), "查看居民个人页：周芷若")]
    assert panel.get(f"/admin/events/{event.id}/attendance.xlsx").status_code == 200
    assert _entries(staff, "export_personal") == [("event", str(event.id), "导出活动“宪法宣传日活动”的签到与答题名单")]
    assert panel.get("/admin/redemptions/export/xlsx/").status_code == 200
    assert _entries(staff, "export_personal")[-1][0] == "redemption"
    assert panel.get("/admin/cadres/").status_code == 200
    assert _entries(staff, "view_personal")[-1][:2] == ("cadre", "")
    # A page that shows no one adds nothing.
    count = len(_entries(staff, "view_personal"))
    assert panel.get("/admin/residents/").status_code == 200 and len(_entries(staff, "view_personal")) == count


def test_a_missing_person_is_not_logged_as_seen(panel, make):
    staff = make.admin("admin")
    login(panel, staff)
    assert panel.get("/admin/residents/999999/").status_code == 404
    assert _entries(staff, "view_personal") == []


def test_the_audit_log_filters_views_and_exports_of_personal_data(panel, make):
    person = make.user(real_name="殷素素")
    clerk, reader = make.admin("editor", username="clerk-li"), make.admin("reviewer", username="reader-wu")
    login(panel, clerk)
    panel.get(f"/admin/residents/{person.id}/")
    panel.get("/admin/rankings/export.xlsx")
    login(panel, reader)  # reviewers read the log
    viewed = _page(panel, "/admin/audit/", **{_filter(panel, "/admin/audit/", "操作"): "view_personal"})
    assert _cells(viewed, "summary") == ["查看居民个人页：殷素素"] and _cells(viewed, "action") == ["查看个人信息"]
    exported = _page(panel, "/admin/audit/", **{_filter(panel, "/admin/audit/", "操作"): "export_personal"})
    assert _cells(exported, "action") == ["导出个人信息"] and _cells(exported, "admin") == ["clerk-li"]
