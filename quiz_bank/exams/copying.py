"""Copying an exam as a new one: the way to change what an exam with attempts holds
still (quiz_bank.exams.checks), without moving the rules under the people who sat it."""
from core.extensions import db
from core.transactions import writes
from quiz_bank.exams.models import Exam, PaperRule

COPY_SUFFIX = "（副本）"
TITLE_MAX = Exam.__table__.c.title.type.length


@writes
def copy_exam(exam: Exam) -> Exam:
    """A new exam with the same settings, paper rules and people as `exam` (times too),
    titled as a copy, and no attempts. Flushed, so it has an id."""
    copy = Exam(
        title=exam.title[: TITLE_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX, kind=exam.kind, makeup_of_id=exam.makeup_of_id,
        opens_at=exam.opens_at, closes_at=exam.closes_at, duration_minutes=exam.duration_minutes,
        pass_score=exam.pass_score, attempts_allowed=exam.attempts_allowed,
        excellent_percent=exam.excellent_percent, good_percent=exam.good_percent,
        assign_all=exam.assign_all, assign_new_leaders=exam.assign_new_leaders,
        units=list(exam.units), cadres=list(exam.cadres),
        review_policy=exam.review_policy, shuffle_options=exam.shuffle_options,
        rules=[PaperRule(category_id=r.category_id, qtype=r.qtype, count=r.count, points=r.points) for r in exam.rules],
    )
    db.session.add(copy)
    db.session.flush()
    return copy
