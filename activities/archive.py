"""The year's archive of publicity events and the figures for the annual rule-of-law
report (法治政府建设年度报告).

An event belongs to the local (Asia/Shanghai) calendar year in which it starts; its
check-ins, on-site quizzes and photos go with it, whenever they were made. Every
figure is aggregated in SQL: `year_figures` sends the same few statements however
many events, check-ins and quizzes the year holds, and `write_archive` adds a fixed
handful more (the sign-in lists are streamed, not loaded whole).

On-site quiz participation counts the quizzes of mode "event" in which at least one
question was answered (a quiz opened and left untouched is no participation);
accuracy is correct answers / answered questions.
"""
import logging
import os
import re
import zipfile
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, func, literal, select

from accounts.models import OrgUnit, User
from activities.models import EVENT_KIND_LABELS, CheckIn, Event, EventPhoto
from activities.photos import MIME_EXTENSIONS, photo_path
from core import xlsx
from core.extensions import db
from core.timeutil import local_midnight_utc, local_naive, to_local, utcnow
from quiz_bank.models import Quiz

log = logging.getLogger(__name__)

NO_UNIT = "未填写"
MIN_YEAR, MAX_YEAR = 1990, 2100
# Characters a file name may not hold on Windows (where the archive is opened).
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
TITLE_MAX = 40
# How many sign-in rows are fetched at a time while the archive is written.
STREAM_ROWS = 1000


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The local calendar year as naive UTC [start, end)."""
    return local_midnight_utc(date(year, 1, 1)), local_midnight_utc(date(year + 1, 1, 1))


def _in_year(year: int):
    start, end = year_bounds(year)
    return and_(Event.starts_at >= start, Event.starts_at < end)


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage with one decimal, rounded half up; None for 0/0."""
    if not whole:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def kind_label(kind: str) -> str:
    return EVENT_KIND_LABELS.get(kind, kind)


_KIND_ORDER = {kind: i for i, kind in enumerate(EVENT_KIND_LABELS)}


def archive_years() -> list[int]:
    """The local years in which events start, newest first (two statements)."""
    first, last = db.session.execute(select(func.min(Event.starts_at), func.max(Event.starts_at))).one()
    if first is None:
        return []
    lo, hi = to_local(first).year, to_local(last).year
    # Bucket by the years' UTC boundaries, so the local year is right on every database.
    bucket = case(*((Event.starts_at < year_bounds(y)[1], literal(y)) for y in range(lo, hi)), else_=literal(hi)) \
        if hi > lo else literal(hi)
    years = db.session.scalars(select(bucket.label("y")).distinct()).all()
    return sorted((int(y) for y in years), reverse=True)


# -- the figures ----------------------------------------------------------------------


def year_figures(year: int) -> dict:
    """The year's figures for the annual report. Eight statements, whatever the data.

    Returns {year, events, by_kind, by_organiser, people, checkins, by_village,
    villages, quiz, photos, headlines}; see the keys below."""
    in_year = _in_year(year)

    # 1. Events by kind and organiser (both tables come from this one grouping).
    event_rows = db.session.execute(
        select(Event.kind, Event.org_unit_id, OrgUnit.name, func.count(Event.id))
        .join(OrgUnit, OrgUnit.id == Event.org_unit_id).where(in_year)
        .group_by(Event.kind, Event.org_unit_id, OrgUnit.name)
    ).all()

    def checkins_by(*columns):
        return (select(*columns, func.count(CheckIn.id), func.count(distinct(CheckIn.user_id)))
                .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id).where(in_year))

    # 2-4. People reached: by kind, by organiser, in all (distinct people and check-ins).
    checkin_kind = {k: (n, p) for k, n, p in db.session.execute(checkins_by(Event.kind).group_by(Event.kind))}
    checkin_org = {u: (n, p) for u, n, p in db.session.execute(checkins_by(Event.org_unit_id).group_by(Event.org_unit_id))}
    checkins, people = db.session.execute(checkins_by()).one()

    # 5. By the village or community where each person lives.
    village_rows = db.session.execute(
        checkins_by(User.org_unit_id, OrgUnit.name).join(User, User.id == CheckIn.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).group_by(User.org_unit_id, OrgUnit.name)
    ).all()

    def quizzes_by(*columns):
        return (select(*columns, func.count(distinct(Quiz.user_id)), func.count(Quiz.id),
                       func.coalesce(func.sum(Quiz.answered_count), 0), func.coalesce(func.sum(Quiz.correct_count), 0))
                .select_from(Quiz).join(Event, Event.id == Quiz.event_id)
                .where(in_year, Quiz.mode == "event", Quiz.answered_count > 0))

    # 6-7. On-site quizzes by kind and in all.
    quiz_kind = {row[0]: row[1:] for row in db.session.execute(quizzes_by(Event.kind).group_by(Event.kind))}
    quiz_total = db.session.execute(quizzes_by()).one()

    # 8. Photos archived.
    photos = db.session.scalar(
        select(func.count(EventPhoto.id)).select_from(EventPhoto).join(Event, Event.id == EventPhoto.event_id).where(in_year)
    )

    def quiz_figures(people_, quizzes_, answered, correct) -> dict:
        answered, correct = int(answered), int(correct)
        return {"people": int(people_), "quizzes": int(quizzes_), "answered": answered, "correct": correct,
                "accuracy": percent(correct, answered)}

    kinds: dict[str, int] = {}
    units: dict[int, dict] = {}
    for kind, unit_id, unit_name, n in event_rows:
        kinds[kind] = kinds.get(kind, 0) + n
        unit = units.setdefault(unit_id, {"unit_id": unit_id, "unit": unit_name, "events": 0})
        unit["events"] += n

    by_kind = []
    for kind in sorted(kinds, key=lambda k: (_KIND_ORDER.get(k, len(_KIND_ORDER)), k)):
        n_checkins, n_people = checkin_kind.get(kind, (0, 0))
        by_kind.append({"kind": kind, "label": kind_label(kind), "events": kinds[kind], "checkins": n_checkins,
                        "people": n_people, "quiz": quiz_figures(*quiz_kind.get(kind, (0, 0, 0, 0)))})

    by_organiser = []
    for unit in units.values():
        n_checkins, n_people = checkin_org.get(unit["unit_id"], (0, 0))
        by_organiser.append({**unit, "checkins": n_checkins, "people": n_people})
    by_organiser.sort(key=lambda u: (-u["events"], -u["checkins"], u["unit"]))

    by_village = [{"unit_id": unit_id, "unit": name if unit_id is not None else NO_UNIT, "checkins": n, "people": p}
                  for unit_id, name, n, p in village_rows]
    # Most people first; those who gave no village last.
    by_village.sort(key=lambda v: (v["unit_id"] is None, -v["people"], -v["checkins"], v["unit"]))

    figures = {
        "year": year,
        "events": sum(kinds.values()),
        "by_kind": by_kind,              # [{kind, label, events, checkins, people, quiz: {...}}]
        "by_organiser": by_organiser,    # [{unit_id, unit, events, checkins, people}]
        "people": int(people),           # distinct people checked in at the year's events
        "checkins": int(checkins),       # check-ins in all (人次)
        "by_village": by_village,        # [{unit_id, unit, people, checkins}], 未填写 last
        "villages": sum(1 for v in by_village if v["unit_id"] is not None),
        "quiz": quiz_figures(*quiz_total),  # {people, quizzes, answered, correct, accuracy (%)}
        "photos": int(photos),
    }
    figures["headlines"] = headlines(figures)
    return figures


def headlines(f: dict) -> list[str]:
    """The sentences the annual report quotes."""
    year = f["year"]
    if not f["events"]:
        return [f"{year}年暂无普法活动记录。"]
    kinds = "、".join(f"{k['label']}{k['events']}场" for k in f["by_kind"])
    lines = [f"{year}年全年开展普法活动{f['events']}场次，其中{kinds}；覆盖群众{f['people']}人、{f['checkins']}人次。"]
    units = "、".join(f"{u['unit']}{u['events']}场" for u in f["by_organiser"])
    lines.append(f"落实“谁执法谁普法”，{len(f['by_organiser'])}个单位主办活动：{units}。")
    named = [v for v in f["by_village"] if v["unit_id"] is not None]
    if named:
        top = "、".join(f"{v['unit']}（{v['people']}人、{v['checkins']}人次）" for v in named[:3])
        lines.append(f"参与群众覆盖{f['villages']}个村（社区），参与人数居前的是{top}。")
    q = f["quiz"]
    if q["people"]:
        lines.append(f"开展现场答题，{q['people']}人参与，答题{q['answered']}道，答对{q['correct']}道，正确率{q['accuracy']:.1f}%。")
    lines.append(f"归档活动照片{f['photos']}张。")
    return lines


# -- spreadsheets -----------------------------------------------------------------------

XLSX_MIME = xlsx.MIME



def figures_xlsx(year: int, figures: dict | None = None) -> bytes:
    """The figures as a workbook: 总览, 按类型, 按主办单位, 按村社区, 现场答题."""
    from openpyxl import Workbook  # heavy: imported where used
    from openpyxl.styles import Alignment

    f = figures or year_figures(year)
    q = f["quiz"]
    wb = Workbook()

    ws = xlsx.sheet(wb, "总览", ["项目", "数值"], [36, 16], first=True)
    for row in (
        ("年度", f["year"]), ("开展普法活动（场次）", f["events"]), ("覆盖群众（人）", f["people"]),
        ("参与群众（人次）", f["checkins"]), ("参与的村（社区）（个）", f["villages"]),
        ("主办单位（个）", len(f["by_organiser"])), ("现场答题参与（人）", q["people"]),
        ("现场答题答题数（道）", q["answered"]), ("现场答题答对数（道）", q["correct"]),
        ("现场答题正确率（%）", q["accuracy"]), ("归档活动照片（张）", f["photos"]),
    ):
        ws.append(row)
    ws.append([])
    ws.append(["报告用语"])
    xlsx.bold_last_row(ws)
    for line in f["headlines"]:
        ws.append([line])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=2)
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 15 * (1 + len(line) // 28)

    ws = xlsx.sheet(wb, "按类型", ["活动类型", "场次", "签到人数", "签到人次"], [16, 10, 12, 12])
    for k in f["by_kind"]:
        ws.append([k["label"], k["events"], k["people"], k["checkins"]])
    ws.append(["合计", f["events"], f["people"], f["checkins"]])
    xlsx.bold_last_row(ws)

    ws = xlsx.sheet(wb, "按主办单位", ["主办单位", "场次", "签到人数", "签到人次"], [28, 10, 12, 12])
    for u in f["by_organiser"]:
        ws.append([u["unit"], u["events"], u["people"], u["checkins"]])
    ws.append(["合计", f["events"], f["people"], f["checkins"]])
    xlsx.bold_last_row(ws)

    ws = xlsx.sheet(wb, "按村社区", ["村/社区", "参与人数", "参与人次"], [28, 12, 12])
    for v in f["by_village"]:
        ws.append([v["unit"], v["people"], v["checkins"]])
    ws.append(["合计", f["people"], f["checkins"]])
    xlsx.bold_last_row(ws)

    ws = xlsx.sheet(wb, "现场答题", ["活动类型", "答题人数", "答题次数", "答题数", "答对数", "正确率（%）"], [16, 12, 12, 10, 10, 12])
    for k in f["by_kind"]:
        kq = k["quiz"]
        ws.append([k["label"], kq["people"], kq["quizzes"], kq["answered"], kq["correct"], kq["accuracy"]])
    ws.append(["合计", q["people"], q["quizzes"], q["answered"], q["correct"], q["accuracy"]])
    xlsx.bold_last_row(ws)

    return xlsx.to_bytes(wb)


# -- the archive ------------------------------------------------------------------------


def safe_name(text: str, limit: int = TITLE_MAX) -> str:
    """Text fit for a file or folder name on Windows, macOS and Linux."""
    text = UNSAFE_FILENAME.sub("_", text or "")
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text[:limit].strip(" .")


def event_folder(event: Event) -> str:
    """`2026-12-04_宪法宣传日_<title>_<id>`: sorts by date, and is unique by the id."""
    day = to_local(event.starts_at).strftime("%Y-%m-%d")
    title = safe_name(event.title) or "活动"
    return f"{day}_{safe_name(kind_label(event.kind))}_{title}_{event.id}"


def photo_name(sha256: str, mime_type: str, taken_at: datetime | None, created_at: datetime) -> str:
    """`20261204_093015_ab12cd34.jpg`: when it was taken (else uploaded), local time."""
    when = to_local(taken_at or created_at)
    return f"{when:%Y%m%d_%H%M%S}_{sha256[:8]}.{MIME_EXTENSIONS.get(mime_type, 'bin')}"


def _zip_time(dt: datetime | None) -> tuple:
    local = to_local(dt or utcnow())
    return max(local.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


def _add_bytes(zf: zipfile.ZipFile, name: str, data: bytes, when: tuple) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _add_file(zf: zipfile.ZipFile, name: str, path: str, when: tuple) -> None:
    """Copy a stored file into the archive in chunks, uncompressed (photos are compressed already)."""
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.file_size = os.path.getsize(path)
    with open(path, "rb") as src, zf.open(info, "w") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)


def _signin_xlsx(rows: list) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = xlsx.sheet(wb, "签到名单", ["序号", "姓名", "昵称", "村/社区", "签到时间"], [8, 14, 18, 24, 18], first=True)
    for i, row in enumerate(rows, start=1):
        ws.append([i, row.real_name or "", row.nickname or "", row.unit or NO_UNIT, local_naive(row.checked_in_at)])
        ws.cell(row=ws.max_row, column=5).number_format = "yyyy-mm-dd hh:mm:ss"
    return xlsx.to_bytes(wb)


def _index_xlsx(entries: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = xlsx.sheet(wb, "活动目录", ["日期", "类型", "标题", "地点", "主办单位", "签到人数", "现场答题人数", "现场答题正确率（%）", "照片数", "文件夹"],
                [12, 12, 36, 24, 22, 10, 12, 14, 8, 60], first=True)
    for e in entries:
        ws.append([e["date"], e["kind"], e["title"], e["location"], e["organiser"], e["checkins"], e["quiz_people"],
                   e["accuracy"], e["photos"], e["folder"]])
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd"
        link = ws.cell(row=ws.max_row, column=10)
        link.hyperlink = e["folder"] + "/"  # relative: opens the folder beside index.xlsx once unpacked
        link.style = "Hyperlink"
    if entries:
        ws.append(["合计", "", f"{len(entries)}场", "", "", sum(e["checkins"] for e in entries),
                   sum(e["quiz_people"] for e in entries), None, sum(e["photos"] for e in entries), ""])
        xlsx.bold_last_row(ws)
    return xlsx.to_bytes(wb)


def write_archive(year: int, out) -> None:
    """Write the year's archive as a ZIP to `out` (a binary file object, e.g. a temp file):

        index.xlsx                          one row per event
        年度统计.xlsx                        figures_xlsx
        2026-12-04_宪法宣传日_<title>_<id>/
            签到名单.xlsx
            照片/20261204_093015_ab12cd34.jpg ...
            缺失照片.txt                     only if a stored file is missing on disk

    Photos are copied from the upload store in chunks, so none is held in memory."""
    in_year = _in_year(year)
    order = (Event.starts_at, Event.id)
    events = db.session.scalars(select(Event).where(in_year).order_by(*order)).all()
    checkin_counts = dict(db.session.execute(
        select(CheckIn.event_id, func.count(CheckIn.id)).join(Event, Event.id == CheckIn.event_id)
        .where(in_year).group_by(CheckIn.event_id)
    ).all())
    quiz_counts = {row[0]: row[1:] for row in db.session.execute(
        select(Quiz.event_id, func.count(distinct(Quiz.user_id)), func.coalesce(func.sum(Quiz.answered_count), 0),
               func.coalesce(func.sum(Quiz.correct_count), 0))
        .join(Event, Event.id == Quiz.event_id)
        .where(in_year, Quiz.mode == "event", Quiz.answered_count > 0).group_by(Quiz.event_id)
    )}
    photos_of: dict[int, list] = {}
    for p in db.session.execute(
        select(EventPhoto.event_id, EventPhoto.sha256, EventPhoto.mime_type, EventPhoto.taken_at, EventPhoto.created_at)
        .join(Event, Event.id == EventPhoto.event_id).where(in_year)
        .order_by(EventPhoto.event_id, func.coalesce(EventPhoto.taken_at, EventPhoto.created_at), EventPhoto.id)
    ):
        photos_of.setdefault(p.event_id, []).append(p)
    figures = year_figures(year)
    now = _zip_time(None)

    entries = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        # The sign-in lists, streamed in the events' order and cut per event.
        stream = db.session.execute(
            select(CheckIn.event_id, CheckIn.checked_in_at, User.real_name, User.nickname, OrgUnit.name.label("unit"))
            .join(Event, Event.id == CheckIn.event_id).join(User, User.id == CheckIn.user_id)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(in_year).order_by(*order, CheckIn.checked_in_at, CheckIn.id),
            execution_options={"yield_per": STREAM_ROWS},
        )
        try:
            pending = next(stream, None)
            for event in events:
                signed = []
                while pending is not None and pending.event_id == event.id:
                    signed.append(pending)
                    pending = next(stream, None)
                folder = event_folder(event)
                _add_bytes(zf, f"{folder}/签到名单.xlsx", _signin_xlsx(signed), now)
                kept, missing = 0, []
                for p in photos_of.get(event.id, ()):
                    path = photo_path(p.sha256, MIME_EXTENSIONS.get(p.mime_type, "bin"))
                    name = photo_name(p.sha256, p.mime_type, p.taken_at, p.created_at)
                    if not os.path.isfile(path):
                        log.warning("archive %s: stored photo %s of event %s is missing", year, path, event.id)
                        missing.append(name)
                        continue
                    _add_file(zf, f"{folder}/照片/{name}", path, _zip_time(p.taken_at or p.created_at))
                    kept += 1
                if missing:
                    note = "以下照片的存储文件缺失，未能归档：\n" + "\n".join(missing) + "\n"
                    _add_bytes(zf, f"{folder}/缺失照片.txt", note.encode("utf-8"), now)
                n_quiz, answered, correct = quiz_counts.get(event.id, (0, 0, 0))
                entries.append({
                    "date": to_local(event.starts_at).date(), "kind": kind_label(event.kind), "title": event.title,
                    "location": event.location_name, "organiser": event.org_unit.name if event.org_unit else "",
                    "checkins": checkin_counts.get(event.id, 0), "quiz_people": int(n_quiz),
                    "accuracy": percent(int(correct), int(answered)), "photos": kept, "folder": folder,
                })
        finally:
            stream.close()
        _add_bytes(zf, "index.xlsx", _index_xlsx(entries), now)
        _add_bytes(zf, "年度统计.xlsx", figures_xlsx(year, figures), now)
