"""A constructed year of publicity events for the archive and report tests.

Times are given in Beijing time and stored as UTC, as the panel does. The year 2026
holds four events (one starting 2026-01-01 00:30 Beijing, which is still 2025 in
UTC, and one at 2026-12-31 20:00 Beijing); 2025 and 2027 hold one each, with
check-ins, quizzes and a photo that must not count towards 2026."""
import io
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import ExifTags, Image

from activities import photos
from activities.models import CheckIn, Event, EventPhoto
from core.extensions import db
from core.timeutil import from_local
from quiz_bank.models import Quiz


def jpeg(taken: str | None = None) -> bytes:
    """A small JPEG of random pixels (a file never seen before), optionally with EXIF DateTimeOriginal."""
    img = Image.frombytes("RGB", (32, 24), os.urandom(32 * 24 * 3))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def add_event(make, kind: str, local_start: datetime, unit, title: str | None = None, **kw) -> Event:
    starts = from_local(local_start)
    return make.event(kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=2), org_unit=unit,
                      **({"title": title} if title else {}), **kw)


def check_in(event: Event, user, local_time: datetime | None = None) -> CheckIn:
    at = from_local(local_time) if local_time else event.starts_at + timedelta(minutes=5)
    row = CheckIn(event_id=event.id, user_id=user.id, checked_in_at=at)
    db.session.add(row)
    db.session.flush()
    return row


def event_quiz(event: Event, user, answered: int, correct: int, size: int = 5, mode: str = "event") -> Quiz:
    quiz = Quiz(user_id=user.id, mode=mode, event_id=event.id if mode == "event" else None,
                category_id=event.quiz_category_id, status="finished" if answered == size else "in_progress",
                question_count=size, answered_count=answered, correct_count=correct,
                started_at=event.starts_at, closes_at=event.ends_at if mode == "event" else None)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def add_photo(event: Event, data: bytes) -> EventPhoto:
    photo, created = photos.store_photo(event, data, "photo.jpg", "image/jpeg")
    assert created
    return photo


@dataclass
class Year:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    photo_bytes: dict = field(default_factory=dict)  # photo id -> bytes stored


def build_year(make) -> Year:
    y = Year()
    category = make.category()
    y.units = {
        "东湖村": make.org_unit(kind="village", name="东湖村"),
        "西山社区": make.org_unit(kind="community", name="西山社区"),
        "司法所": make.org_unit(kind="department", name="司法所"),
        "派出所": make.org_unit(kind="department", name="派出所"),
    }
    u = y.units
    y.users = {
        "a": make.user(real_name="张三", nickname="老张", org_unit_id=u["东湖村"].id),
        "b": make.user(real_name="李四", nickname="四哥", org_unit_id=u["东湖村"].id),
        "c": make.user(real_name="王五", nickname="王五", org_unit_id=u["西山社区"].id),
        "d": make.user(real_name="赵六", nickname="小赵", org_unit_id=None),
    }
    a, b, c, d = (y.users[k] for k in "abcd")
    e = y.events = {
        # 2026-01-01 00:30 Beijing is 2025-12-31 16:30 UTC: it belongs to 2026.
        "new_year": add_event(make, "outreach", datetime(2026, 1, 1, 0, 30), u["司法所"], "元旦普法宣讲"),
        "antidrug": add_event(make, "antidrug_day", datetime(2026, 6, 26, 9, 0), u["派出所"], "禁毒宣传进社区"),
        "constitution": add_event(make, "constitution_day", datetime(2026, 12, 4, 9, 0), u["司法所"],
                                  "宪法宣传日：宪法进万家/主题活动", location_name="镇政府广场", quiz_category_id=category.id),
        # 2026-12-31 20:00 Beijing is 12:00 UTC: 2026.
        "new_years_eve": add_event(make, "outreach", datetime(2026, 12, 31, 20, 0), u["派出所"], "跨年普法夜",
                                   quiz_category_id=category.id),
        # 2027-01-01 01:00 Beijing is 2026-12-31 17:00 UTC: 2027, not 2026.
        "next_year": add_event(make, "lecture", datetime(2027, 1, 1, 1, 0), u["司法所"], "新年法治讲座",
                               quiz_category_id=category.id),
        # 2025-12-31 23:00 Beijing: 2025.
        "last_year": add_event(make, "lecture", datetime(2025, 12, 31, 23, 0), u["派出所"], "岁末法治讲座"),
    }
    con = e["constitution"]
    check_in(con, c, datetime(2026, 12, 4, 9, 1))
    check_in(con, a, datetime(2026, 12, 4, 9, 2))
    check_in(con, d, datetime(2026, 12, 4, 9, 3))
    check_in(con, b, datetime(2026, 12, 4, 9, 4))
    check_in(e["new_years_eve"], a)
    check_in(e["new_years_eve"], c)
    check_in(e["antidrug"], a)
    check_in(e["new_year"], b)
    for user in (a, b, c):
        check_in(e["next_year"], user)
    check_in(e["last_year"], d)

    event_quiz(con, a, answered=5, correct=4)
    event_quiz(con, b, answered=5, correct=3)
    event_quiz(con, c, answered=0, correct=0)          # opened, nothing answered: no participation
    event_quiz(e["new_years_eve"], a, answered=4, correct=4)
    event_quiz(e["next_year"], a, answered=5, correct=0)  # 2027
    event_quiz(con, d, answered=5, correct=5, mode="practice")  # not an on-site quiz

    for data in (jpeg(taken="2026:12:04 09:30:15"), jpeg()):
        photo = add_photo(con, data)
        y.photo_bytes[photo.id] = data
    add_photo(e["next_year"], jpeg())
    db.session.flush()
    return y
