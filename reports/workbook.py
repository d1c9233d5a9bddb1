"""The year's figures (reports.figures.year_figures) as the workbook the office files
with its annual report: one sheet per table of the screen 年度档案与统计.

The whole district of several towns (figures `towns`) is filed town by town, as its
screen shows it and its report speaks: the sheets by unit and the learning gain of every
event become sheets by town. A town's units and events are in that town's own workbook
(the screen's town selector), which is what its village or unit figures are asked of:
keeping them in the district's would keep them in the district's figures, which every
district page reads."""
from core import xlsx
from reports.learning_gain import GROUP_LABELS, MIN_ANSWERS, TOO_FEW

SHEETS = ["总览", "按类型", "按月份", "按主办单位", "按村社区", "无签到活动", "现场答题", "学习成效",
          "线上学法（按法律）", "线上学法（按村社区）", "线上学法（按月份）", "学法考试", "考试（按单位）", "积分", "奖品兑换"]
# The district of several towns: these sheets hold its towns.
BY_TOWN = {"按主办单位": "按镇（主办单位所属）", "按村社区": "按镇（参与者所在）", "学习成效": "学习成效（按镇）",
           "线上学法（按村社区）": "线上学法（按镇）", "考试（按单位）": "考试（按镇）"}
DISTRICT_SHEETS = [BY_TOWN.get(name, name) for name in SHEETS]
TOWNS_NOTE = "全区按镇统计；各村（社区）、单位和每场活动的明细，请在页面上选择该镇后下载该镇的统计表。"


def overview_rows(f: dict) -> list[tuple]:
    """(项目, 数值) of the overview, as on the screen."""
    e, learning, exams, points, rewards = f["events"], f["learning"], f["exams"], f["points"], f["rewards"]
    return [
        ("年度", f["year"]), ("统计截至", f["as_of"]),
        ("开展普法活动（场次）", e["held"]), ("其中无签到记录（场次）", len(e["without_checkins"])),
        ("尚未结束、未计入的活动（场次）", e["not_yet_held"]),
        ("覆盖群众（人）", e["people"]), ("参与群众（人次）", e["checkins"]), ("参与的村（社区）（个）", e["villages"]),
        ("主办单位（个）", e["organisers"]),
        ("现场答题参与（人）", e["quiz"]["people"]), ("现场答题正确率（%）", e["quiz"]["accuracy"]),
        ("线上学法参与（人）", learning["people"]), ("线上学法答题（道）", learning["answers"]),
        ("线上学法正确率（%）", learning["accuracy"]),
        ("学法考试（场）", exams["exams"]), ("新提拔领导干部参考（人）", exams["new_leaders"]["sat"]),
        ("新提拔领导干部合格（人）", exams["new_leaders"]["passed"]),
        ("发放积分（分）", points["issued"]), ("兑换消耗积分（分）", points["spent"]), ("退回积分（分）", points["refunded"]),
        ("兑换奖品（件）", rewards["redeemed"]), ("已领取奖品（件）", rewards["handed_over"]),
        ("归档活动照片（张）", e["photos"]),
    ]


GAIN_HEADERS = ["日期", "活动", "法律",
                "到场者活动前答题", "到场者活动前正确率（%）", "到场者现场答题", "到场者现场正确率（%）",
                "到场者活动后答题", "到场者活动后正确率（%）", "到场者提高（百分点）",
                "未到场者活动前答题", "未到场者活动前正确率（%）", "未到场者活动后答题", "未到场者活动后正确率（%）",
                "未到场者提高（百分点）", "到场者多提高（百分点）", "说明"]


# The district's sheet: each town's events with an on-site quiz, and the means of those compared.
TOWN_GAIN_HEADERS = ["镇", "现场答题活动（场）", "可比较（场）", "到场者平均提高（百分点）", "未到场者平均提高（百分点）",
                     "到场者平均多提高（百分点）"]


def gain_row(r: dict) -> tuple:
    """One event's row of the sheet 学习成效 (r: a reports.learning_gain row)."""
    a, o = r["attendees"], r["others"]
    notes = [f"{GROUP_LABELS[g]}{label}答题不足{MIN_ANSWERS}道，{TOO_FEW}" for g in ("attendees", "others")
             for period, label in (("before", "活动前"), ("after", "活动后")) if r[g][period]["too_few"]]
    if not r["complete"]:
        notes.append(f"活动结束未满30天，活动后截至{r['after_until']:%Y-%m-%d}")
    return (r["date"], r["title"], r["law"],
            a["before"]["answers"], a["before"]["accuracy"], a["on_site"]["answers"], a["on_site"]["accuracy"],
            a["after"]["answers"], a["after"]["accuracy"], a["gain"],
            o["before"]["answers"], o["before"]["accuracy"], o["after"]["answers"], o["after"]["accuracy"], o["gain"],
            r["difference"], "；".join(notes))


def _table(wb, title, headers, widths, rows, total=None):
    ws = xlsx.sheet(wb, title, headers, widths)
    for row in rows:
        ws.append(list(row))
    if total is not None:
        ws.append(list(total))
        xlsx.bold_last_row(ws)
    return ws


def figures_xlsx(f: dict) -> bytes:
    from openpyxl import Workbook  # heavy: imported where used
    from openpyxl.styles import Alignment

    e, learning, exams, points, rewards = f["events"], f["learning"], f["exams"], f["points"], f["rewards"]
    towns = f["towns"]
    wb = Workbook()

    ws = xlsx.sheet(wb, SHEETS[0], ["项目", "数值"], [36, 16], first=True)
    for row in overview_rows(f):
        ws.append(row)
        if row[0] == "统计截至":
            ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["报告用语"])
    xlsx.bold_last_row(ws)
    for line in f["headlines"] + ([TOWNS_NOTE] if towns else []):
        ws.append([line])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=2)
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 15 * (1 + len(line) // 28)

    reach = (e["held"], e["people"], e["checkins"])
    _table(wb, "按类型", ["活动类型", "场次", "覆盖人数", "参与人次"], [16, 10, 12, 12],
           ((k["label"], k["events"], k["people"], k["checkins"]) for k in e["by_kind"]), ("合计", *reach))
    _table(wb, "按月份", ["月份", "场次", "覆盖人数", "参与人次"], [10, 10, 12, 12],
           ((f"{m['month']}月", m["events"], m["people"], m["checkins"]) for m in e["by_month"]), ("合计", *reach))
    if towns:
        # A person at events of two towns is one person in each: the towns need not add up.
        _table(wb, BY_TOWN["按主办单位"], ["镇", "主办单位（个）", "场次", "覆盖人数", "参与人次"], [20, 14, 10, 12, 12],
               ((u["unit"], u["organisers"], u["events"], u["people"], u["checkins"]) for u in e["by_organiser"]),
               ("合计", e["organisers"], *reach))
        _table(wb, BY_TOWN["按村社区"], ["镇（参与者所在）", "覆盖人数", "参与人次"], [20, 12, 12],
               ((v["unit"], v["people"], v["checkins"]) for v in e["by_village"]), ("合计", e["people"], e["checkins"]))
    else:
        _table(wb, "按主办单位", ["主办单位", "场次", "覆盖人数", "参与人次"], [28, 10, 12, 12],
               ((u["unit"], u["events"], u["people"], u["checkins"]) for u in e["by_organiser"]), ("合计", *reach))
        _table(wb, "按村社区", ["村/社区", "覆盖人数", "参与人次"], [28, 12, 12],
               ((v["unit"], v["people"], v["checkins"]) for v in e["by_village"]), ("合计", e["people"], e["checkins"]))
    ws = _table(wb, "无签到活动", ["日期", "活动类型", "标题", "主办单位"], [12, 14, 36, 24],
                ((x["date"], x["label"], x["title"], x["organiser"]) for x in e["without_checkins"]))
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    q = e["quiz"]
    _table(wb, "现场答题", ["活动类型", "答题人数", "答题次数", "答题数", "答对数", "正确率（%）"], [16, 12, 12, 10, 10, 12],
           ((k["label"], k["quiz"]["people"], k["quiz"]["quizzes"], k["quiz"]["answered"], k["quiz"]["correct"], k["quiz"]["accuracy"])
            for k in e["by_kind"]),
           ("合计", q["people"], q["quizzes"], q["answered"], q["correct"], q["accuracy"]))

    gain = f["learning_gain"]
    if towns:
        _table(wb, BY_TOWN["学习成效"], TOWN_GAIN_HEADERS, [20, 14, 12, 14, 14, 14],
               ((t["unit"], t["events"], t["compared"], t["attendees"], t["others"], t["difference"]) for t in gain["by_town"]),
               ("全区", gain["held"], gain["compared"], gain["attendees"], gain["others"], gain["difference"]))
    else:
        ws = _table(wb, "学习成效", GAIN_HEADERS, [12, 28, 20, *[11] * 13, 36], (gain_row(r) for r in gain["events"]))
        for row in ws.iter_rows(min_row=2, max_col=1):
            row[0].number_format = "yyyy-mm-dd"

    answers = ["参与人数", "答题数", "答对数", "正确率（%）"]
    total = (learning["people"], learning["answers"], learning["correct"], learning["accuracy"])
    _table(wb, "线上学法（按法律）", ["法律法规", *answers], [28, 12, 12, 12, 12],
           ((x["law"], x["people"], x["answers"], x["correct"], x["accuracy"]) for x in learning["by_law"]), ("合计", *total))
    _table(wb, BY_TOWN["线上学法（按村社区）"] if towns else "线上学法（按村社区）", ["镇" if towns else "村/社区", *answers],
           [28, 12, 12, 12, 12],
           ((x["unit"], x["people"], x["answers"], x["correct"], x["accuracy"]) for x in learning["by_village"]), ("合计", *total))
    _table(wb, "线上学法（按月份）", ["月份", *answers], [10, 12, 12, 12, 12],
           ((f"{x['month']}月", x["people"], x["answers"], x["correct"], x["accuracy"]) for x in learning["by_month"]),
           ("合计", *total))

    cadres = ["应考人数", "参考人数", "合格人数", "参考率（%）", "合格率（%）"]
    _table(wb, "学法考试", ["考试类型", "场次", "进行中", *cadres], [24, 8, 8, 10, 10, 10, 12, 12],
           ((k["label"], k["exams"], k["open"], k["assigned"], k["sat"], k["passed"], k["sat_rate"], k["pass_rate"])
            for k in exams["by_kind"]))
    _table(wb, BY_TOWN["考试（按单位）"] if towns else "考试（按单位）", ["考试类型", "镇" if towns else "单位", *cadres],
           [24, 24, 10, 10, 10, 12, 12],
           ((k["label"], u["unit"], u["assigned"], u["sat"], u["passed"], u["sat_rate"], u["pass_rate"])
            for k in exams["by_kind"] for u in k["by_unit"]))

    _table(wb, "积分", ["月份", "发放积分", "兑换消耗", "退回"], [10, 12, 12, 12],
           ((f"{m['month']}月", m["issued"], m["spent"], m["refunded"]) for m in points["by_month"]),
           ("合计", points["issued"], points["spent"], points["refunded"]))
    _table(wb, "奖品兑换", ["奖品", "兑换", "已领取", "待领取", "已过期", "已取消"], [28, 10, 10, 10, 10, 10],
           ((r["reward"], r["redeemed"], r["handed_over"], r["pending"], r["expired"], r["cancelled"]) for r in rewards["by_reward"]),
           ("合计", rewards["redeemed"], rewards["handed_over"], rewards["pending"], rewards["expired"], rewards["cancelled"]))
    return xlsx.to_bytes(wb)
