from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import AdminUser  # noqa: F401 (the import's admin)
from core.extensions import db
from core.timeutil import utcnow

QUESTION_TYPES = ("single", "multiple", "true_false")
TYPE_LABELS = {"single": "单选", "multiple": "多选", "true_false": "判断"}
# pending (待审核): imported without a well-formed citation; kept, never served, until an
# editor adds the citation and publishes it. recheck (待复核): an amendment of the law changed
# or removed the article it cites (statutes.library); never served until an editor confirms or edits it.
QUESTION_STATUSES = ("active", "retired", "pending", "recheck")
STATUS_LABELS = {"active": "启用", "retired": "停用", "pending": "待审核", "recheck": "待复核"}
TRUE_FALSE_OPTIONS = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
QUIZ_MODES = ("daily", "practice", "challenge", "event", "review")
QUIZ_STATUSES = ("in_progress", "finished")


class Category(db.Model):
    """One law or regulation the township teaches."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    # 仅用于考试: its questions go on exam papers only, never into quizzes.
    exam_only: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Its active questions, kept by quiz_bank.questions.recount in the transaction of every
    # change to them: a district's laws and home page read these instead of counting
    # 100,000 questions a request. quiz_questions: what a quiz may serve of it (not exam-only).
    quiz_questions: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    exam_only_questions: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    def __str__(self) -> str:
        return self.name


class QuestionImport(db.Model):
    """One import of a question-bank file: who, when, what it added, and whether it was undone."""

    __tablename__ = "question_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    fmt: Mapped[str] = mapped_column(String(10))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    added: Mapped[int] = mapped_column(default=0)  # new questions, those awaiting review included
    pending: Mapped[int] = mapped_column(default=0)  # of which awaiting review (no well-formed citation)
    existing: Mapped[int] = mapped_column(default=0)  # already in the bank, skipped
    refused: Mapped[int] = mapped_column(default=0)  # questions with problems, not imported
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))

    admin: Mapped["AdminUser | None"] = relationship(foreign_keys=[admin_id])

    def __str__(self) -> str:
        return f"{self.filename}（{self.created_at:%Y-%m-%d}）"


class Question(db.Model):
    """A question version. Once answered it is never rewritten: an edit makes a new
    version and retires this one, so past answers keep what was asked."""

    __tablename__ = "question"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    type: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)
    # [{"key": "A", "text": "..."}]; true_false questions carry T/F.
    options: Mapped[list] = mapped_column(JSON)
    answer: Mapped[list] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200))
    difficulty: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Why it awaits review (pending) or recheck, e.g. the citation is missing, the article changed.
    review_note: Mapped[str | None] = mapped_column(String(200))
    # The import that added it (None: written in the panel or shipped).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("question_import.id"), index=True)
    # 仅用于考试: on exam papers only, never in practice, daily, challenge or event quizzes.
    exam_only: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    # Hash of the content, so importing the same question twice does not duplicate it.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship(lazy="joined")
    imported_by: Mapped[QuestionImport | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"type IN {QUESTION_TYPES}", name="type"),
        CheckConstraint(f"status IN {QUESTION_STATUSES}", name="status"),
        CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty"),
        # Drawing quizzes walks this index from a random starting id.
        Index("ix_question_draw", "status", "category_id", "id"),
        # A law's active questions, counted by quiz_bank.questions.recount from this index
        # alone, without reading the questions.
        Index("ix_question_served", "status", "exam_only", "category_id"),
    )

    def __str__(self) -> str:
        return self.stem[:40]


class Quiz(db.Model):
    __tablename__ = "quiz"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    mode: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    # Local (Asia/Shanghai) date; set for daily quizzes only, so one set a person a day
    # is enforced by the unique constraint below.
    daily_date: Mapped[date | None]
    question_count: Mapped[int] = mapped_column(default=0)
    answered_count: Mapped[int] = mapped_column(default=0)
    correct_count: Mapped[int] = mapped_column(default=0)
    points_awarded: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # On-site quizzes (mode "event"): the event, when answering closes, and the points
    # for each correct answer, fixed when the quiz starts.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    closes_at: Mapped[datetime | None]
    points_each: Mapped[int | None]

    items: Mapped[list["QuizItem"]] = relationship(
        order_by="QuizItem.position", back_populates="quiz", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("user_id", "daily_date", name="uq_quiz_user_daily"),
        UniqueConstraint("user_id", "event_id", name="uq_quiz_user_event"),
        # An event's on-site quizzes (its page, the year's figures); only those have an event.
        Index("ix_quiz_event", "event_id", postgresql_where=text("event_id IS NOT NULL"), sqlite_where=text("event_id IS NOT NULL")),
        Index("ix_quiz_user_started", "user_id", "id"),
        # The day's quizzes (the panel's home page).
        Index("ix_quiz_started", "started_at"),
        CheckConstraint(f"mode IN {QUIZ_MODES}", name="mode"),
        CheckConstraint(f"status IN {QUIZ_STATUSES}", name="status"),
    )


class QuizItem(db.Model):
    """A question in a quiz and, once given, the answer and its result."""

    __tablename__ = "quiz_item"
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    position: Mapped[int]
    answer: Mapped[list | None] = mapped_column(JSON)
    correct: Mapped[bool | None]
    points_awarded: Mapped[int] = mapped_column(default=0)
    answered_at: Mapped[datetime | None]

    quiz: Mapped[Quiz] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(lazy="joined")

    # The answers to given questions in a span of time (reports.learning_gain: an event's
    # law 30 days before and after), read from the index alone on PostgreSQL.
    __table_args__ = (
        Index("ix_quiz_item_question_answered", "question_id", "answered_at", postgresql_include=["quiz_id", "correct"]),
    )


class SeenQuestion(db.Model):
    """Which questions a person has been given, so daily sets prefer new ones."""

    __tablename__ = "seen_question"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)


class WrongAnswer(db.Model):
    """The wrong-answer book: a row while the person has not yet answered it right."""

    __tablename__ = "wrong_answer"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    last_answer: Mapped[list] = mapped_column(JSON)
    wrong_count: Mapped[int] = mapped_column(default=1)
    last_wrong_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(lazy="joined")
    # Its review card (learning.models): the book shows when the question comes back.
    card = relationship("ReviewCard", lazy="joined", viewonly=True, uselist=False, primaryjoin=(
        "and_(WrongAnswer.user_id == foreign(ReviewCard.user_id), WrongAnswer.question_id == foreign(ReviewCard.question_id))"))

    __table_args__ = (Index("ix_wrong_answer_user_cat", "user_id", "category_id"),)

    @property
    def next_review_at(self) -> datetime | None:
        return self.card.due if self.card else None
