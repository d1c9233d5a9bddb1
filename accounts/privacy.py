"""A person's rights over their personal information (个人信息保护法): everything held
about them (`export`), deleting their account (`delete_account`, 注销), and check-in
locations reduced to in or out of range once they are old (`prune_locations`).

Deleting keeps the rows that the township's figures are made of (the points ledger,
quizzes and answers, check-ins, exam attempts, review cards), tied to an account that
no longer says who it was: so the ledger balances, events keep their head counts and
exams their statistics, and no one can be found in them by name, phone, WeChat account
or place."""
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update

from accounts import audit, revocation
from accounts.models import Cadre, OrgUnit, Reminder, SubscriptionCredit, User
from accounts.roster import reset_binding
from activities.models import CheckIn, Event, EventPhoto
from activities.photos import image_url
from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes, writing
from learning.models import ReviewCard, ReviewDay
from points import rewards
from points.models import DailyEarning, PointsEntry, PointsTally, Redemption, Reward
from quiz_bank.exams.models import AttemptItem, Certificate, Exam, ExamAttempt
from quiz_bank.models import Category, Question, Quiz, QuizItem, SeenQuestion, WrongAnswer
from reports import snapshots

DELETED_NICKNAME = "已注销用户"
TOMBSTONE_PREFIX = "deleted:"  # a deleted account's openid: unique, and no WeChat openid looks like it
PRUNE_BATCH = 1000


# -- export ---------------------------------------------------------------------------


def _rows(statement) -> list[dict]:
    return [dict(row) for row in db.session.execute(statement).mappings()]


def export(user_id: int) -> dict | None:
    """Everything held about the person, as plain values (times naive UTC), one
    statement a table however much they did; None if there is no such account."""
    profile = db.session.execute(
        select(User.id, User.nickname, User.avatar_url, User.real_name, User.role, User.points_balance, User.created_at,
               User.last_login_at, User.org_unit_id, OrgUnit.name.label("org_unit_name"), OrgUnit.kind.label("org_unit_kind"))
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).where(User.id == user_id)
    ).mappings().first()
    if profile is None:
        return None
    profile = dict(profile)
    unit = {"id": profile.pop("org_unit_id"), "name": profile.pop("org_unit_name"), "kind": profile.pop("org_unit_kind")}
    # The roster's row as the office holds it, phone and all: it is the person's own.
    cadre = db.session.execute(
        select(Cadre.name, Cadre.phone, Cadre.position, Cadre.newly_promoted, Cadre.active, Cadre.bound_at,
               OrgUnit.name.label("org_unit"))
        .join(OrgUnit, OrgUnit.id == Cadre.org_unit_id).where(Cadre.user_id == user_id)
    ).mappings().first()
    quiz_items = _rows(
        select(QuizItem.quiz_id, QuizItem.position, Question.id.label("question_id"), Question.type, Question.stem,
               Question.options, Question.answer.label("correct_answer"), QuizItem.answer, QuizItem.correct,
               QuizItem.points_awarded, QuizItem.answered_at)
        .join(Quiz, Quiz.id == QuizItem.quiz_id).join(Question, Question.id == QuizItem.question_id)
        .where(Quiz.user_id == user_id).order_by(QuizItem.quiz_id, QuizItem.position)
    )
    for item in quiz_items:
        if item["answer"] is None:  # a correct answer leaves the server only once answered
            item["correct_answer"] = None
    by_quiz: dict[int, list] = {}
    for item in quiz_items:
        by_quiz.setdefault(item.pop("quiz_id"), []).append(item)
    quizzes = _rows(
        select(Quiz.id, Quiz.mode, Quiz.status, Category.name.label("category"), Event.title.label("event"), Quiz.daily_date,
               Quiz.question_count, Quiz.answered_count, Quiz.correct_count, Quiz.points_awarded, Quiz.started_at,
               Quiz.finished_at)
        .outerjoin(Category, Category.id == Quiz.category_id).outerjoin(Event, Event.id == Quiz.event_id)
        .where(Quiz.user_id == user_id).order_by(Quiz.id)
    )
    for quiz in quizzes:
        quiz["items"] = by_quiz.get(quiz["id"], [])
    attempt_items = _rows(
        select(AttemptItem.attempt_id, AttemptItem.position, Question.id.label("question_id"), Question.type, Question.stem,
               Question.options, AttemptItem.answer, AttemptItem.answered_at, AttemptItem.points, AttemptItem.score)
        .join(ExamAttempt, ExamAttempt.id == AttemptItem.attempt_id).join(Question, Question.id == AttemptItem.question_id)
        .where(ExamAttempt.user_id == user_id).order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    by_attempt: dict[int, list] = {}
    for item in attempt_items:
        by_attempt.setdefault(item.pop("attempt_id"), []).append(item)
    attempts = _rows(
        select(ExamAttempt.id, Exam.title.label("exam"), ExamAttempt.number, ExamAttempt.status, ExamAttempt.started_at,
               ExamAttempt.deadline, ExamAttempt.submitted_at, ExamAttempt.score, ExamAttempt.total_score,
               ExamAttempt.pass_score, ExamAttempt.passed, Certificate.serial.label("certificate_serial"))
        .join(Exam, Exam.id == ExamAttempt.exam_id).outerjoin(Certificate, Certificate.attempt_id == ExamAttempt.id)
        .where(ExamAttempt.user_id == user_id).order_by(ExamAttempt.id)
    )
    for attempt in attempts:
        attempt["answers"] = by_attempt.get(attempt["id"], [])
    photos = _rows(
        select(EventPhoto.id, Event.title.label("event"), EventPhoto.sha256, EventPhoto.mime_type, EventPhoto.caption,
               EventPhoto.taken_at, EventPhoto.created_at)
        .join(Event, Event.id == EventPhoto.event_id).where(EventPhoto.uploaded_by_user_id == user_id).order_by(EventPhoto.id)
    )
    for photo in photos:
        photo["url"] = image_url(photo["sha256"], photo.pop("mime_type"))
    return {
        "profile": profile,
        "org_unit": unit if unit["id"] is not None else None,
        "cadre": dict(cadre) if cadre else None,
        "points_ledger": _rows(
            select(PointsEntry.delta, PointsEntry.reason, PointsEntry.note, PointsEntry.balance_after, PointsEntry.created_at)
            .where(PointsEntry.user_id == user_id).order_by(PointsEntry.id)),
        "points_tallies": _rows(select(PointsTally.period, PointsTally.points).where(PointsTally.user_id == user_id)
                                .order_by(PointsTally.period)),
        "points_daily": _rows(select(DailyEarning.day, DailyEarning.rule, DailyEarning.earned)
                              .where(DailyEarning.user_id == user_id).order_by(DailyEarning.day, DailyEarning.rule)),
        "quizzes": quizzes,
        "wrong_answers": _rows(
            select(WrongAnswer.question_id, Question.stem, WrongAnswer.last_answer, WrongAnswer.wrong_count,
                   WrongAnswer.last_wrong_at)
            .join(Question, Question.id == WrongAnswer.question_id).where(WrongAnswer.user_id == user_id)
            .order_by(WrongAnswer.last_wrong_at)),
        "review_cards": _rows(
            select(ReviewCard.question_id, ReviewCard.state, ReviewCard.stability, ReviewCard.difficulty, ReviewCard.due,
                   ReviewCard.last_review, ReviewCard.reviews, ReviewCard.lapses)
            .where(ReviewCard.user_id == user_id).order_by(ReviewCard.question_id)),
        "review_days": list(db.session.scalars(select(ReviewDay.day).where(ReviewDay.user_id == user_id).order_by(ReviewDay.day))),
        "seen_questions": list(db.session.scalars(select(SeenQuestion.question_id).where(SeenQuestion.user_id == user_id)
                                                  .order_by(SeenQuestion.question_id))),
        "checkins": _rows(
            select(CheckIn.id, Event.title.label("event"), CheckIn.checked_in_at, CheckIn.latitude, CheckIn.longitude,
                   CheckIn.accuracy_m, CheckIn.distance_m, CheckIn.in_range, CheckIn.points_awarded)
            .join(Event, Event.id == CheckIn.event_id).where(CheckIn.user_id == user_id).order_by(CheckIn.id)),
        "photos": photos,
        "redemptions": _rows(
            select(Redemption.id, Reward.name.label("reward"), Redemption.cost, Redemption.status, Redemption.pickup_code,
                   Redemption.created_at, Redemption.expires_at, Redemption.handed_over_at, Redemption.closed_at)
            .join(Reward, Reward.id == Redemption.reward_id).where(Redemption.user_id == user_id).order_by(Redemption.id)),
        "exam_attempts": attempts,
        "subscription_credits": _rows(select(SubscriptionCredit.template, SubscriptionCredit.credits, SubscriptionCredit.updated_at)
                                      .where(SubscriptionCredit.user_id == user_id).order_by(SubscriptionCredit.template)),
        "reminders": _rows(select(Reminder.reason, Reminder.subject_id, Reminder.status, Reminder.created_at, Reminder.sent_at)
                           .where(Reminder.user_id == user_id).order_by(Reminder.created_at)),
    }


# -- deletion (注销) ---------------------------------------------------------------------


def delete_account(user_id: int) -> None:
    """Remove the person's identity and keep anonymous rows. Pending redemptions are
    cancelled first, each refunded by points.rewards (its own unit: the books balance);
    a retry after a failure between the two steps finishes the work. Doing it again is
    nothing."""
    pending = db.session.scalars(
        select(Redemption.id).where(Redemption.user_id == user_id, Redemption.status == "pending")).all()
    for redemption_id in pending:
        try:
            rewards.cancel(user_id, redemption_id)
        except Conflict:  # handed over or expired meanwhile: nothing left to refund
            pass
    deleted_at = _anonymise(user_id)
    if deleted_at is not None:
        revocation.revoke(user_id, deleted_at)


def _reduced_location() -> dict:
    """What a check-in keeps of its location: whether the geofence let it in. A check-in
    is stored only when it was in range, so a measured distance means in range; with no
    geofence there was no range to be in."""
    return {
        "in_range": case((CheckIn.in_range.is_not(None), CheckIn.in_range), (CheckIn.distance_m.is_not(None), True), else_=None),
        "latitude": None, "longitude": None, "accuracy_m": None, "distance_m": None,
    }


@writes
def _anonymise(user_id: int) -> datetime | None:
    """When the account was deleted; None if there is no such account or it was deleted already."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update(of=User))
    if user is None or user.deleted_at is not None:
        return None
    # The roster's row is the office's own record of its cadre (name, phone, unit,
    # position, imported from the personnel list, not given through the app), and exam
    # results are kept with it for the cadre management office: it stays, unbound, with a
    # new binding code so that the person can bind a new account if they come back.
    cadre = db.session.scalar(select(Cadre).where(Cadre.user_id == user_id))
    if cadre is not None:
        reset_binding(cadre)
    user.openid = f"{TOMBSTONE_PREFIX}{user.id}"  # the same WeChat login makes a new, empty account
    user.session_key = None
    user.nickname, user.avatar_url, user.real_name = DELETED_NICKNAME, "", ""
    user.deleted_at = deleted_at = utcnow()
    db.session.execute(update(CheckIn).where(CheckIn.user_id == user_id).values(**_reduced_location()))
    # Event photos are the office's evidence of its publicity work, kept for inspection
    # (README, "Personal information"): the files stay, no longer tied to who took them.
    db.session.execute(update(EventPhoto).where(EventPhoto.uploaded_by_user_id == user_id).values(uploaded_by_user_id=None))
    # What only served the person: off the leaderboards, their notebook, streak and
    # subscriptions, and the replies kept for their retried taps (which may hold a pickup code).
    for model in (PointsTally, WrongAnswer, SeenQuestion, ReviewDay, SubscriptionCredit, Reminder):
        db.session.execute(delete(model).where(model.user_id == user_id))
    snapshots.forget(user_id)  # the panel's kept counts (积分账目) named them until the next nightly count
    replies = db.metadata.tables["idempotency_record"]  # api.idempotency's, by name: a domain imports no api module
    db.session.execute(delete(replies).where(replies.c.user_id == user_id))
    audit.record(None, "delete", "app_user", user_id, f"用户 {user_id} 注销了账号：身份信息已删除，匿名记录保留")
    return deleted_at


# -- location retention ---------------------------------------------------------------


def prune_locations(older_than_days: int, now: datetime | None = None, batch: int = PRUNE_BATCH) -> int:
    """Reduce the locations of check-ins older than this many days to in or out of
    range, a batch a unit of work (a short write lock each), walking the check-ins by id;
    returns how many were reduced. Running it again finds nothing left to do."""
    before = (now or utcnow()) - timedelta(days=older_than_days)
    held = or_(CheckIn.latitude.is_not(None), CheckIn.longitude.is_not(None), CheckIn.accuracy_m.is_not(None),
               CheckIn.distance_m.is_not(None))
    done, last = 0, 0
    while True:
        ids = db.session.scalars(
            select(CheckIn.id).where(CheckIn.id > last, CheckIn.checked_in_at < before, held).order_by(CheckIn.id).limit(batch)
        ).all()
        if not ids:
            return done
        with writing():
            done += db.session.execute(update(CheckIn).where(CheckIn.id.in_(ids)).values(**_reduced_location())).rowcount
        last = ids[-1]
