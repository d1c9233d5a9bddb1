from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import AdminUser, OrgUnit, User
from activities.geo import COORD_TYPES, WGS84
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.models import Category

EVENT_KIND_LABELS = {
    "constitution_day": "宪法宣传日", "antidrug_day": "禁毒日", "land_day": "土地日", "water_week": "水法宣传",
    "lecture": "法治讲座", "outreach": "普法宣讲", "school": "法治进校园", "other": "其他",
}
EVENT_KINDS = tuple(EVENT_KIND_LABELS)


class Event(db.Model):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="outreach")
    # 谁执法谁普法: the unit that holds the event.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    checkin_opens_at: Mapped[datetime]
    checkin_closes_at: Mapped[datetime]
    location_name: Mapped[str] = mapped_column(String(200), default="")
    # No coordinates or no radius: no geofence (a hall where GPS is poor).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    radius_m: Mapped[int | None]
    # The datum of latitude/longitude: gcj02 when pasted from a Chinese map app. Rows
    # from before it was asked are wgs84, what check-ins were compared against then.
    coord_type: Mapped[str] = mapped_column(String(5), default=WGS84, server_default=WGS84)
    points: Mapped[int] = mapped_column(default=2)
    # The on-site quiz: questions of this law, open to people checked in, during the event.
    quiz_category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    quiz_size: Mapped[int] = mapped_column(default=5)
    quiz_points_each: Mapped[int] = mapped_column(default=2)
    # How often the check-in code changes on the projector.
    token_seconds: Mapped[int] = mapped_column(default=30)
    # Kept with each check-in, so the projector's live count is one row read.
    checkin_count: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    quiz_category: Mapped[Category | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),
        CheckConstraint("ends_at > starts_at AND checkin_closes_at > checkin_opens_at", name="times"),
        CheckConstraint("points >= 0 AND quiz_points_each >= 0 AND quiz_size BETWEEN 1 AND 20", name="numbers"),
        CheckConstraint("token_seconds BETWEEN 10 AND 600", name="token_seconds"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("radius_m IS NULL OR radius_m > 0", name="radius"),
        CheckConstraint(f"coord_type IN {COORD_TYPES}", name="coord_type"),
    )

    @property
    def geofenced(self) -> bool:
        return self.latitude is not None and self.longitude is not None and self.radius_m is not None

    def __str__(self) -> str:
        return self.title


class CheckIn(db.Model):
    __tablename__ = "checkin"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    distance_m: Mapped[float | None]
    # What is kept of the location once it is reduced (accounts.privacy: after
    # LOCATION_RETENTION_DAYS, or on 注销): whether it was within the event's radius;
    # null while the point is still held, or when the event had no geofence.
    in_range: Mapped[bool | None]
    points_awarded: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(lazy="joined")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_checkin_event_user"),)


class EventPhoto(db.Model):
    """A photo of an event. The file is stored once by its SHA-256, however often it is uploaded."""

    __tablename__ = "event_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    taken_at: Mapped[datetime | None]
    caption: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_by_admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    uploaded_by_user: Mapped[User | None] = relationship()
    uploaded_by_admin: Mapped[AdminUser | None] = relationship()

    __table_args__ = (
        UniqueConstraint("event_id", "sha256", name="uq_event_photo_file"),
        Index("ix_event_photo_event", "event_id", "created_at"),
    )
