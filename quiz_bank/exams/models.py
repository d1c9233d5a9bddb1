from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Cadre, OrgUnit
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.models import QUESTION_TYPES, Category, Question

EXAM_KINDS = ("annual", "new_leader", "makeup")
EXAM_KIND_LABELS = {"annual": "年度学法考试", "new_leader": "新提拔领导干部任前考试", "makeup": "补考"}
REVIEW_POLICIES = ("never", "after_submit", "after_close")
REVIEW_POLICY_LABELS = {"never": "不公布答案", "after_submit": "交卷后公布", "after_close": "考试结束后公布"}
ATTEMPT_STATUSES = ("in_progress", "submitted", "expired")
ATTEMPT_STATUS_LABELS = {"in_progress": "作答中", "submitted": "已交卷", "expired": "超时自动交卷"}

exam_unit = Table(
    "exam_unit", db.metadata,
    Column("exam_id", ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True),
    Column("org_unit_id", ForeignKey("org_unit.id"), primary_key=True),
)
exam_cadre = Table(
    "exam_cadre", db.metadata,
    Column("exam_id", ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True),
    Column("cadre_id", ForeignKey("cadre.id"), primary_key=True),
)


class Exam(db.Model):
    __tablename__ = "exam"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="annual")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    pass_score: Mapped[int] = mapped_column(default=60)
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    # Who sits it: everyone matching any of these.
    assign_all: Mapped[bool] = mapped_column(default=False)
    assign_new_leaders: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    review_policy: Mapped[str] = mapped_column(String(20), default="after_close")
    # Bands as a share of the total score: 优秀 from excellent_percent, 良好 from
    # good_percent, 合格 from the pass score, 不合格 below it.
    excellent_percent: Mapped[int] = mapped_column(default=90)
    good_percent: Mapped[int] = mapped_column(default=80)
    makeup_of_id: Mapped[int | None] = mapped_column(ForeignKey("exam.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rules: Mapped[list["PaperRule"]] = relationship(back_populates="exam", cascade="all, delete-orphan", order_by="PaperRule.id")
    units: Mapped[list[OrgUnit]] = relationship(secondary=exam_unit)
    cadres: Mapped[list[Cadre]] = relationship(secondary=exam_cadre)
    makeup_of: Mapped["Exam | None"] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(f"kind IN {EXAM_KINDS}", name="kind"),
        CheckConstraint(f"review_policy IN {REVIEW_POLICIES}", name="review_policy"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("duration_minutes > 0 AND attempts_allowed > 0 AND pass_score >= 0", name="numbers"),
    )

    @property
    def total_score(self) -> int:
        return sum(r.count * r.points for r in self.rules)

    @property
    def question_count(self) -> int:
        return sum(r.count for r in self.rules)

    def __str__(self) -> str:
        return self.title


class PaperRule(db.Model):
    """How many questions of one category and type each paper draws, and their points."""

    __tablename__ = "paper_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    qtype: Mapped[str] = mapped_column(String(20))
    count: Mapped[int]
    points: Mapped[int]

    exam: Mapped[Exam] = relationship(back_populates="rules")
    category: Mapped[Category] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(f"qtype IN {QUESTION_TYPES}", name="qtype"),
        CheckConstraint("count > 0 AND points > 0", name="positive"),
    )


class ExamAttempt(db.Model):
    __tablename__ = "exam_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    started_at: Mapped[datetime]
    # The deadline the cadre is shown: start + duration, capped by the closing time.
    deadline: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    # The exam's total and pass score when the attempt started: `passed` is judged by these.
    total_score: Mapped[int]
    pass_score: Mapped[int]
    # The paper as drawn, in the order shown: [[question id, points, option order or
    # None], ...]. Starting only copies it here; an item's row (AttemptItem) is written
    # when it is answered, and every item's when the attempt is graded.
    paper: Mapped[list] = mapped_column(JSON)

    exam: Mapped[Exam] = relationship(lazy="joined")
    cadre: Mapped[Cadre] = relationship()
    items: Mapped[list["AttemptItem"]] = relationship(back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan")

    __table_args__ = (
        # The number makes a second tap on "start" collide instead of opening a second attempt.
        UniqueConstraint("exam_id", "user_id", "number", name="uq_exam_attempt_number"),
        # And at most one attempt in progress a person: two taps that both saw none open
        # cannot both start one.
        Index("uq_exam_attempt_open_one", "exam_id", "user_id", unique=True,
              postgresql_where=text("status = 'in_progress'"), sqlite_where=text("status = 'in_progress'")),
        CheckConstraint(f"status IN {ATTEMPT_STATUSES}", name="status"),
        Index("ix_exam_attempt_open", "status", "deadline"),
    )


class AttemptItem(db.Model):
    """One question of one person's paper and what they answered (saved as given):
    written at the first answer, and for every question of the paper when graded."""

    __tablename__ = "attempt_item"
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempt.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    position: Mapped[int]
    points: Mapped[int]
    # The question's option keys in the order shown (shown as A, B, C...); null: as stored.
    option_order: Mapped[list | None] = mapped_column(JSON)
    answer: Mapped[list | None] = mapped_column(JSON)  # in the question's own keys
    answered_at: Mapped[datetime | None]
    correct: Mapped[bool | None]
    score: Mapped[int | None]

    attempt: Mapped[ExamAttempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(lazy="joined")

    __table_args__ = (Index("ix_attempt_item_question", "question_id"),)


class ExamPaper(db.Model):
    """A paper drawn ahead for one cadre (when the exam is published, or when they are
    added to it), waiting for them to start: starting takes it instead of drawing."""

    __tablename__ = "exam_paper"
    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id", ondelete="CASCADE"), index=True)
    # [[question id, points, option order or null], ...] in the order shown.
    items: Mapped[list] = mapped_column(JSON)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("exam_id", "cadre_id", name="uq_exam_paper_cadre"),)


class Certificate(db.Model):
    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempt.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[ExamAttempt] = relationship(lazy="joined")
