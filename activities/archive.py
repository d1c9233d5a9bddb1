"""The year's archive of publicity events: a ZIP of every event held in the year, with
its sign-in list and photos, an index and the year's figures (reports.figures).

An event is archived with the year of its local (Asia/Shanghai) start once it has ended,
the rule the figures count by; its check-ins and photos go with it, whenever they were
made. `write_archive` sends a fixed handful of statements however much the year holds
(the sign-in lists are streamed, not loaded whole).
"""
import logging
import os
import re
import zipfile
from datetime import datetime

from sqlalchemy import case, distinct, func, literal, select

from accounts.models import OrgUnit, User
from activities.models import CheckIn, Event, EventPhoto
from activities.photos import MIME_EXTENSIONS, photo_path
from core import xlsx
from core.extensions import db
from core.timeutil import local_naive, to_local, utcnow
from quiz_bank.models import Quiz
from reports.figures import NO_UNIT, held_events, kind_label, percent, year_bounds, year_figures
from reports.workbook import figures_xlsx

log = logging.getLogger(__name__)

MIN_YEAR, MAX_YEAR = 1990, 2100
# Characters a file name may not hold on Windows (where the archive is opened).
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
TITLE_MAX = 40
# How many sign-in rows are fetched at a time while the archive is written.
STREAM_ROWS = 1000


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


def write_archive(year: int, out, now: datetime | None = None, town_id: int | None = None,
                  figures: dict | None = None) -> None:
    """Write the archive of the events held in `year` by `now` as a ZIP to `out` (a
    binary file object, e.g. a temp file):

        index.xlsx                          one row per event
        年度统计.xlsx                        reports.workbook.figures_xlsx
        2026-12-04_宪法宣传日_<title>_<id>/
            签到名单.xlsx
            照片/20261204_093015_ab12cd34.jpg ...
            缺失照片.txt                     only if a stored file is missing on disk

    Photos are copied from the upload store in chunks, so none is held in memory. With
    `town_id`, the events its units organised (accounts.tenancy). `figures`: the year's
    figures to file (the panel gives those last counted, reports.snapshots); by default
    they are counted as of `now`."""
    now = now or utcnow()
    in_year = held_events(*year_bounds(year), now, town_id)
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
    figures = figures or year_figures(year, now, town_id)
    stamp = _zip_time(now)

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
                _add_bytes(zf, f"{folder}/签到名单.xlsx", _signin_xlsx(signed), stamp)
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
                    _add_bytes(zf, f"{folder}/缺失照片.txt", note.encode("utf-8"), stamp)
                n_quiz, answered, correct = quiz_counts.get(event.id, (0, 0, 0))
                entries.append({
                    "date": to_local(event.starts_at).date(), "kind": kind_label(event.kind), "title": event.title,
                    "location": event.location_name, "organiser": event.org_unit.name if event.org_unit else "",
                    "checkins": checkin_counts.get(event.id, 0), "quiz_people": int(n_quiz),
                    "accuracy": percent(int(correct), int(answered)), "photos": kept, "folder": folder,
                })
        finally:
            stream.close()
        _add_bytes(zf, "index.xlsx", _index_xlsx(entries), stamp)
        _add_bytes(zf, "年度统计.xlsx", figures_xlsx(figures), stamp)
