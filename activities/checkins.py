"""Checking in at an event with the code on its projector: once a person, in the
check-in window, near the place (where the event has a geofence), paying the event's
points."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from activities import tokens
from activities.geo import WGS84, convert, distance_m
from activities.models import CheckIn, Event
from core.domain_errors import Conflict, Expired, Forbidden, Invalid
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes
from points import ledger
from points.rules import rule

# A token dated this far in the future is not one the server issued to a projector.
CLOCK_SKEW = timedelta(seconds=5)


def _invalid() -> Invalid:
    return Invalid("签到码无效，请扫描活动现场大屏上的二维码。", {"token": ["签到码无效。"]}, code="invalid_token")


def event_for_token(token: str, now: datetime) -> Event:
    """The event a genuine, current token is for; 422 invalid_token or 410 token_expired."""
    try:
        event_id, issued = tokens.read(token)
    except tokens.InvalidToken:
        raise _invalid()
    event = db.session.get(Event, event_id)
    if event is None or issued > now + CLOCK_SKEW:
        raise _invalid()
    accepted_until = issued + timedelta(seconds=event.token_seconds + current_app.config["CHECKIN_TOKEN_GRACE_SECONDS"])
    if now > accepted_until:
        raise Expired("签到码已过期，请扫描大屏上最新的二维码。", code="token_expired")
    return event


@writes
def check_in(user_id: int, token: str, latitude: float | None, longitude: float | None,
             accuracy_m: float | None = None, now: datetime | None = None, coord_type: str = WGS84) -> CheckIn:
    """`coord_type` is the datum of the person's point (wgs84 from `wx.getLocation` by default)."""
    now = now or utcnow()
    event = event_for_token(token, now)
    if now < event.checkin_opens_at:
        raise Conflict("签到还没有开始。", code="checkin_closed")
    if now > event.checkin_closes_at:
        raise Conflict("签到已经结束。", code="checkin_closed")
    distance = None
    if latitude is not None and longitude is not None:
        # Into the event's datum (activities.geo's one rule): the check-in's point and
        # distance are then both in the datum of its event's place.
        latitude, longitude = convert(latitude, longitude, coord_type, event.coord_type)
    if event.geofenced:
        if latitude is None or longitude is None:
            missing = {f: ["本活动签到需要位置信息。"] for f, v in (("latitude", latitude), ("longitude", longitude)) if v is None}
            raise Invalid("本活动签到需要位置信息，请允许小程序获取位置。", missing)
        distance = distance_m(latitude, longitude, event.latitude, event.longitude)
        # The phone's own error margin counts in the person's favour, up to a limit, so
        # a coarse fix near the edge still gets in but "accuracy: 5000" does not.
        allowance = min(accuracy_m or 0.0, current_app.config["CHECKIN_MAX_ACCURACY_M"])
        if distance - allowance > event.radius_m:
            raise Forbidden(f"您距离活动地点约 {round(distance)} 米，请到现场后再签到。",
                            {"distance_m": round(distance), "radius_m": event.radius_m}, code="out_of_range")
    # Check-in points have no daily cap: what is paid is the event's points.
    checkin = CheckIn(event_id=event.id, user_id=user_id, checked_in_at=now, latitude=latitude, longitude=longitude,
                      accuracy_m=accuracy_m, distance_m=distance, points_awarded=event.points)
    db.session.add(checkin)
    try:
        db.session.flush()
    except IntegrityError:  # the unit rolls back
        raise Conflict("您已经签到过了。", code="already_checked_in")
    db.session.execute(update(Event).where(Event.id == event.id).values(checkin_count=Event.checkin_count + 1))
    ledger.credit(user_id, rule("checkin"), event.points, f"checkin:{event.id}:{user_id}", note=f"签到：{event.title}"[:200], now=now)
    return checkin


def my_checkins(user_id: int, page: int, per_page: int):
    return db.paginate(
        select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )


def is_checked_in(user_id: int, event_id: int) -> bool:
    return db.session.scalar(select(CheckIn.id).where(CheckIn.event_id == event_id, CheckIn.user_id == user_id)) is not None
