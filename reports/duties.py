"""谁执法谁普法: each unit's publicity tasks for a year against what it did, counted from
the events it organised and its cadres' exam attempts, never entered by hand.

- Events: held events (reports.figures.held_events: started in the year, ended by now)
  organised by the unit, of the task's kinds (any kind when none is named).
- People: check-ins (人次) at those events.
- Exam: the share of the unit's cadres assigned the year's annual exams who sat one
  (reports.figures, 年度学法考试 by unit).
An item is 完成 once its count reaches the target; a task is 完成 when all its items are."""
from datetime import datetime

from sqlalchemy import distinct, func, select

from accounts import tenancy
from activities.models import EVENT_KIND_LABELS, CheckIn, Event
from core.extensions import db
from core.timeutil import utcnow
from reports.figures import exam_figures, held_events, year_bounds
from reports.models import PublicityTask

DONE, NOT_DONE = "完成", "未完成"


def kinds_text(kinds: list[str]) -> str:
    return "、".join(EVENT_KIND_LABELS.get(k, k) for k in kinds) if kinds else "不限"


def duty_progress(year: int, now: datetime | None = None, town_id: int | None = None) -> list[dict]:
    """[{task_id, unit, kinds, events: {target, done, status}, people: {…},
    exam: {target, done (% sat, None when no cadre is assigned), status} or None,
    status}] for every unit with tasks in `year` (of `town_id`'s units if given), by unit name."""
    now = now or utcnow()
    tasks = db.session.scalars(tenancy.scope(select(PublicityTask).where(PublicityTask.year == year), PublicityTask, town_id)).all()
    if not tasks:
        return []
    start, end = year_bounds(year)
    held: dict[int, dict[str, tuple[int, int]]] = {}
    for unit_id, kind, events, checkins in db.session.execute(
            select(Event.org_unit_id, Event.kind, func.count(distinct(Event.id)), func.count(CheckIn.id))
            .outerjoin(CheckIn, CheckIn.event_id == Event.id)
            .where(held_events(start, end, now), Event.org_unit_id.in_({t.org_unit_id for t in tasks}))
            .group_by(Event.org_unit_id, Event.kind)):
        held.setdefault(unit_id, {})[kind] = (events, checkins)
    annual = next((k for k in exam_figures(start, end, now, town_id)["by_kind"] if k["kind"] == "annual"), {"by_unit": []})
    sat_rate = {u["unit_id"]: u["sat_rate"] for u in annual["by_unit"]}

    def item(target, done) -> dict:
        return {"target": target, "done": done, "status": DONE if done is not None and done >= target else NOT_DONE}

    rows = []
    for task in tasks:
        mine = held.get(task.org_unit_id, {})
        counted = [v for kind, v in mine.items() if not task.event_kinds or kind in task.event_kinds]
        row = {
            "task_id": task.id, "unit": task.org_unit.name, "kinds": kinds_text(task.event_kinds), "note": task.note,
            "events": item(task.events, sum(n for n, _ in counted)),
            "people": item(task.people, sum(c for _, c in counted)),
            "exam": item(task.exam_sat_percent, sat_rate.get(task.org_unit_id)) if task.exam_sat_percent is not None else None,
        }
        parts = [row["events"], row["people"]] + ([row["exam"]] if row["exam"] else [])
        row["status"] = DONE if all(p["status"] == DONE for p in parts) else NOT_DONE
        rows.append(row)
    return sorted(rows, key=lambda r: r["unit"])


HEADERS = ["单位", "活动类型", "活动目标（场）", "已开展（场）", "活动", "覆盖目标（人次）", "已覆盖（人次）", "覆盖",
           "干部参考率目标（%）", "干部参考率（%）", "考试", "总体", "备注"]


def duty_table(rows: list[dict]) -> list[list]:
    """The 考核 table as the screen and the workbook show it."""
    table = []
    for r in rows:
        exam = r["exam"]
        table.append([r["unit"], r["kinds"], r["events"]["target"], r["events"]["done"], r["events"]["status"],
                      r["people"]["target"], r["people"]["done"], r["people"]["status"],
                      exam["target"] if exam else "—", (exam["done"] if exam["done"] is not None else "无人参考") if exam else "—",
                      exam["status"] if exam else "—", r["status"], r["note"]])
    return table


def duty_xlsx(year: int, rows: list[dict]) -> bytes:
    from openpyxl import Workbook  # heavy: imported where used

    from core import xlsx

    book = Workbook()
    ws = xlsx.sheet(book, f"{year}年谁执法谁普法考核", HEADERS, [22, 20, 12, 12, 8, 14, 14, 8, 16, 14, 8, 8, 30], first=True)
    for line in duty_table(rows):
        ws.append([xlsx.neutralise(v) for v in line])
    return xlsx.to_bytes(book)
