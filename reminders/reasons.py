"""Why a person is reminded, and who is due now: one entry of REASONS per reason.

Each reason's `due(now, wanted)` selects the people to remind about what, limited by
`wanted(user id, subject id)`, the sender's SQL condition (a credit is held and this
reminder was neither sent nor given up). A new reason is one more entry; its name is
then a template people may subscribe to."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from accounts.models import Cadre, User
from core.extensions import db
from core.timeutil import local_today, to_local
from learning.models import ReviewCard, ReviewDay
from learning.reviews import day_bounds
from points.models import Redemption, Reward
from quiz_bank.exams.assignment import assigned
from quiz_bank.draw import in_quizzes
from quiz_bank.exams.models import Exam, ExamAttempt
from quiz_bank.models import Question

EXAM_CLOSING_NOTICE = timedelta(hours=24)
REWARD_EXPIRING_NOTICE = timedelta(days=2)
# Review reminders go in the evening (Beijing time), when people have time, to those who
# have not reviewed yet that day: at most one a day.
REVIEW_REMINDER_HOUR = 19


@dataclass(frozen=True)
class Due:
    """One reminder to send: to whom, about which exam or redemption, and its values."""

    user_id: int
    openid: str
    subject_id: int
    title: str
    time: datetime
    note: str


@dataclass(frozen=True)
class Reason:
    name: str
    label: str  # Chinese, for the command's output and the phone
    roles: tuple[str, ...]  # who may subscribe to it
    page: str  # the mini-program page the message opens; {id} is the subject's id
    due: Callable[[datetime, Callable], list[Due]]


def _exams_unsat(now: datetime, wanted, closing: bool) -> list[Due]:
    """Open exams the cadre must sit and has not started; `closing`: within a day of closing."""
    query = (
        select(User.id, User.openid, Exam.id, Exam.title, Exam.closes_at)
        .select_from(Exam).join(Cadre, assigned()).join(User, User.id == Cadre.user_id)
        .where(Cadre.active.is_(True), Exam.opens_at <= now, Exam.closes_at > now,
               ~exists().where(ExamAttempt.exam_id == Exam.id, ExamAttempt.cadre_id == Cadre.id),
               wanted(User.id, Exam.id))
    )
    if closing:
        query = query.where(Exam.closes_at <= now + EXAM_CLOSING_NOTICE)
    note = "距截止不足24小时，请尽快参加" if closing else "考试已开始，请在截止前参加"
    return [Due(uid, openid, exam_id, title, closes_at, note) for uid, openid, exam_id, title, closes_at in db.session.execute(query)]


def _pickups_waiting(now: datetime, wanted, expiring: bool) -> list[Due]:
    """Redemptions waiting at the counter; `expiring`: within REWARD_EXPIRING_NOTICE of expiry."""
    query = (
        select(User.id, User.openid, Redemption.id, Reward.name, Redemption.expires_at, Redemption.pickup_code)
        .select_from(Redemption).join(Reward, Reward.id == Redemption.reward_id).join(User, User.id == Redemption.user_id)
        .where(Redemption.status == "pending", Redemption.expires_at > now, wanted(User.id, Redemption.id))
    )
    if expiring:
        query = query.where(Redemption.expires_at <= now + REWARD_EXPIRING_NOTICE)
    return [Due(uid, openid, rid, name, expires_at,
                f"{REWARD_EXPIRING_NOTICE.days}天内到期，逾期积分退回" if expiring else f"凭领取码{code}领取")
            for uid, openid, rid, name, expires_at, code in db.session.execute(query)]


def _reviews_due(now: datetime, wanted) -> list[Due]:
    """People with review cards due by the end of today who have not reviewed today; the
    subject is the day (yyyymmdd), so one reminder a day at most."""
    if to_local(now).hour < REVIEW_REMINDER_HOUR:
        return []
    today = local_today(now)
    subject = int(f"{today:%Y%m%d}")
    _, end = day_bounds(now)
    query = (
        select(User.id, User.openid, func.count())
        .select_from(ReviewCard).join(User, User.id == ReviewCard.user_id)
        .join(Question, Question.id == ReviewCard.question_id)
        .where(ReviewCard.due < end, *in_quizzes(), wanted(User.id, subject),
               ~exists().where(ReviewDay.user_id == User.id, ReviewDay.day == today))
        .group_by(User.id, User.openid)
    )
    return [Due(uid, openid, subject, f"今天有{n}道题到了复习时间", now, "花几分钟复习，记得更牢")
            for uid, openid, n in db.session.execute(query)]


REASONS: dict[str, Reason] = {reason.name: reason for reason in (
    Reason("exam_open", "考试开始提醒", ("cadre",), "pages/exam/exam?id={id}",
           lambda now, wanted: _exams_unsat(now, wanted, closing=False)),
    Reason("exam_closing", "考试即将截止提醒", ("cadre",), "pages/exam/exam?id={id}",
           lambda now, wanted: _exams_unsat(now, wanted, closing=True)),
    Reason("reward_ready", "奖品待领取提醒", ("resident", "cadre"), "pages/redemption/redemption?id={id}",
           lambda now, wanted: _pickups_waiting(now, wanted, expiring=False)),
    Reason("reward_expiring", "奖品即将过期提醒", ("resident", "cadre"), "pages/redemption/redemption?id={id}",
           lambda now, wanted: _pickups_waiting(now, wanted, expiring=True)),
    Reason("review_due", "复习提醒", ("resident", "cadre"), "pages/review/review", _reviews_due),
)}
