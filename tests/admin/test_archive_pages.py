"""The year's archive and report figures in the panel (Flask test client, CSRF off)."""
import io
import os
import zipfile
from datetime import datetime
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from core.timeutil import from_local
from reports.workbook import SHEETS
from tests.activities.archive_data import add_event, build_year
from tests.admin.conftest import login


@pytest.fixture
def clock(monkeypatch, app):
    """Sets the panel's clock to a Beijing time: figures are counted as they stood then."""
    def set_to(*local):
        now = from_local(datetime(*local))
        monkeypatch.setattr("admin.archive.utcnow", lambda: now)
        monkeypatch.setattr("reports.snapshots.utcnow", lambda: now)
    return set_to


def _tmp_files(app) -> list[str]:
    directory = os.path.join(app.config["UPLOAD_DIR"], "tmp")
    return os.listdir(directory) if os.path.isdir(directory) else []


def test_anonymous_is_sent_to_the_login_page(panel):
    for path in ("/admin/archive/", "/admin/archive/2026/figures.xlsx", "/admin/archive/2026/archive.zip"):
        r = panel.get(path)
        assert r.status_code == 302
        assert "/admin/auth/login" in r.headers["Location"] and "next=" in r.headers["Location"]


def test_page_shows_the_years_figures(panel, make, clock):
    build_year(make)
    clock(2027, 1, 10, 9, 0)
    login(panel, make.admin("reviewer"))
    html = panel.get("/admin/archive/?year=2026").get_data(as_text=True)
    assert "2026年全年开展普法活动4场次，其中宪法宣传日1场、禁毒日1场、普法宣讲2场；覆盖群众4人、8人次。" in html
    assert 'id="kind-table"' in html and "宪法宣传日" in html
    assert 'id="village-table"' in html and "西山社区" in html and "未填写" in html
    assert "78.6%" in html
    # The selector offers the years with events, and links the downloads for the year shown.
    for y in (2025, 2026, 2027):
        assert f'<option value="{y}"' in html
    assert 'href="/admin/archive/2026/figures.xlsx"' in html and 'href="/admin/archive/2026/archive.zip"' in html


def test_page_defaults_to_the_current_year(panel, make, clock):
    clock(2031, 6, 15, 9, 0)
    login(panel, make.admin("editor"))
    html = panel.get("/admin/archive/").get_data(as_text=True)
    assert '<option value="2031" selected>' in html and "2031年截至6月15日暂无普法活动记录。" in html


def test_page_counts_only_events_that_are_over_and_shows_those_nobody_came_to(panel, make, clock):
    """Issue 17: early in December the page leaves out the event still to come and
    lists the one nobody checked in at apart."""
    year = build_year(make)
    add_event(make, "land_day", datetime(2026, 6, 25, 9, 0), year.units["派出所"], "土地日宣传")
    clock(2026, 12, 6, 10, 0)
    login(panel, make.admin("reviewer"))
    html = panel.get("/admin/archive/?year=2026").get_data(as_text=True)
    assert "2026年截至12月6日开展普法活动4场次，其中宪法宣传日1场、禁毒日1场、土地日1场、普法宣讲1场；覆盖群众4人、6人次；1场活动无签到记录。" in html
    assert 'id="as-of"' in html and "另有 1 场活动尚未结束，未计入" in html
    table = html[html.index('id="no-checkin-table"'):]
    assert "2026-06-25" in table and "土地日宣传" in table[:table.index("</table>")]


def test_figures_download(panel, make, clock):
    build_year(make)
    clock(2027, 1, 10, 9, 0)
    login(panel, make.admin("reviewer"))
    r = panel.get("/admin/archive/2026/figures.xlsx")
    assert r.status_code == 200
    assert quote("2026年普法工作统计.xlsx") in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == SHEETS
    assert wb["按类型"]["A2"].value == "宪法宣传日"


def test_archive_download_is_a_valid_zip_and_leaves_no_temp_file(panel, make, app):
    year = build_year(make)
    login(panel, make.admin("admin"))
    before = _tmp_files(app)
    r = panel.get("/admin/archive/2026/archive.zip")
    try:
        assert r.status_code == 200 and r.mimetype == "application/zip"
        assert quote("2026年普法活动档案.zip") in r.headers["Content-Disposition"]
        data = r.data
        assert int(r.headers["Content-Length"]) == len(data)
    finally:
        r.close()
    assert _tmp_files(app) == before
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert "index.xlsx" in names and "年度统计.xlsx" in names
        folder = next(n.split("/")[0] for n in names if n.startswith("2026-12-04_宪法宣传日_"))
        assert sorted(zf.read(n) for n in names if n.startswith(f"{folder}/照片/")) == sorted(year.photo_bytes.values())


def test_year_out_of_range_is_not_found(panel, make):
    login(panel, make.admin("reviewer"))
    assert panel.get("/admin/archive/0/archive.zip").status_code == 404
    assert panel.get("/admin/archive/99999/figures.xlsx").status_code == 404


def _table(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def test_the_district_page_lists_towns_each_linking_to_its_own_page(panel, make, clock):
    """Issue 19: a district of several towns shows its towns, not its villages and units;
    a town's name opens that town's page, which lists its villages and units as before."""
    from tests.reports.district import NOW, build_district

    d = build_district(make)
    clock(*NOW)
    login(panel, make.admin("reviewer"))
    html = panel.get("/admin/archive/?year=2025").get_data(as_text=True)
    a, b = d.towns["甲"].id, d.towns["乙"].id
    for table in ("organiser-table", "village-table", "learning-village-table", "exam-table"):
        rows = _table(html, table)
        assert "甲镇" in rows and "乙镇" in rows, table
        assert not any(name in rows for name in ("甲一村", "甲二村", "乙一村", "甲司法所", "乙派出所")), table
        assert f'href="/admin/archive/?year=2025&amp;town={a}"' in rows, table
    assert "未填写" in _table(html, "village-table") and "3个单位主办" in html and 'id="towns-note"' in html
    assert 'id="by-town"' in html

    town = panel.get(f"/admin/archive/?year=2025&town={a}").get_data(as_text=True)
    assert "甲司法所" in _table(town, "organiser-table") and "甲一村" in _table(town, "village-table")
    assert "乙镇" not in _table(town, "organiser-table") and 'id="towns-note"' not in town
    assert 'href="/admin/archive/?year=2025' not in _table(town, "village-table")
    # The town's own staff see the same page.
    login(panel, make.admin("reviewer", town_id=a))
    own = panel.get("/admin/archive/?year=2025").get_data(as_text=True)
    assert _table(own, "village-table") == _table(town, "village-table")
    assert f"town={b}" not in own


def test_the_district_page_does_not_grow_with_its_villages(panel, make, clock, count_queries):
    from reports import snapshots
    from tests.reports.district import NOW, build_district, more_villages

    d = build_district(make)
    clock(*NOW)
    login(panel, make.admin("reviewer"))
    panel.get("/admin/archive/?year=2025")  # the year's first view counts it
    with count_queries() as few:
        before = panel.get("/admin/archive/?year=2025").get_data(as_text=True)
    more_villages(make, d, 15)
    for kind in ("figures", "by_town"):  # as the nightly refresh would
        snapshots.count(kind, 2025, now=from_local(datetime(*NOW)))
    panel.get("/admin/archive/?year=2025")  # as the first measured view followed one
    with count_queries() as many:
        after = panel.get("/admin/archive/?year=2025").get_data(as_text=True)
    assert "甲新14村" not in after and "覆盖群众19人" in after  # counted afresh: 4 + 15
    assert len(few) == len(many)
    assert before.count("<tr") == after.count("<tr")


def test_a_district_count_kept_unit_by_unit_by_the_older_app_is_counted_again(panel, make, clock, monkeypatch):
    """The upgrade's first view of the district neither fails on nor shows the count kept
    village by village (reports.kept.SHAPE)."""
    from core.extensions import db
    from reports import figures, kept, snapshots
    from reports.models import FigureSnapshot
    from tests.reports.district import NOW, build_district

    build_district(make)
    clock(*NOW)
    now = from_local(datetime(*NOW))
    with monkeypatch.context() as m:
        m.setattr(figures, "_district_towns", lambda: None)  # as the older app counted
        old = figures.year_figures(2025, now)
    del old["towns"]
    # figures/1: the shape kept before the district was counted town by town.
    db.session.add(FigureSnapshot(kind="figures/1", year=2025, scope=snapshots.DISTRICT, counted_at=now,
                                  data=kept.encode(old)))
    db.session.flush()
    login(panel, make.admin("reviewer"))
    html = panel.get("/admin/archive/?year=2025").get_data(as_text=True)
    assert "甲镇" in _table(html, "village-table") and "甲一村" not in _table(html, "village-table")
    wb = load_workbook(io.BytesIO(panel.get("/admin/archive/2025/figures.xlsx").data))
    assert "按镇（参与者所在）" in wb.sheetnames
