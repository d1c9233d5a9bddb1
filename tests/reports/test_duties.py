"""谁执法谁普法: each unit's tasks against what it did, counted from its events and its
cadres' exam attempts, checked against a town counted by hand."""
import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from activities.models import CheckIn
from core.extensions import db
from core.timeutil import from_local
from quiz_bank.exams import attempts
from reports.duties import duty_progress, duty_table, duty_xlsx
from reports.models import PublicityTask



def _now():
    return from_local(datetime(2025, 12, 6, 10, 0))


def _event(make, unit, kind, day, people):
    start = from_local(datetime(2025, *day, 9, 0))
    event = make.event(kind=kind, org_unit=unit, starts_at=start, ends_at=start + timedelta(hours=2))
    for _ in range(people):
        db.session.add(CheckIn(event_id=event.id, user_id=make.user().id, checked_in_at=start + timedelta(minutes=5)))
    db.session.flush()
    return event


def _town(make):
    """司法所: a lecture (3 people) and an outreach (2) held, a lecture on 12-16 not yet held.
    派出所: an anti-drug-day event nobody came to. 东湖村: two cadres, one sat the annual exam."""
    justice = make.org_unit(kind="department", name="镇司法所")
    police = make.org_unit(kind="department", name="镇派出所")
    village = make.org_unit(kind="village", name="东湖村")
    _event(make, justice, "lecture", (3, 15), 3)
    _event(make, justice, "outreach", (6, 1), 2)
    _event(make, justice, "lecture", (12, 16), 4)  # in the future: not held yet
    _event(make, police, "antidrug_day", (6, 26), 0)
    sitter, absent = make.user(), make.user()
    make.cadre(sitter, org_unit=village)
    make.cadre(absent, org_unit=village)
    exam = make.exam(kind="annual", opens_at=from_local(datetime(2025, 11, 1)), closes_at=from_local(datetime(2025, 11, 30)))
    attempt, _ = attempts.start_attempt(sitter.id, exam.id, now=from_local(datetime(2025, 11, 10, 9)))
    attempts.submit(sitter.id, attempt.id, now=from_local(datetime(2025, 11, 10, 9, 30)))
    db.session.add_all([
        PublicityTask(year=2025, org_unit_id=justice.id, events=2, event_kinds=[], people=5),
        PublicityTask(year=2025, org_unit_id=police.id, events=2, event_kinds=["antidrug_day"], people=10, note="禁毒宣传"),
        PublicityTask(year=2025, org_unit_id=village.id, events=0, event_kinds=[], people=0, exam_sat_percent=60),
    ])
    db.session.flush()


def test_progress_is_counted_from_what_each_unit_did(make):
    _town(make)
    rows = {r["unit"]: r for r in duty_progress(2025, _now())}
    justice, police, village = rows["镇司法所"], rows["镇派出所"], rows["东湖村"]
    # The 12-16 lecture has not happened: two events held, five people reached, done.
    assert (justice["events"]["done"], justice["people"]["done"], justice["status"]) == (2, 5, "完成")
    assert justice["exam"] is None
    # One anti-drug event with nobody: held, but neither target met.
    assert (police["events"]["done"], police["events"]["status"], police["people"]["done"]) == (1, "未完成", 0)
    assert police["status"] == "未完成" and police["kinds"] == "禁毒日"
    # One of the village's two cadres sat the annual exam: 50 % of a 60 % target.
    assert (village["exam"]["done"], village["exam"]["status"], village["status"]) == (50.0, "未完成", "未完成")
    # Only the lecture counts when the task names lectures.
    db.session.get(PublicityTask, justice["task_id"]).event_kinds = ["lecture"]
    db.session.flush()
    again = {r["unit"]: r for r in duty_progress(2025, _now())}["镇司法所"]
    assert (again["events"]["done"], again["people"]["done"], again["status"]) == (1, 3, "未完成")
    assert duty_progress(2024, _now()) == []


def test_the_review_table_and_workbook_say_the_same(make):
    _town(make)
    rows = duty_progress(2025, _now())
    book = load_workbook(io.BytesIO(duty_xlsx(2025, rows)))
    sheet = book.active
    assert sheet.title == "2025年谁执法谁普法考核"
    assert [[c for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)] == \
        [[None if v == "" else v for v in row] for row in duty_table(rows)]


def test_the_annual_report_draft_carries_the_measured_sentences_and_tables(make):
    from docx import Document

    from reports.annual_report import annual_report_docx
    from reports.figures import year_figures

    _town(make)
    figures = year_figures(2025, _now())
    doc = Document(io.BytesIO(annual_report_docx(figures, duty_progress(2025, _now()), town="东湖镇")))
    text = [p.text for p in doc.paragraphs]
    assert text[0] == "东湖镇2025年法治政府建设年度报告（草稿）"
    assert "（三）落实“谁执法谁普法”普法责任制" in text and "3个单位明确了年度普法责任任务，已全部完成1个。" in text
    # The measured sentences are the figures' own, word for word.
    assert all(line in text for line in figures["headlines"]) and any("开展普法活动3场次" in t for t in text)
    assert "二、存在的不足和原因" in text and "四、2026年推进法治政府建设的主要安排" in text
    cells = {c.text for table in doc.tables for row in table.rows for c in row.cells}
    assert {"镇司法所", "镇派出所", "禁毒日", "法治讲座"} <= cells
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    # The charts are in it as pictures: by kind, by village, exam pass rate by unit.
    assert len(doc.inline_shapes) == 3
