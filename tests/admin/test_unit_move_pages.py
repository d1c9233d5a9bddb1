"""A village moved to another town in the panel's eyes: its people, down to its
sub-units, are the new town's (accounts.models._set_town, accounts.tenancy)."""
from core.extensions import db
from tests.admin.conftest import login


def test_the_new_towns_admin_sees_the_moved_people_and_the_old_towns_does_not(panel, make):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    village = make.org_unit(name="东湖村", town=east)
    corner = make.org_unit(name="东湖村一组", kind="community", parent=village)
    make.user(real_name="搬迁居民", org_unit_id=corner.id)
    village.parent = west
    db.session.flush()
    login(panel, make.admin("admin", username="西岭管理员", town_id=west.id))
    assert "搬迁居民" in panel.get("/admin/residents/").get_data(as_text=True)
    login(panel, make.admin("admin", username="东湖管理员", town_id=east.id))
    assert "搬迁居民" not in panel.get("/admin/residents/").get_data(as_text=True)
