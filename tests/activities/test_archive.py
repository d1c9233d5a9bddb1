"""The year's figures for the annual report, and the archive ZIP read back."""
import io
import tempfile
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from activities import archive, tokens
from activities.models import EventPhoto
from core.extensions import db
from core.timeutil import to_local, utcnow
from tests.activities.archive_data import add_event, build_year, check_in, event_quiz


@pytest.fixture
def year(make):
    return build_year(make)


def _by(rows, key):
    return {r[key]: r for r in rows}


def test_year_bounds_are_the_local_calendar_year(app):
    start, end = archive.year_bounds(2026)
    assert start == datetime(2025, 12, 31, 16, 0) and end == datetime(2026, 12, 31, 16, 0)


def test_figures_count_the_events_starting_in_the_local_year(year):
    f = archive.year_figures(2026)
    assert f["events"] == 4
    # Kinds come in the order of EVENT_KIND_LABELS.
    assert [(k["kind"], k["label"], k["events"]) for k in f["by_kind"]] == [
        ("constitution_day", "宪法宣传日", 1), ("antidrug_day", "禁毒日", 1), ("outreach", "普法宣讲", 2),
    ]
    assert {u["unit"]: u["events"] for u in f["by_organiser"]} == {"司法所": 2, "派出所": 2}
    # The boundary events went to their own years.
    assert archive.year_figures(2027)["events"] == 1 and archive.year_figures(2025)["events"] == 1
    assert archive.year_figures(2024)["events"] == 0


def test_people_reached_distinct_and_in_total(year):
    f = archive.year_figures(2026)
    assert (f["people"], f["checkins"]) == (4, 8)
    kinds = _by(f["by_kind"], "kind")
    assert (kinds["constitution_day"]["people"], kinds["constitution_day"]["checkins"]) == (4, 4)
    assert (kinds["outreach"]["people"], kinds["outreach"]["checkins"]) == (3, 3)
    assert (kinds["antidrug_day"]["people"], kinds["antidrug_day"]["checkins"]) == (1, 1)
    units = _by(f["by_organiser"], "unit")
    assert (units["司法所"]["people"], units["司法所"]["checkins"]) == (4, 5)
    assert (units["派出所"]["people"], units["派出所"]["checkins"]) == (2, 3)
    assert [u["unit"] for u in f["by_organiser"]] == ["司法所", "派出所"]


def test_by_village_with_people_and_check_ins_and_no_village_last(year):
    f = archive.year_figures(2026)
    assert [(v["unit"], v["people"], v["checkins"]) for v in f["by_village"]] == [
        ("东湖村", 2, 5), ("西山社区", 1, 2), ("未填写", 1, 1),
    ]
    assert f["villages"] == 2
    assert sum(v["people"] for v in f["by_village"]) == f["people"]


def test_on_site_quiz_participation_and_accuracy(year):
    f = archive.year_figures(2026)
    # a and b at Constitution Day (9 of 10), a on New Year's Eve (4 of 4); c answered nothing;
    # the 2027 quiz and a practice quiz do not count.
    assert f["quiz"] == {"people": 2, "quizzes": 3, "answered": 14, "correct": 11, "accuracy": 78.6}
    kinds = _by(f["by_kind"], "kind")
    assert kinds["constitution_day"]["quiz"] == {"people": 2, "quizzes": 2, "answered": 10, "correct": 7, "accuracy": 70.0}
    assert kinds["outreach"]["quiz"] == {"people": 1, "quizzes": 1, "answered": 4, "correct": 4, "accuracy": 100.0}
    assert kinds["antidrug_day"]["quiz"]["accuracy"] is None


def test_photos_and_the_report_sentences(year):
    f = archive.year_figures(2026)
    assert f["photos"] == 2
    lines = f["headlines"]
    assert lines[0] == "2026年全年开展普法活动4场次，其中宪法宣传日1场、禁毒日1场、普法宣讲2场；覆盖群众4人、8人次。"
    assert any("2个单位主办" in line and "司法所2场" in line for line in lines)
    assert any("覆盖2个村（社区）" in line and "东湖村（2人、5人次）" in line for line in lines)
    assert any("正确率78.6%" in line for line in lines)
    assert lines[-1] == "归档活动照片2张。"
    assert archive.year_figures(2030)["headlines"] == ["2030年暂无普法活动记录。"]


def test_years_that_have_events(year):
    assert archive.archive_years() == [2027, 2026, 2025]


def test_figures_take_a_fixed_number_of_queries(make, count_queries):
    units = [make.org_unit(kind="village") for _ in range(3)]
    organiser = make.org_unit(kind="department", name="司法所")
    first = add_event(make, "lecture", datetime(2031, 3, 1, 9), organiser)
    check_in(first, make.user(org_unit_id=units[0].id))
    db.session.flush()
    with count_queries() as few:
        small = archive.year_figures(2031)
    with count_queries() as few_archive:
        archive.write_archive(2031, io.BytesIO())

    for i in range(6):
        event = add_event(make, ("outreach", "school", "water_week")[i % 3], datetime(2031, 3 + i, 2, 9),
                          make.org_unit(kind="department"))
        for j in range(8):
            user = make.user(org_unit_id=units[j % 3].id if j % 4 else None)
            check_in(event, user)
            event_quiz(event, user, answered=3, correct=j % 4)
    db.session.flush()
    with count_queries() as many:
        big = archive.year_figures(2031)
    with count_queries() as many_archive:
        archive.write_archive(2031, io.BytesIO())

    assert (small["checkins"], big["checkins"]) == (1, 49)
    assert len(few) == len(many) == 8
    assert len(few_archive) == len(many_archive)


def test_figures_workbook(year):
    wb = load_workbook(io.BytesIO(archive.figures_xlsx(2026)))
    assert wb.sheetnames == ["总览", "按类型", "按主办单位", "按村社区", "现场答题"]
    for ws in wb.worksheets:
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None)
        assert ws.column_dimensions["A"].width > 10
    overview = {row[0]: row[1] for row in wb["总览"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert overview["开展普法活动（场次）"] == 4 and overview["覆盖群众（人）"] == 4 and overview["参与群众（人次）"] == 8
    assert overview["现场答题正确率（%）"] == 78.6 and overview["归档活动照片（张）"] == 2
    assert any(str(k).startswith("2026年全年开展普法活动4场次") for k in overview)
    kinds = list(wb["按类型"].iter_rows(min_row=2, values_only=True))
    assert kinds == [("宪法宣传日", 1, 4, 4), ("禁毒日", 1, 1, 1), ("普法宣讲", 2, 3, 3), ("合计", 4, 4, 8)]
    assert wb["按类型"]["A5"].font.bold
    villages = list(wb["按村社区"].iter_rows(min_row=2, values_only=True))
    assert villages == [("东湖村", 2, 5), ("西山社区", 1, 2), ("未填写", 1, 1), ("合计", 4, 8)]
    quiz = list(wb["现场答题"].iter_rows(min_row=2, values_only=True))
    assert quiz[-1] == ("合计", 2, 3, 14, 11, 78.6)
    assert list(wb["按主办单位"].iter_rows(min_row=2, values_only=True))[0] == ("司法所", 2, 4, 5)


def _read_xlsx(zf, name):
    return load_workbook(io.BytesIO(zf.read(name))).active


def test_archive_zip_read_back(year):
    e = year.events
    with tempfile.TemporaryFile() as out:
        archive.write_archive(2026, out)
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
            assert figures.sheetnames == ["总览", "按类型", "按主办单位", "按村社区", "现场答题"]


def test_archive_notes_a_photo_whose_file_is_missing(make):
    event = add_event(make, "water_week", datetime(2028, 3, 22, 9), make.org_unit(kind="department"), "中国水周")
    db.session.add(EventPhoto(event_id=event.id, sha256="ab" * 32, mime_type="image/png", size_bytes=10, width=1, height=1,
                              created_at=datetime(2028, 3, 22, 2, 0)))
    db.session.flush()
    out = io.BytesIO()
    archive.write_archive(2028, out)
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
        archive.write_archive(to_local(event.starts_at).year, out)
        out.seek(0)
        with zipfile.ZipFile(out) as zf:
            name = next(n for n in zf.namelist() if n.endswith(f"_{event.id}/签到名单.xlsx"))
            ws = load_workbook(io.BytesIO(zf.read(name)))["签到名单"]
    real_name, nickname = ws["B2"], ws["C2"]
    assert (nickname.value, nickname.data_type) == ("'" + evil, "s")
    assert (real_name.value, real_name.data_type) == ("'@张三", "s")


def test_figures_workbook_neutralises_unit_names(make):
    unit = make.org_unit(kind="department", name="=1+1")
    add_event(make, "outreach", datetime(2029, 5, 1, 9), unit, "-宣讲-")
    ws = load_workbook(io.BytesIO(archive.figures_xlsx(2029)))["按主办单位"]
    assert (ws["A2"].value, ws["A2"].data_type) == ("'=1+1", "s")
