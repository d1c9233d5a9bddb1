"""年度报告 in the panel: district staff download the whole district's report town by town,
or a town's (picked) by village; a town's staff always get their own town's."""
from io import BytesIO

from docx import Document

from tests.admin.conftest import login
from tests.reports.test_annual_report import district


def _report(panel, query: str = "") -> tuple[str, set[str]]:
    r = panel.get(f"/admin/annual-report/2025.docx{query}")
    assert r.status_code == 200
    doc = Document(BytesIO(r.data))
    return doc.paragraphs[0].text, {c.text for table in doc.tables for row in table.rows for c in row.cells}


def test_district_staff_get_the_district_by_town_or_a_picked_town_by_village(panel, make):
    towns = district(make)
    login(panel, make.admin("reviewer"))
    title, cells = _report(panel)
    assert title == "全区2025年法治政府建设年度报告（草稿）"
    assert {"东湖镇", "西岭镇", "镇"} <= cells and not {"东湖村", "西岭村", "村（社区）"} & cells
    title, cells = _report(panel, f"?town={towns['西岭'].id}")
    assert title == "本镇2025年法治政府建设年度报告（草稿）"
    assert {"西岭村", "西岭司法所"} <= cells and not {"东湖村", "东湖镇", "西岭镇"} & cells


def test_a_towns_staff_get_their_towns_villages_whatever_they_ask(panel, make):
    towns = district(make)
    login(panel, make.admin("reviewer", town_id=towns["东湖"].id))
    for query in ("", f"?town={towns['西岭'].id}"):
        title, cells = _report(panel, query)
        assert title.startswith("本镇") and {"东湖村", "东湖司法所"} <= cells
        assert not {"西岭村", "东湖镇", "西岭镇"} & cells


def test_a_single_town_deployments_district_staff_get_its_villages(panel, make):
    district(make, names=("东湖",))
    login(panel, make.admin("reviewer"))
    title, cells = _report(panel)
    assert title.startswith("本镇") and {"东湖村", "村（社区）"} <= cells and "东湖镇" not in cells


def test_district_staff_pick_a_town_on_the_report_page_and_its_links_carry_it(panel, make):
    towns = district(make)
    login(panel, make.admin("reviewer"))
    page = panel.get("/admin/annual-report/").get_data(as_text=True)
    assert 'id="town-select"' in page and "西岭镇" in page
    picked = panel.get(f"/admin/annual-report/?town={towns['西岭'].id}").get_data(as_text=True)
    assert f"town={towns['西岭'].id}" in picked[picked.index('id="report-links"'):]
    login(panel, make.admin("reviewer", town_id=towns["东湖"].id))
    assert 'id="town-select"' not in panel.get("/admin/annual-report/").get_data(as_text=True)
