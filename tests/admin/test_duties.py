"""谁执法谁普法 in the panel: tasks set in a form, the 考核 table on screen and as a workbook."""
from core.extensions import db
from reports.models import PublicityTask
from tests.admin.conftest import login
from tests.reports.test_duties import _town


def test_the_panel_sets_tasks_and_shows_the_review(panel, make):
    _town(make)
    admin = make.admin("admin")
    login(panel, admin)
    page = panel.get("/admin/duties/?year=2025").get_data(as_text=True)
    assert "镇司法所" in page and "完成" in page and "未完成" in page and "共 3 个单位，已全部完成 1 个" in page
    r = panel.get("/admin/duties/export.xlsx?year=2025")
    assert r.status_code == 200 and r.data.startswith(b"PK")
    unit = make.org_unit(kind="village", name="西山社区")
    r = panel.post("/admin/publicity-tasks/new/", data={"year": "2025", "org_unit": str(unit.id), "events": "3",
                                                         "event_kinds": ["lecture", "school"], "people": "100",
                                                         "exam_sat_percent": "", "note": "法治进校园"})
    assert r.status_code == 302
    task = db.session.query(PublicityTask).filter_by(org_unit_id=unit.id).one()
    assert task.event_kinds == ["lecture", "school"] and task.exam_sat_percent is None and task.events == 3


def test_the_annual_report_downloads_as_word(panel, make):
    from io import BytesIO

    from docx import Document

    _town(make)
    login(panel, make.admin("reviewer"))
    assert "下载 " in panel.get("/admin/annual-report/").get_data(as_text=True)
    r = panel.get("/admin/annual-report/2025.docx")
    assert r.status_code == 200 and "wordprocessingml" in r.mimetype
    headings = [p.text for p in Document(BytesIO(r.data)).paragraphs]
    assert headings[0].endswith("2025年法治政府建设年度报告（草稿）") and "（二）抓住领导干部这个“关键少数”" in headings
