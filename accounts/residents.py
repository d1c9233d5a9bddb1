"""The people using the mini-program, as the office looks them up: found by name, phone
tail or unit, and one person's record (points, learning, events, rewards, exams).

Residents give no phone number; only cadres have one, on the roster (Cadre.phone), so a
phone search finds cadres bound to an account. Every function sends a fixed number of
statements, however much the person or the town holds."""
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from accounts import tenancy
from accounts.models import Cadre, OrgUnit, User
from activities import checkins
from activities.models import Event
from core.domain_errors import Invalid
from core.extensions import db
from points import ledger, rewards
from points.leaderboard import points_of
from points.models import PointsTally
from quiz_bank import quizzes
from quiz_bank.exams.models import ExamAttempt
from quiz_bank.models import Category

NO_UNIT = 0  # the unit filter's value for people who have not chosen one
ROLE_LABELS = {"resident": "居民", "cadre": "干部"}
QUIZ_MODE_LABELS = {"daily": "每日答题", "practice": "专项练习", "challenge": "挑战答题", "event": "现场答题", "review": "间隔复习"}
PHONE_TAIL = re.compile(r"\d{3,11}")
RECENT = 10  # rows of each list on a person's page
# Matches counted at most: past it a clerk narrows the search rather than pages on, and an
# exact count of a whole district (a million accounts) or a town would read every match.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Found:
    user: User
    phone: str | None  # the roster's, for a bound cadre
    earned: int  # all-time points earned (the total board's)


def _contains(column, text: str):
    """SQL: `column` holds `text`, in any case. ILIKE folds the case of every row it reads,
    five times the cost of LIKE over Chinese names on PostgreSQL, so a text with no case to
    fold (a Chinese name, digits) is matched with LIKE."""
    if text.lower() == text == text.upper():
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def search(name: str = "", phone_tail: str = "", unit_id: int | None = None, role: str = "",
           page: int = 1, per_page: int = 50, town_id: int | None = None) -> tuple[list[Found], int]:
    """People matching every criterion given, newest first, and how many match, counted up
    to COUNT_CAP + 1 (more than COUNT_CAP: that many is returned). `name` in the real name,
    the nickname or the roster's name; `phone_tail` the end of a cadre's phone; `unit_id`
    their unit (NO_UNIT: none chosen); `role` resident or cadre; `town_id` their town
    (accounts.tenancy). Only the newest COUNT_CAP are listed: a page past them is empty."""
    where = [] if town_id is None else [tenancy.condition(User, town_id)]
    if name := name.strip():
        where.append(or_(_contains(User.real_name, name), _contains(User.nickname, name), _contains(Cadre.name, name)))
    if phone_tail := phone_tail.strip():
        if not PHONE_TAIL.fullmatch(phone_tail):
            raise Invalid("手机尾号请输入 3 到 11 位数字。", {"phone": ["须为数字。"]})
        where.append(Cadre.phone.endswith(phone_tail, autoescape=True))
    if unit_id == NO_UNIT:
        where.append(User.org_unit_id.is_(None))
    elif unit_id is not None:
        where.append(User.org_unit_id == unit_id)
    if role in ROLE_LABELS:
        where.append(User.role == role)
    # The matches' ids, up to COUNT_CAP + 1 of them, whichever the database finds first.
    ids = db.session.scalars(select(User.id).outerjoin(Cadre, Cadre.user_id == User.id).where(*where)
                             .limit(COUNT_CAP + 1)).all()
    total, offset = len(ids), (max(page, 1) - 1) * per_page
    if offset >= min(total, COUNT_CAP):
        return [], total
    people = (select(User).add_columns(Cadre.phone, func.coalesce(PointsTally.points, 0))
              .outerjoin(Cadre, Cadre.user_id == User.id)
              .outerjoin(PointsTally, (PointsTally.user_id == User.id) & (PointsTally.period == "all"))
              .order_by(User.id.desc()))
    if total <= COUNT_CAP:
        # Every match is known: the page is read by id. Searched again newest first, a
        # rare name would be looked for through the whole table, from its newest end.
        people = people.where(User.id.in_(sorted(ids, reverse=True)[offset:offset + per_page]))
    else:
        people = people.where(*where).limit(min(per_page, COUNT_CAP - offset)).offset(offset)
    return [Found(*row) for row in db.session.execute(people).all()], total


def units(town_id: int | None = None) -> list[OrgUnit]:
    """Units to pick from (of `town_id` if given): villages and communities first, then
    departments, by name."""
    order = {"village": 0, "community": 1, "town": 2, "department": 3}
    return sorted(db.session.scalars(tenancy.scope(select(OrgUnit), OrgUnit, town_id)).all(),
                  key=lambda u: (order.get(u.kind, 9), u.name))


def _names(key, name, ids: set) -> dict:
    """{id: name} of the rows with these ids (none asked, no statement)."""
    if not ids:
        return {}
    return dict(db.session.execute(select(key, name).where(key.in_(ids))).all())


def recent_attempts(user_id: int, limit: int = RECENT) -> tuple[list[ExamAttempt], int]:
    """A person's exam attempts, newest first, and how many there are."""
    total = db.session.scalar(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.user_id == user_id))
    rows = db.session.scalars(
        select(ExamAttempt).where(ExamAttempt.user_id == user_id).order_by(ExamAttempt.id.desc()).limit(limit)
    ).all()
    return list(rows), total


def record(user_id: int, ledger_page: int = 1, ledger_per_page: int = 20, town_id: int | None = None) -> dict | None:
    """One person's page: who they are, their points on each board, a page of the points
    ledger, and the newest few of their quizzes, wrong answers, check-ins, redemptions and
    exam attempts (each with its total). None if there is no such person (in `town_id`)."""
    user = db.session.get(User, user_id)
    if user is None or not tenancy.belongs(user, town_id):
        return None
    cadre = db.session.scalar(select(Cadre).where(Cadre.user_id == user_id))
    quiz_page = quizzes.my_quizzes(user_id, None, 1, RECENT)
    attempts, attempt_total = recent_attempts(user_id)
    return {
        "user": user, "cadre": cadre, "points": points_of(user_id),
        "ledger": ledger.ledger_page(user_id, ledger_page, ledger_per_page),
        "quizzes": quiz_page,
        "laws": _names(Category.id, Category.name, {q.category_id for q in quiz_page.items if q.category_id}),
        "events": _names(Event.id, Event.title, {q.event_id for q in quiz_page.items if q.event_id}),
        "wrong": quizzes.wrong_answers(user_id, None, 1, RECENT),
        "checkins": checkins.my_checkins(user_id, 1, RECENT),
        "redemptions": rewards.my_redemptions(user_id, 1, RECENT),
        "attempts": attempts, "attempt_total": attempt_total,
    }
