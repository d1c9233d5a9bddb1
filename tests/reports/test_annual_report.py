"""The annual report's Word draft: a town's lays its people out by village and its exam by
unit; the whole district's (given the towns' figures) speaks of its towns instead."""
import io
from datetime import datetime

from docx import Document

from reports.annual_report import annual_report_docx
from reports.figures import by_town, year_figures
from tests.reports.town import at, attempt, check_in, event

def _now():
    return at(2026, 1, 10, 10, 0)  # 2025 is over


def district(make, names=("东湖", "西岭"), exam_kind="annual") -> dict:
    """Towns named 东湖镇, 西岭镇…, each with a village whose resident came to its 司法所's
    lecture in 2025 and a 司法所 cadre given the year's exam: 东湖's passed, 西岭's failed."""
    towns = {}
    for name, score in zip(names, (90, 30, 30)):
        town = make.town(name=f"{name}镇")
        village = make.org_unit(name=f"{name}村", town=town)
        office = make.org_unit(name=f"{name}司法所", kind="department", town=town)
        lecture = event(make, f"{name}法治讲座", "lecture", office, datetime(2025, 6, 1, 9, 0))
        check_in(lecture, make.user(org_unit_id=village.id))
        exam = make.exam(kind=exam_kind, assign_all=False, units=[office], opens_at=at(2025, 11, 1), closes_at=at(2025, 11, 30))
        attempt(exam, make.cadre(make.user(), org_unit=office), "submitted", score, at(2025, 11, 10, 9))
        towns[name] = town
    return towns


def _read(data: bytes) -> tuple[list[str], list[list[list[str]]], int]:
    doc = Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
    return [p.text for p in doc.paragraphs], tables, len(doc.inline_shapes)


def _cells(tables) -> set[str]:
    return {c for table in tables for row in table for c in row}


def test_the_districts_report_speaks_of_its_towns_not_its_villages(make):
    district(make)
    data = annual_report_docx(year_figures(2025, _now()), [], town="全区", by_town=by_town(2025, _now()))
    text, tables, pictures = _read(data)
    assert text[0] == "全区2025年法治政府建设年度报告（草稿）"
    assert "表2 各镇普法工作情况" in text and "表4 年度学法考试（按镇）" in text
    assert "表2 参与群众（按村、社区）" not in text and "表4 学法考试（按单位）" not in text
    # Each town's row: events, people, 人次, online learners, answers, points; then its exam.
    assert ["东湖镇", "1", "1", "1", "0", "0", "0"] in tables[1] and ["西岭镇", "1", "1", "1", "0", "0", "0"] in tables[1]
    exams = next(t for t in tables if t[0] == ["镇", "应考（人）", "合格（人）", "合格率"])
    assert exams[1:] == [["东湖镇", "1", "1", "100.0%"], ["西岭镇", "1", "0", "0.0%"]]
    # No village or unit is tabled, and the district's totals are still said.
    assert not {"东湖村", "西岭村", "东湖司法所", "西岭司法所", "村（社区）", "单位"} & _cells(tables)
    assert "年度学法考试：应考2人，参考2人，合格1人，合格率50.0%。" in text
    assert pictures == 3  # by kind, people by town, pass rate by town


def test_a_towns_report_lays_out_its_villages_and_units(make):
    towns = district(make)
    text, tables, pictures = _read(annual_report_docx(year_figures(2025, _now(), towns["东湖"].id), []))
    assert text[0] == "本镇2025年法治政府建设年度报告（草稿）"
    assert "表2 参与群众（按村、社区）" in text and "表4 学法考试（按单位）" in text and "表2 各镇普法工作情况" not in text
    cells = _cells(tables)
    assert {"东湖村", "东湖司法所", "村（社区）"} <= cells and not {"西岭村", "西岭司法所", "东湖镇", "镇"} & cells
    assert pictures == 3


def test_a_district_without_the_annual_exam_has_no_table_of_zeros_by_town(make):
    district(make, exam_kind="new_leader")
    text, tables, pictures = _read(annual_report_docx(year_figures(2025, _now()), [], town="全区", by_town=by_town(2025, _now())))
    assert "新提拔领导干部任前考试：应考2人，参考2人，合格1人，合格率50.0%。" in text
    assert not any(t.startswith("表4") for t in text) and pictures == 2
