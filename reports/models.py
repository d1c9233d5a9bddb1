"""The reports' tables: 谁执法谁普法 tasks (the publicity each unit undertakes in a year) and the
year's figures as last counted."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import OrgUnit
from core.extensions import db
from core.timeutil import utcnow


class PublicityTask(db.Model):
    """One unit's tasks for one year. Progress is never entered: it is counted from what
    happened (reports.duties)."""

    __tablename__ = "publicity_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    events: Mapped[int] = mapped_column(default=0)  # events to hold (场次)
    event_kinds: Mapped[list] = mapped_column(JSON, default=list)  # which kinds count; empty: any
    people: Mapped[int] = mapped_column(default=0)  # people to reach at them (人次)
    exam_sat_percent: Mapped[int | None]  # share of its cadres to sit the annual exam; None: no task
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("year", "org_unit_id", name="uq_publicity_task_unit_year"),
        CheckConstraint("events >= 0 AND people >= 0", name="targets"),
        CheckConstraint("exam_sat_percent IS NULL OR exam_sat_percent BETWEEN 0 AND 100", name="exam_percent"),
    )


class FigureSnapshot(db.Model):
    """One kind of the year's figures (reports.snapshots) for the district (scope 0) or one
    town (scope = its id), as counted at `counted_at`, in JSON."""

    __tablename__ = "figure_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    scope: Mapped[int]
    counted_at: Mapped[datetime]
    data: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("kind", "year", "scope", name="uq_figure_snapshot"),)
