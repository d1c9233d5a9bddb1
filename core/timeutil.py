"""Times are stored in UTC and shown in the township's zone (Asia/Shanghai)."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    # Naive UTC in the database: SQLite has no time zones, so we keep one convention.
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(local_zone())


def local_naive(dt: datetime | None) -> datetime | None:
    """Beijing time without a zone: what a spreadsheet cell or a form field holds."""
    return to_local(dt).replace(tzinfo=None) if dt else None


def local_text(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Beijing time as the panel shows it; empty for no time."""
    return to_local(dt).strftime(fmt) if dt else ""


def from_local(dt: datetime | None) -> datetime | None:
    """A naive local time (as typed in the panel) as naive UTC for storage."""
    if dt is None:
        return None
    return dt.replace(tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def period_keys(day: date) -> dict[str, str]:
    """Leaderboard periods a point earned on `day` (local) counts towards."""
    iso = day.isocalendar()
    return {"week": f"w{iso.year}-{iso.week:02d}", "month": f"m{day:%Y-%m}", "year": f"y{day.year}", "all": "all"}


def local_midnight_utc(day: date) -> datetime:
    start = datetime(day.year, day.month, day.day, tzinfo=local_zone())
    return start.astimezone(timezone.utc).replace(tzinfo=None)
