"""Listing events for the mini-program, and the on-site quiz."""
from datetime import datetime

from sqlalchemy import select

from accounts import tenancy
from activities.models import CheckIn, Event
from core.domain_errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.questions import quiz_count

STATUSES = ("upcoming", "ongoing", "past")


def event_status(event: Event, now: datetime) -> str:
    if now < event.starts_at:
        return "upcoming"
    return "ongoing" if now < event.ends_at else "past"


def events_page(user_id: int, status: str | None, page: int, per_page: int, now: datetime | None = None) -> dict:
    now = now or utcnow()
    q = select(Event).where(tenancy.events_for(user_id))  # the person's town's (accounts.tenancy)
    if status == "upcoming":
        q = q.where(Event.starts_at > now).order_by(Event.starts_at, Event.id)
    elif status == "ongoing":
        q = q.where(Event.starts_at <= now, Event.ends_at > now).order_by(Event.starts_at, Event.id)
    elif status == "past":
        q = q.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        q = q.order_by(Event.starts_at.desc(), Event.id.desc())
    pagination = db.paginate(q, page=page, per_page=per_page, error_out=False)
    ids = [e.id for e in pagination.items]
    mine = set(db.session.scalars(select(CheckIn.event_id).where(CheckIn.user_id == user_id, CheckIn.event_id.in_(ids)))) if ids else set()
    items = [
        {"id": e.id, "title": e.title, "kind": e.kind, "starts_at": e.starts_at, "ends_at": e.ends_at,
         "checkin_opens_at": e.checkin_opens_at, "checkin_closes_at": e.checkin_closes_at,
         "location_name": e.location_name, "latitude": e.latitude, "longitude": e.longitude, "radius_m": e.radius_m,
         "points": e.points, "org_unit": e.org_unit, "status": event_status(e, now), "checked_in": e.id in mine,
         "has_quiz": e.quiz_category_id is not None, "description": e.description}
        for e in pagination.items
    ]
    return {"items": items, "page": pagination.page, "per_page": pagination.per_page, "total": pagination.total}


def check_event(event: Event) -> None:
    """Raise ValueError (a Chinese message) if the event is not set up to be held."""
    if event.ends_at <= event.starts_at:
        raise ValueError("结束时间须晚于开始时间。")
    if event.checkin_closes_at <= event.checkin_opens_at:
        raise ValueError("签到截止时间须晚于签到开始时间。")
    fence = (event.latitude, event.longitude, event.radius_m)
    if any(v is not None for v in fence) and not all(v is not None for v in fence):
        raise ValueError("限定签到位置须同时填写纬度、经度和范围；不限位置则三项都不填。")
    if event.quiz_category is not None:
        available = quiz_count(event.quiz_category)
        if available < event.quiz_size:
            raise ValueError(f"“{event.quiz_category.name}”可用于答题的题目只有 {available} 道（仅用于考试的题不算），"
                             f"不够现场答题的 {event.quiz_size} 道。")
        # Points for learning, not for showing up.
        if event.quiz_size * event.quiz_points_each <= event.points:
            raise ValueError("现场答题全部答对的积分应高于签到积分：请提高每题积分或降低签到积分。")


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("活动不存在。")
    return event


def start_event_quiz(user_id: int, event_id: int, now: datetime | None = None):
    """The event's on-site quiz for this person: only after checking in, only while the
    event is on, one per person (asking again resumes it). Returns (quiz, created)."""
    from activities.checkins import is_checked_in
    from quiz_bank import quizzes

    now = now or utcnow()
    event = get_event(event_id)
    if event.quiz_category_id is None:
        raise Conflict("本活动没有现场答题。", code="no_quiz")
    if not is_checked_in(user_id, event.id):
        raise Forbidden("请先在活动现场扫码签到，再参加现场答题。", code="not_checked_in")
    existing = quizzes.event_quiz(user_id, event.id)
    if existing is not None:
        return existing, False
    if event_status(event, now) != "ongoing":
        raise Conflict("现场答题只在活动进行期间开放。", code="event_not_ongoing")
    return quizzes.start_quiz(user_id, "event", event.quiz_category_id, now=now, event=event)
