"""The draft of the township's 法治政府建设年度报告 as a Word file: the sections such a
report has, the year's measured sentences, tables and charts (as images) filled in from
reports.figures and reports.duties, and headings left for what the staff write themselves (problems,
the principal leaders' duties, next year's plan). A4, with the fonts of government
documents (仿宋 body, 黑体/楷体 headings), which Word and WPS both have.

A town's report lays its people out by village and its exam by unit. A district's
(given reports.figures.by_town) speaks of its towns instead: hundreds of villages and
units would make tables of many pages and charts metres long (and took 15 s to draw)."""
import io

from reports.charts import bar_chart
from reports.figures import BY_TOWN_NOTE
from reports.duties import HEADERS as DUTY_HEADERS, duty_table

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TITLE_FONT = "仿宋", "黑体", "楷体", "宋体"
TO_WRITE = "（请填写）"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    # Word takes Chinese text's font from eastAsia, not from the name above.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(doc, text: str, font: str = BODY_FONT, size: float = 16, bold: bool = False, center: bool = False,
               indent: bool = True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
    _font(p.add_run(text), font, size, bold)
    return p


def _table(doc, headers: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(str(text)), BODY_FONT, 10.5, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = ""
            _font(cell.paragraphs[0].add_run("" if value is None else str(value)), BODY_FONT, 10.5)
    doc.add_paragraph()


def _chart(doc, png: bytes) -> None:
    from docx.shared import Mm

    doc.add_picture(io.BytesIO(png), width=Mm(150))


def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _people_by_village(doc, e: dict) -> None:
    _chart(doc, bar_chart("活动参与群众（按村、社区，人次）", [(v["unit"], v["checkins"]) for v in e["by_village"]], "人次"))
    _paragraph(doc, "表2 参与群众（按村、社区）", BODY_FONT, 12, bold=True, center=True)
    _table(doc, ["村（社区）", "活动覆盖（人）", "活动参与（人次）"], [[v["unit"], v["people"], v["checkins"]] for v in e["by_village"]])


def _towns(doc, towns: list[dict]) -> None:
    _chart(doc, bar_chart("活动参与群众（按镇，人次）", [(t["town"], t["checkins"]) for t in towns], "人次"))
    _paragraph(doc, "表2 各镇普法工作情况", BODY_FONT, 12, bold=True, center=True)
    _table(doc, ["镇", "已开展活动（场）", "活动覆盖（人）", "活动参与（人次）", "线上学法（人）", "答题（道）", "发放积分（分）"],
           [[t["town"], t["events"], t["people"], t["checkins"], t["learners"], t["answers"], t["issued"]] for t in towns])
    # The towns need not add up to the district: say why (as the panel's 各镇情况 does).
    _paragraph(doc, f"注：{BY_TOWN_NOTE}", BODY_FONT, 12)


def _exams_by_unit(doc, exams: dict) -> None:
    units = [[k["label"], u["unit"], u["assigned"], u["sat"], u["passed"], _rate(u["pass_rate"]), u["pass_rate"] or 0]
             for k in exams["by_kind"] for u in k["by_unit"]]
    _chart(doc, bar_chart("学法考试合格率（按单位）", [(f"{u[1]}（{u[0]}）" if len(exams["by_kind"]) > 1 else u[1], u[6])
                                                     for u in units], "%"))
    _paragraph(doc, "表4 学法考试（按单位）", BODY_FONT, 12, bold=True, center=True)
    _table(doc, ["考试类型", "单位", "应考（人）", "参考（人）", "合格（人）", "合格率"], [u[:6] for u in units])


def _exams_by_town(doc, exams: dict, towns: list[dict]) -> None:
    # by_town counts the annual exam only: without one, a table of zeros would mislead.
    if not any(k["kind"] == "annual" for k in exams["by_kind"]):
        return
    _chart(doc, bar_chart("年度学法考试合格率（按镇）", [(t["town"], t["pass_rate"] or 0) for t in towns], "%"))
    _paragraph(doc, "表4 年度学法考试（按镇）", BODY_FONT, 12, bold=True, center=True)
    _table(doc, ["镇", "应考（人）", "合格（人）", "合格率"],
           [[t["town"], t["assigned"], t["passed"], _rate(t["pass_rate"])] for t in towns])


def annual_report_docx(f: dict, duties: list[dict], town: str = "本镇", by_town: list[dict] | None = None) -> bytes:
    """f: reports.figures.year_figures; duties: reports.duties.duty_progress of the same year;
    town: whose report it is, in its title; by_town: reports.figures.by_town of the same
    year, for the district's report, laid out town by town."""
    from docx import Document
    from docx.shared import Mm

    year, e, learning, exams = f["year"], f["events"], f["learning"], f["exams"]
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    # The margins of official documents (GB/T 9704): top 37, bottom 35, left 28, right 26 mm.
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)

    _paragraph(doc, f"{town}{year}年法治政府建设年度报告（草稿）", TITLE_FONT, 22, bold=True, center=True)
    status = "全年" if f["complete"] else f"截至{f['as_of'].month}月{f['as_of'].day}日"
    _paragraph(doc, f"（本稿由普法积分系统根据{year}年{status}的记录生成，数字请核对后使用。）", BODY_FONT, 12, center=True)

    _paragraph(doc, f"一、{year}年推进法治政府建设的主要举措和成效", HEADING_FONT, 16, indent=False)
    _paragraph(doc, "（一）深入开展法治宣传教育", SUBHEADING_FONT, 16, indent=False)
    for line in f["headlines"]:
        _paragraph(doc, line)
    _chart(doc, bar_chart("普法活动场次（按类型）", [(k["label"], k["events"]) for k in e["by_kind"]], "场"))
    _paragraph(doc, "表1 普法活动（按类型）", BODY_FONT, 12, bold=True, center=True)
    _table(doc, ["活动类型", "场次", "覆盖（人）", "参与（人次）"],
           [[k["label"], k["events"], k["people"], k["checkins"]] for k in e["by_kind"]])
    if by_town is None:
        _people_by_village(doc, e)
    else:
        _towns(doc, by_town)
    if learning["by_law"]:
        _paragraph(doc, "表3 线上学法（按法律）", BODY_FONT, 12, bold=True, center=True)
        _table(doc, ["法律", "参与（人）", "答题（道）", "正确率"],
               [[law["law"], law["people"], law["answers"], _rate(law["accuracy"])] for law in learning["by_law"]])

    _paragraph(doc, "（二）抓住领导干部这个“关键少数”", SUBHEADING_FONT, 16, indent=False)
    if exams["by_kind"]:
        for kind in exams["by_kind"]:
            _paragraph(doc, f"{kind['label']}：应考{kind['assigned']}人，参考{kind['sat']}人，合格{kind['passed']}人，"
                            f"合格率{_rate(kind['pass_rate'])}。")
        if by_town is None:
            _exams_by_unit(doc, exams)
        else:
            _exams_by_town(doc, exams, by_town)
    else:
        _paragraph(doc, f"{year}年尚未组织学法考试。")

    _paragraph(doc, "（三）落实“谁执法谁普法”普法责任制", SUBHEADING_FONT, 16, indent=False)
    if duties:
        done = sum(1 for r in duties if r["status"] == "完成")
        _paragraph(doc, f"{len(duties)}个单位明确了年度普法责任任务，已全部完成{done}个。")
        _paragraph(doc, "表5 谁执法谁普法考核", BODY_FONT, 12, bold=True, center=True)
        _table(doc, DUTY_HEADERS, duty_table(duties))
    else:
        _paragraph(doc, TO_WRITE)

    for heading in ("二、存在的不足和原因", "三、党政主要负责人履行推进法治建设第一责任人职责情况",
                    f"四、{year + 1}年推进法治政府建设的主要安排"):
        _paragraph(doc, heading, HEADING_FONT, 16, indent=False)
        _paragraph(doc, TO_WRITE)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
