"""An audit entry is written in the same transaction as the change it records: if
the entry cannot be written, the change is not made either."""
import pytest
from sqlalchemy import select

from accounts import audit
from accounts.models import AuditLog
from core.extensions import db
from points import rewards
from points.models import Redemption
from quiz_bank.models import Category
from tests.admin.conftest import login


@pytest.fixture
def break_audit(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log cannot be written")

    return lambda: monkeypatch.setattr(audit, "record", broken)


def test_a_panel_change_is_not_saved_without_its_audit_entry(panel, make, break_audit):
    login(panel, make.admin("admin"))
    break_audit()
    panel.post("/admin/categories/new/", data={"name": "未审计的分类", "slug": "unaudited", "sort_order": "1"})
    db.session.expire_all()
    assert db.session.scalar(select(Category).where(Category.name == "未审计的分类")) is None


def test_a_panel_change_and_its_audit_entry_are_saved_together(panel, make):
    boss = make.admin("admin")
    login(panel, boss)
    r = panel.post("/admin/categories/new/", data={"name": "土地管理法", "slug": "land-x", "sort_order": "1"})
    assert r.status_code == 302
    category = db.session.scalar(select(Category).where(Category.name == "土地管理法"))
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "category"))
    assert entry.entity_id == str(category.id) and entry.admin_id == boss.id


def test_a_hand_over_is_not_recorded_without_its_audit_entry(make, break_audit):
    user, staff = make.rich_user(50), make.admin("admin")
    redemption = rewards.redeem(user.id, make.reward(cost=20).id)
    break_audit()
    with pytest.raises(RuntimeError):
        rewards.hand_over(redemption.id, staff.id)
    db.session.rollback()
    assert db.session.get(Redemption, redemption.id).status == "pending"
