"""Who came to one event and how they did in its on-site quiz, for the event's page and
its workbook. A quiz counts once a question of it was answered (as the year's figures
count participation); its score is the correct answers out of the questions drawn."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from accounts.models import OrgUnit, User
from activities.models import CheckIn, Event
from core import xlsx
from core.extensions import db
from core.timeutil import local_naive
from quiz_bank.models import Quiz
from reports.figures import NO_UNIT, percent


@dataclass(frozen=True)
class Attendee:
    user_id: int
    real_name: str
    nickname: str
    unit: str | None
    checked_in_at: datetime
    points: int
    distance_m: float | None


@dataclass(frozen=True)
class QuizResult:
    user_id: int
    real_name: str
    nickname: str
    unit: str | None
    answered: int
    correct: int
    questions: int
    points: int
    finished_at: datetime | None


def _checkins(event_id: int):
    return (select(CheckIn.user_id, User.real_name, User.nickname, OrgUnit.name, CheckIn.checked_in_at, CheckIn.points_awarded,
                   CheckIn.distance_m)
            .join(User, User.id == CheckIn.user_id).outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(CheckIn.event_id == event_id).order_by(CheckIn.checked_in_at, CheckIn.id))


def _quizzes(event_id: int):
    return (select(Quiz.user_id, User.real_name, User.nickname, OrgUnit.name, Quiz.answered_count, Quiz.correct_count,
                   Quiz.question_count, Quiz.points_awarded, Quiz.finished_at)
            .join(User, User.id == Quiz.user_id).outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(Quiz.event_id == event_id, Quiz.mode == "event", Quiz.answered_count > 0)
            .order_by(Quiz.correct_count.desc(), Quiz.finished_at.is_(None), Quiz.finished_at, Quiz.id))


def summary(event_id: int) -> dict:
    """{checkins, quiz_people, answered, correct, accuracy (%)}: one statement."""
    quiz = (select(func.count(), func.coalesce(func.sum(Quiz.answered_count), 0), func.coalesce(func.sum(Quiz.correct_count), 0))
            .where(Quiz.event_id == event_id, Quiz.mode == "event", Quiz.answered_count > 0).subquery())
    checked = select(func.count()).where(CheckIn.event_id == event_id).scalar_subquery()
    row = db.session.execute(select(checked, *quiz.c)).one()
    answered, correct = int(row[2]), int(row[3])
    return {"checkins": row[0], "quiz_people": row[1], "answered": answered, "correct": correct,
            "accuracy": percent(correct, answered)}


def checkins_page(event_id: int, page: int, per_page: int) -> list[Attendee]:
    """A page of the people checked in, in the order they came."""
    rows = db.session.execute(_checkins(event_id).limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [Attendee(*row) for row in rows]


def quiz_page(event_id: int, page: int, per_page: int) -> list[QuizResult]:
    """A page of the on-site quiz's results, most correct answers first."""
    rows = db.session.execute(_quizzes(event_id).limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [QuizResult(*row) for row in rows]


def event_xlsx(event: Event) -> bytes:
    """The event's workbook: 签到名单 (as in the year's archive, with points) and 现场答题."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = xlsx.sheet(wb, "签到名单", ["序号", "姓名", "昵称", "村/社区", "签到时间", "签到积分"], [8, 14, 18, 24, 18, 10], first=True)
    for i, row in enumerate(db.session.execute(_checkins(event.id)), start=1):
        ws.append([i, row.real_name or "", row.nickname or "", row.name or NO_UNIT, local_naive(row.checked_in_at), row.points_awarded])
        ws.cell(row=ws.max_row, column=5).number_format = "yyyy-mm-dd hh:mm:ss"
    ws = xlsx.sheet(wb, "现场答题", ["序号", "姓名", "昵称", "村/社区", "答对题数", "已答题数", "题目数", "获得积分", "交卷时间"],
                    [8, 14, 18, 24, 10, 10, 8, 10, 18])
    for i, row in enumerate(db.session.execute(_quizzes(event.id)), start=1):
        ws.append([i, row.real_name or "", row.nickname or "", row.name or NO_UNIT, row.correct_count, row.answered_count,
                   row.question_count, row.points_awarded, local_naive(row.finished_at)])
        ws.cell(row=ws.max_row, column=9).number_format = "yyyy-mm-dd hh:mm:ss"
    return xlsx.to_bytes(wb)
