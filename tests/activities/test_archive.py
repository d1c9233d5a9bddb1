"""The year's archive ZIP read back (its figures are tested in tests/reports)."""
import io
import tempfile
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from activities import archive, tokens
from activities.models import EventPhoto
from core.extensions import db
from core.timeutil import to_local, utcnow
from reports.workbook import SHEETS
from tests.activities.archive_data import add_event, build_year, check_in, event_quiz


@pytest.fixture
def year(make):
    return build_year(make)


# Moments after the years the tests archive (naive UTC), so every event of the year is over.
AFTER_2026, AFTER_2028, AFTER_2031 = datetime(2027, 1, 10), datetime(2029, 1, 10), datetime(2032, 1, 10)


def test_years_that_have_events(year):
    assert archive.archive_years() == [2027, 2026, 2025]


def test_the_archive_takes_a_fixed_number_of_queries(make, count_queries):
    units = [make.org_unit(kind="village") for _ in range(3)]
    organiser = make.org_unit(kind="department", name="司法所")
    first = add_event(make, "lecture", datetime(2031, 3, 1, 9), organiser)
    check_in(first, make.user(org_unit_id=units[0].id))
    db.session.flush()
    with count_queries() as few:
        archive.write_archive(2031, io.BytesIO(), AFTER_2031)

    for i in range(6):
        event = add_event(make, ("outreach", "school", "water_week")[i % 3], datetime(2031, 3 + i, 2, 9),
                          make.org_unit(kind="department"))
        for j in range(8):
            user = make.user(org_unit_id=units[j % 3].id if j % 4 else None)
            check_in(event, user)
            event_quiz(event, user, answered=3, correct=j % 4)
    db.session.flush()
    with count_queries() as many:
        archive.write_archive(2031, io.BytesIO(), AFTER_2031)
    assert len(few) == len(many)


def _read_xlsx(zf, name):
    return load_workbook(io.BytesIO(zf.read(name))).active


def test_archive_zip_read_back(year):
    e = year.events
    with tempfile.TemporaryFile() as out:
        archive.write_archive(2026, out, AFTER_2026)
        out.seek(0)
        with zipfile.ZipFile(out) as zf:
            assert zf.testzip() is None
            names = zf.namelist()
            infos = {i.filename: i for i in zf.infolist()}
            con_folder = f"2026-12-04_宪法宣传日_宪法宣传日：宪法进万家_主题活动_{e['constitution'].id}"
            folders = sorted({n.split("/", 1)[0] for n in names if "/" in n})
            assert folders == sorted([
                f"2026-01-01_普法宣讲_元旦普法宣讲_{e['new_year'].id}",
                f"2026-06-26_禁毒日_禁毒宣传进社区_{e['antidrug'].id}",
                con_folder,
                f"2026-12-31_普法宣讲_跨年普法夜_{e['new_years_eve'].id}",
            ])
            assert "index.xlsx" in names and "年度统计.xlsx" in names
            # Chinese names carry the UTF-8 flag; spreadsheets are deflated, photos stored.
            assert infos["年度统计.xlsx"].flag_bits & 0x800
            assert infos["index.xlsx"].compress_type == zipfile.ZIP_DEFLATED
            assert infos[f"{con_folder}/签到名单.xlsx"].compress_type == zipfile.ZIP_DEFLATED

            index = list(_read_xlsx(zf, "index.xlsx").iter_rows(values_only=True))
            assert index[0] == ("日期", "类型", "标题", "地点", "主办单位", "签到人数", "现场答题人数", "现场答题正确率（%）", "照片数", "文件夹")
            assert [r[2] for r in index[1:5]] == ["元旦普法宣讲", "禁毒宣传进社区", "宪法宣传日：宪法进万家/主题活动", "跨年普法夜"]
            assert index[3][0].date() == datetime(2026, 12, 4).date() and index[1][0].date() == datetime(2026, 1, 1).date()
            assert index[3][1:] == ("宪法宣传日", "宪法宣传日：宪法进万家/主题活动", "镇政府广场", "司法所", 4, 2, 70.0, 2, con_folder)
            assert index[4][5:9] == (2, 1, 100.0, 0)
            assert index[5][0] == "合计" and index[5][5] == 8

            signed = list(_read_xlsx(zf, f"{con_folder}/签到名单.xlsx").iter_rows(values_only=True))
            assert signed[0] == ("序号", "姓名", "昵称", "村/社区", "签到时间")
            assert signed[1:] == [
                (1, "王五", "王五", "西山社区", datetime(2026, 12, 4, 9, 1)),
                (2, "张三", "老张", "东湖村", datetime(2026, 12, 4, 9, 2)),
                (3, "赵六", "小赵", "未填写", datetime(2026, 12, 4, 9, 3)),
                (4, "李四", "四哥", "东湖村", datetime(2026, 12, 4, 9, 4)),
            ]
            one = list(_read_xlsx(zf, f"2026-01-01_普法宣讲_元旦普法宣讲_{e['new_year'].id}/签到名单.xlsx").iter_rows(values_only=True))
            assert [r[1] for r in one] == ["姓名", "李四"]

            photo_names = sorted(n for n in names if n.startswith(f"{con_folder}/照片/"))
            assert len(photo_names) == 2
            for photo_id, data in year.photo_bytes.items():
                photo = db.session.get(EventPhoto, photo_id)
                when = to_local(photo.taken_at or photo.created_at)
                name = f"{con_folder}/照片/{when:%Y%m%d_%H%M%S}_{photo.sha256[:8]}.jpg"
                assert zf.read(name) == data
                assert infos[name].compress_type == zipfile.ZIP_STORED
            # The photo with EXIF is named by when it was taken, in Beijing time.
            assert any(n.rsplit("/", 1)[1].startswith("20261204_093015_") for n in photo_names)
            assert not any("缺失" in n for n in names)

            figures = load_workbook(io.BytesIO(zf.read("年度统计.xlsx")))
            assert figures.sheetnames == SHEETS


def test_an_event_not_over_yet_is_left_out_of_the_archive(year):
    """On 2026-12-10 the New Year's Eve event is still to come: no folder, and the
    index's total is the three events held, as on the screen."""
    e = year.events
    out = io.BytesIO()
    archive.write_archive(2026, out, datetime(2026, 12, 10, 2, 0))
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert not any(n.startswith(f"2026-12-31_普法宣讲_跨年普法夜_{e['new_years_eve'].id}/") for n in names)
        index = list(_read_xlsx(zf, "index.xlsx").iter_rows(values_only=True))
        assert (index[-1][0], index[-1][2], index[-1][5]) == ("合计", "3场", 6)
        overview = {row[0]: row[1] for row in load_workbook(io.BytesIO(zf.read("年度统计.xlsx")))["总览"].iter_rows(values_only=True)}
        assert overview["开展普法活动（场次）"] == 3 and overview["尚未结束、未计入的活动（场次）"] == 1


def test_archive_notes_a_photo_whose_file_is_missing(make):
    event = add_event(make, "water_week", datetime(2028, 3, 22, 9), make.org_unit(kind="department"), "中国水周")
    db.session.add(EventPhoto(event_id=event.id, sha256="ab" * 32, mime_type="image/png", size_bytes=10, width=1, height=1,
                              created_at=datetime(2028, 3, 22, 2, 0)))
    db.session.flush()
    out = io.BytesIO()
    archive.write_archive(2028, out, AFTER_2028)
    with zipfile.ZipFile(out) as zf:
        folder = f"2028-03-22_水法宣传_中国水周_{event.id}"
        assert zf.read(f"{folder}/缺失照片.txt").decode("utf-8").endswith("20280322_100000_abababab.png\n")
        assert not any("/照片/" in n for n in zf.namelist())
        index = list(_read_xlsx(zf, "index.xlsx").iter_rows(values_only=True))
        assert index[1][8] == 0


def test_file_names_are_safe():
    assert archive.safe_name('a/b\\c:d*e?f"g<h>i|j\x01k') == "a_b_c_d_e_f_g_h_i_j_k"
    assert archive.safe_name("  ..标题  .. ") == "标题"
    assert len(archive.safe_name("长" * 100)) == archive.TITLE_MAX


def test_a_nickname_that_is_a_formula_is_archived_as_plain_text(api, make):
    """Issue 13's case: the nickname is set through the API, checked in with, and the
    archive's 签到名单 holds it as text an office's Excel will not run."""
    evil = '=HYPERLINK("http://evil.invalid","x")'
    me = api.as_user(make.user())
    assert me.patch("/me", json={"nickname": evil, "real_name": "@张三"}).status_code == 200
    event = make.event(title="防诈骗宣讲")
    token = tokens.issue(event.id, event.token_seconds, utcnow())[0]
    assert me.post("/checkins", json={"token": token, "latitude": 30.5123, "longitude": 114.3456}).status_code == 201

    with tempfile.TemporaryFile() as out:
        archive.write_archive(to_local(event.starts_at).year, out, utcnow() + timedelta(hours=3))
        out.seek(0)
        with zipfile.ZipFile(out) as zf:
            name = next(n for n in zf.namelist() if n.endswith(f"_{event.id}/签到名单.xlsx"))
            ws = load_workbook(io.BytesIO(zf.read(name)))["签到名单"]
    real_name, nickname = ws["B2"], ws["C2"]
    assert (nickname.value, nickname.data_type) == ("'" + evil, "s")
    assert (real_name.value, real_name.data_type) == ("'@张三", "s")
