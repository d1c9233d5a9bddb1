"""兑换记录: found by who redeemed, and as a workbook of what the list shows after its search and
filters, never a pickup code."""
import io
import json
import re
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from points import rewards
from tests.admin.conftest import login
from tests.factories import DEFAULT_TOWN


def _rows(client, **query) -> list[tuple]:
    r = client.get("/admin/redemptions/export/xlsx/", query_string=query)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(r.get_data())).active.iter_rows(values_only=True))


def _status_filter(client) -> str:
    """The query argument of the list's 状态 = filter, as its filter menu writes it."""
    page = client.get("/admin/redemptions/").get_data(as_text=True)
    menu = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    return f"flt0_{menu['状态'][0]['arg']}"


def _town(make):
    village = make.org_unit(name="东湖村")
    chen = make.rich_user(100, real_name="陈晓燕", org_unit_id=village.id)
    wang = make.rich_user(100, real_name="=王秀英")
    umbrella, book = make.reward(cost=10, name="普法雨伞"), make.reward(cost=5, name="民法典读本")
    when = datetime(2026, 3, 1, 16, 30)  # 00:30 on 2 March in Beijing
    handed = rewards.redeem(chen.id, umbrella.id, now=when)
    rewards.hand_over(handed.id, make.admin("admin", username="柜台小李").id, now=when)
    waiting = rewards.redeem(chen.id, book.id, now=when)
    other = rewards.redeem(wang.id, book.id, now=when)
    return {"codes": {handed.pickup_code, waiting.pickup_code, other.pickup_code}, "handed": handed.pickup_code}


def test_admins_export_the_list_without_pickup_codes(panel, make):
    town = _town(make)
    login(panel, make.admin("admin"))
    rows = _rows(panel)
    assert rows[0] == ("编号", "奖品", "兑换人", "村/社区", "积分", "状态", "兑换时间", "领取截止", "领取时间", "经办人", "取消/过期时间")
    assert len(rows) == 4
    text = "\n".join(str(c) for row in rows for c in row)
    assert not [code for code in town["codes"] if code in text] and "领取码" not in text
    handed = next(r for r in rows if r[1] == "普法雨伞")
    assert handed[2:6] == ("陈晓燕", "东湖村", 10, "已领取") and handed[9] == "柜台小李"
    assert handed[6] == datetime(2026, 3, 2, 0, 30) and handed[8] == datetime(2026, 3, 2, 0, 30)  # Beijing time
    # A name that reads as a formula stays text.
    assert next(r for r in rows[1:] if r[2] != "陈晓燕")[2:4] == ("'=王秀英", "未填写")


def test_the_export_follows_the_search_and_the_status_filter(panel, make):
    town = _town(make)
    login(panel, make.admin("reviewer"))
    pending = _rows(panel, **{_status_filter(panel): "pending"})[1:]
    assert sorted(r[1] for r in pending) == ["民法典读本", "民法典读本"] and {r[5] for r in pending} == {"待领取"}
    admin = panel.application.test_client()
    login(admin, make.admin("admin"))
    code = town["handed"]
    assert [r[1] for r in _rows(admin, search=code)[1:]] == ["普法雨伞"]


def test_the_list_offers_the_download(panel, make):
    login(panel, make.admin("editor"))
    assert "/admin/redemptions/export/xlsx/" in panel.get("/admin/redemptions/").get_data(as_text=True)


def test_everyone_finds_redemptions_by_name_or_nickname(panel, make):
    _town(make)
    neighbour = make.rich_user(50, real_name="陈晓明", nickname="晓燕的邻居")
    rewards.redeem(neighbour.id, make.reward(cost=5, name="普法扇子").id)
    login(panel, make.admin("reviewer"))
    assert {r[2] for r in _rows(panel, search="陈晓燕")[1:]} == {"陈晓燕"}
    page = panel.get("/admin/redemptions/?search=晓燕").get_data(as_text=True)
    assert page.count('<td class="col-reward">') == 3 and "普法扇子" in page  # the name, or the nickname
    assert "兑换人姓名" in page  # the search box says what it searches


def _filter(client, name: str, operation: str, position: int) -> str:
    """The query argument of one of the list's filters (`name`, `operation`), as its menu writes it."""
    page = client.get("/admin/redemptions/").get_data(as_text=True)
    menu = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    return f"flt{position}_{next(f['arg'] for f in menu[name] if f['operation'] == operation)}"


def _exports_logged(admin) -> list[str]:
    return list(db.session.scalars(select(AuditLog.summary).where(
        AuditLog.admin_id == admin.id, AuditLog.action == "export_personal", AuditLog.entity == "redemption").order_by(AuditLog.id)))


def test_the_audit_log_says_which_town_filters_search_and_how_many_rows_were_exported(panel, make):
    _town(make)
    clerk = make.admin("admin", town_id=make.default_town().id)
    login(panel, clerk)
    query = {_filter(panel, "状态", "等于", 0): "pending", _filter(panel, "兑换日期", "之间", 1): "2026-03-02 to 2026-03-02",
             "search": "陈晓燕"}
    assert [r[1] for r in _rows(panel, **query)[1:]] == ["民法典读本"]
    assert _exports_logged(clerk) == [
        f"导出{DEFAULT_TOWN}兑换记录（1 条）：状态 等于 待领取；兑换日期 之间 2026-03-02 至 2026-03-02；搜索“陈晓燕”"]
    both = {_filter(panel, "状态", "在列表中", 0): "pending,handed_over"}
    assert len(_rows(panel, **both)) == 4
    assert _exports_logged(clerk)[-1] == f"导出{DEFAULT_TOWN}兑换记录（3 条）：状态 在列表中 待领取、已领取"
    district = make.admin("reviewer")
    login(panel, district)
    assert len(_rows(panel)) == 4
    assert _exports_logged(district) == ["导出全区兑换记录（3 条），未筛选"]
