"""The year's figures as the workbook the office files: the same numbers as the screen."""
import io
from datetime import datetime

from openpyxl import load_workbook

from reports.figures import year_figures
from reports.workbook import SHEETS, figures_xlsx
from tests.reports.town import at, build_town, event


def _rows(ws):
    return list(ws.iter_rows(min_row=2, values_only=True))


def test_the_workbook_holds_every_table_of_the_year(make):
    build_town(make)
    wb = load_workbook(io.BytesIO(figures_xlsx(year_figures(2025, at(2026, 1, 10, 10)))))
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None)

    overview = {row[0]: row[1] for row in _rows(wb["总览"]) if row[0]}
    assert overview["开展普法活动（场次）"] == 7 and overview["其中无签到记录（场次）"] == 2
    assert overview["尚未结束、未计入的活动（场次）"] == 0
    assert overview["覆盖群众（人）"] == 4 and overview["参与群众（人次）"] == 9
    assert overview["统计截至"] == datetime(2025, 12, 31)
    assert overview["线上学法答题（道）"] == 6 and overview["线上学法正确率（%）"] == 50.0
    assert overview["新提拔领导干部参考（人）"] == 1 and overview["发放积分（分）"] == 18 and overview["兑换奖品（件）"] == 3
    assert any(str(k).startswith("2025年全年开展普法活动7场次") for k in overview)

    assert _rows(wb["按类型"])[-1] == ("合计", 7, 4, 9)
    assert wb["按类型"]["A7"].font.bold
    assert ("12月", 4, 4, 7) in _rows(wb["按月份"])
    assert [r[1:] for r in _rows(wb["无签到活动"])] == [("水法宣传", "水法宣传进校园", "司法所"), ("法治讲座", "年终法治讲座", "司法所")]
    assert _rows(wb["无签到活动"])[0][0] == datetime(2025, 3, 22)
    assert _rows(wb["现场答题"])[-1] == ("合计", 2, 3, 14, 11, 78.6)
    assert _rows(wb["线上学法（按法律）"]) == [("民法典（测试）", 2, 4, 3, 75.0), ("宪法（测试）", 2, 2, 0, 0.0), ("合计", 3, 6, 3, 50.0)]
    assert _rows(wb["学法考试"])[0] == ("年度学法考试", 1, 0, 4, 3, 2, 75.0, 50.0)
    assert _rows(wb["考试（按单位）"])[:2] == [("年度学法考试", "司法所", 2, 2, 2, 100.0, 100.0),
                                             ("年度学法考试", "派出所", 2, 1, 0, 50.0, 0.0)]
    assert _rows(wb["积分"])[-1] == ("合计", 18, 16, 8)
    assert _rows(wb["奖品兑换"]) == [("普法宣传帆布袋", 2, 0, 1, 1, 0), ("洗衣液", 1, 1, 0, 0, 1), ("合计", 3, 1, 1, 1, 1)]


def test_unit_names_are_written_as_text(make):
    unit = make.org_unit(kind="department", name="=1+1")
    event(make, "-宣讲-", "outreach", unit, datetime(2029, 5, 1, 9))
    ws = load_workbook(io.BytesIO(figures_xlsx(year_figures(2029, at(2030, 1, 1, 9)))))["按主办单位"]
    assert (ws["A2"].value, ws["A2"].data_type) == ("'=1+1", "s")


def test_the_districts_workbook_is_filed_town_by_town(make):
    """Issue 19: the district of several towns, as its screen and report show it; a town's
    villages and units are in that town's own workbook."""
    from reports.workbook import DISTRICT_SHEETS, TOWNS_NOTE
    from tests.reports.district import NOW, build_district

    d = build_district(make)
    wb = load_workbook(io.BytesIO(figures_xlsx(year_figures(2025, at(*NOW)))))
    assert wb.sheetnames == DISTRICT_SHEETS
    overview = {row[0]: row[1] for row in _rows(wb["总览"]) if row[0]}
    assert overview["主办单位（个）"] == 3 and TOWNS_NOTE in overview
    assert _rows(wb["按镇（主办单位所属）"]) == [("乙镇", 2, 2, 3, 4), ("甲镇", 1, 1, 3, 3), ("合计", 3, 3, 4, 7)]
    assert _rows(wb["按镇（参与者所在）"]) == [("乙镇", 1, 3), ("甲镇", 2, 3), ("未填写", 1, 1), ("合计", 4, 7)]
    assert _rows(wb["线上学法（按镇）"])[-2:] == [("未填写", 1, 1, 0, 0.0), ("合计", 3, 4, 2, 50.0)]
    assert _rows(wb["考试（按镇）"]) == [("年度学法考试", "乙镇", 2, 1, 0, 50.0, 0.0), ("年度学法考试", "甲镇", 1, 1, 1, 100.0, 100.0)]
    assert _rows(wb["学习成效（按镇）"]) == [("乙镇", 0, 0, None, None, None), ("甲镇", 1, 0, None, None, None),
                                         ("全区", 1, 0, None, None, None)]
    text = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert not {"甲一村", "乙司法所"} & text  # no village's or unit's row
    # A town's workbook stays unit by unit.
    town = load_workbook(io.BytesIO(figures_xlsx(year_figures(2025, at(*NOW), d.towns["甲"].id))))
    assert town.sheetnames == SHEETS
    assert _rows(town["按主办单位"])[0] == ("甲司法所", 1, 3, 3)
