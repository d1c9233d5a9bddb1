"""排行榜 in the panel: the mini-program's boards, by person and by village, on screen and in Excel."""
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from points import ledger
from tests.admin.conftest import login
from tests.admin.test_residents import _unit_options


def _earn(app, user, points, when=None):
    ledger.credit(user.id, app.config["POINTS_RULES"]["daily_correct"], points, f"rank:{user.id}:{points}:{when}", now=when)


def _client(panel, make, role="reviewer"):
    login(panel, make.admin(role))
    return panel


def _board(page: str) -> list[tuple[int, int, int]]:
    """(rank, user id, points) of each row of the people's board."""
    rows = re.findall(r'<tr data-user-id="(\d+)"><td class="text-right">(\d+)</td>.*?<td class="text-right">(\d+)</td></tr>', page, re.S)
    return [(int(rank), int(uid), int(points)) for uid, rank, points in rows]


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))


def test_the_people_board_is_the_mini_programs(panel, api, app, make):
    east, west = make.org_unit(name="东湖村"), make.org_unit(name="西岭村")
    people = [make.user(org_unit_id=(east if i % 2 else west).id) for i in range(6)]
    for person, points in zip(people, (30, 20, 20, 50, 5, 20)):
        _earn(app, person, points)
    _earn(app, people[4], 100, when=datetime(2020, 3, 1))  # long ago: on the all-time board only
    client = _client(panel, make)
    for period in ("week", "month", "all"):
        mine = _board(client.get(f"/admin/rankings/?period={period}").get_data(as_text=True))
        theirs = api.as_user(people[0]).get(f"/leaderboard?period={period}&scope=town").get_json()["items"]
        assert mine == [(row["rank"], row["user"]["id"], row["points"]) for row in theirs], period
    assert _board(client.get("/admin/rankings/?period=week").get_data(as_text=True))[:4] == [
        (1, people[3].id, 50), (2, people[0].id, 30), (3, people[1].id, 20), (3, people[2].id, 20)]
    # One village's board is what its members see as their own.
    mine = _board(client.get(f"/admin/rankings/?period=week&unit={east.id}").get_data(as_text=True))
    theirs = api.as_user(people[1]).get("/leaderboard?period=week&scope=org_unit").get_json()["items"]
    assert mine == [(row["rank"], row["user"]["id"], row["points"]) for row in theirs] and len(mine) == 3


def test_a_year_is_its_twelve_months_and_any_year_can_be_read(panel, app, make):
    a, b = make.user(real_name="甲"), make.user(real_name="乙")
    _earn(app, a, 10, when=datetime(2024, 2, 1, 4, 0))
    _earn(app, a, 15, when=datetime(2024, 11, 20, 4, 0))
    _earn(app, b, 20, when=datetime(2024, 6, 1, 4, 0))
    _earn(app, b, 40, when=datetime(2023, 12, 31, 15, 59))  # 23:59 on New Year's Eve in Beijing: 2023's
    page = _client(panel, make).get("/admin/rankings/?period=year&year=2024").get_data(as_text=True)
    assert "2024年个人积分排行" in page
    assert _board(page) == [(1, a.id, 25), (2, b.id, 20)]
    assert _board(_client(panel, make).get("/admin/rankings/?period=year&year=2023").get_data(as_text=True)) == [(1, b.id, 40)]


def test_ranks_go_on_across_pages(panel, app, make):
    people = [make.user() for _ in range(53)]
    for i, person in enumerate(people):
        _earn(app, person, 100 if i < 3 else 10)  # three at the top, then fifty tied
    client = _client(panel, make)
    first = client.get("/admin/rankings/?period=week").get_data(as_text=True)
    assert "上榜 53 人，第 1 / 2 页" in first
    second = client.get("/admin/rankings/?period=week&page=2").get_data(as_text=True)
    assert [rank for rank, _, _ in _board(second)] == [4, 4, 4]


def test_villages_rank_by_their_members_points(panel, app, make):
    east, west, idle = make.org_unit(name="东湖村"), make.org_unit(name="西岭村"), make.org_unit(name="南山村")
    office = make.org_unit(name="镇司法所", kind="department")
    _earn(app, make.user(org_unit_id=east.id), 10)
    _earn(app, make.user(org_unit_id=east.id), 15)
    _earn(app, make.user(org_unit_id=west.id), 40)
    make.user(org_unit_id=idle.id)
    _earn(app, make.user(org_unit_id=office.id), 500)
    page = _client(panel, make).get("/admin/rankings/?board=units&period=month").get_data(as_text=True)
    rows = re.findall(r'<tr data-unit-id="\d+"><td class="text-right">(\d+)</td>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td>[^<]*</td>'
                      r'<td class="text-right">(\d+)</td>', page)
    assert rows == [("1", "西岭村", "40"), ("2", "东湖村", "25"), ("3", "南山村", "0")]  # departments apart
    departments = _client(panel, make).get("/admin/rankings/?board=units&kinds=department").get_data(as_text=True)
    assert "镇司法所" in departments and "东湖村" not in departments


def test_the_boards_download_as_excel_with_names_kept_as_text(panel, app, make):
    village = make.org_unit(name="东湖村")
    sly = make.user(real_name="=HYPERLINK(\"http://example.com\",\"点我\")", nickname="+1", org_unit_id=village.id)
    plain = make.user(real_name="王秀英", nickname="秀英", org_unit_id=village.id)
    _earn(app, sly, 30)
    _earn(app, plain, 20)
    client = _client(panel, make)
    rows = _sheet(client.get("/admin/rankings/export.xlsx?period=week"))
    assert rows[0] == ("名次", "姓名", "微信昵称", "村、社区或单位", "积分")
    # What could be read as a formula stays text, as in every workbook the app writes.
    assert rows[1] == (1, "'=HYPERLINK(\"http://example.com\",\"点我\")", "'+1", "东湖村", 30)
    assert rows[2] == (2, "王秀英", "秀英", "东湖村", 20)
    units = _sheet(client.get("/admin/rankings/export.xlsx?board=units&period=week"))
    assert units[0][:4] == ("名次", "单位", "类型", "积分") and units[1][:7] == (1, "东湖村", "村", 50, 2, 2, 25.0)


def test_district_staff_pick_a_town_before_its_units_on_the_people_board(panel, make):
    """As on the residents page: twenty towns' 司法所 in one list cannot be told apart."""
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    for town in (east, west):
        make.org_unit(name="司法所", kind="department", town=town)
    village = make.org_unit(name="东湖村", town=east)
    client = _client(panel, make, "admin")
    units = _unit_options

    page = client.get("/admin/rankings/").get_data(as_text=True)
    assert units(page) == [] and 'id="unit-needs-town"' in page
    picked = client.get(f"/admin/rankings/?town={east.id}").get_data(as_text=True)
    assert units(picked) == ["东湖村（村）", "东湖镇（镇）", "司法所（部门）"] and 'id="unit-needs-town"' not in picked
    asked = client.get(f"/admin/rankings/?unit={village.id}").get_data(as_text=True)
    assert f'<option value="{village.id}" selected>东湖村（村）</option>' in asked
