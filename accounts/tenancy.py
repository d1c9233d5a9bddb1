"""Towns are tenants: when the district (区) runs one Pufa for its towns, a town's staff
see and export only their town, and district staff see every town, with figures by town.

The rules, in one place:
- Org units: every unit belongs to a town (OrgUnit.town_id, a town's own id for the town).
  It is set when the unit is saved (accounts.models._set_town): a unit takes its parent's
  town, and a unit moved to another town takes its whole subtree with it (a move under
  itself or one of its sub-units is refused); a unit given no parent is put under the only
  town, and refused when there are several (or none). The migration towns_are_tenants filled it in the same way.
- Staff: AdminUser.town_id None is district staff (区级), who see every town and may pick
  one (the town selector); set, the account is that town's staff and sees only its town
  whatever it asks for. A town's admin creates and edits only accounts of its own town and
  can never make (or open) a district account; only district admins manage district
  accounts.
- What belongs to a town:
  - a person (User) through their unit's town; a person who chose no unit belongs to no
    town, and only district staff see them;
  - a cadre, an event (its organiser, Event.org_unit_id), a publicity task through its unit;
    check-ins, photos and on-site quizzes through their event;
  - an exam through its units and named cadres: it is a town's when all of them are in that
    town and it is not for 全体干部 or for every newly promoted leader (both reach the whole
    district). Any other exam is district-level: district staff only. Town staff create
    exams over their own units and cadres only; attempts and certificates go with the exam;
  - a reward through Reward.town_id (None: district-wide, managed by district staff); its
    redemptions go with the reward, since the counter that hands it over is its town's;
  - the points ledger and books through the person's town;
  - admin accounts through their town; the audit log through the account that acted
    (entries without an account, failed logins, are the district's).
- In a deployment with a single town, what would be the district's (a person with no unit,
  a district-wide exam or reward, a failed login) is that town's: a township's staff, made
  its town's by the migration towns_are_tenants, see everything they saw before. District
  accounts stay out of a town admin's reach even then.
- The question bank (laws, questions, imports, the statute library) is shared by the
  district: town editors import and edit it as district editors do. It is not scoped.
- The mini-program: a person's town is their unit's. The leaderboard's `town` board is the
  people of their town, the events listed are those their town's units organise, and the
  rewards on offer are their town's and the district-wide ones. A person with no unit sees
  the whole district's board and events and the district-wide rewards (in a single-town
  deployment: the town's, as before).

`condition(model, town)` is the SQL that keeps a model's rows to one town (for people and
their ledger, people_of first asks whether the town is the only one), `scope` applies
it (town None: no filter); the panel applies it through admin.tenancy, with the signed-in
account's town, to every list, page, export and action. Both fail closed: a model must be
a town's (TOWN_TABLES, which `condition` knows) or shared on purpose (SHARED_TABLES, the
question bank); any other raises, so a model added to the panel without a rule here is a
programming error a test finds (tests/admin/test_tenancy_pages.py walks the panel's
views), never another town's rows shown to a town's staff.
"""
from sqlalchemy import exists, or_, select, true
from sqlalchemy.orm import aliased

from accounts.models import AdminUser, AuditLog, Cadre, OrgUnit, User
from core.extensions import db
from core.sql import in_ids

DISTRICT = "全区"
# The tables whose rows belong to a town (`condition` knows each one).
TOWN_TABLES = frozenset({"org_unit", "app_user", "cadre", "event", "publicity_task", "checkin", "event_photo", "reward",
                         "redemption", "points_entry", "exam", "exam_attempt", "certificate", "admin_user", "audit_log"})
# The tables every town shares, left whole for a town's staff: the question bank.
SHARED_TABLES = frozenset({"category", "question", "question_import", "statute", "statute_version", "statute_article"})
NO_TOWN_NOTE = "未选择所在村、社区或单位的居民不属于任何镇，只有区级账号能看到。"


# The subqueries below read org_unit under their own alias: a query they go into may have
# org_unit in its FROM already, and must not be correlated with it.


def units_of(town_id: int):
    """Select of the ids of a town's units (the town's own included)."""
    unit = aliased(OrgUnit)
    return select(unit.id).where(unit.town_id == town_id)


def towns() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "town").order_by(OrgUnit.name, OrgUnit.id)))


def town_name(town_id: int | None) -> str:
    if town_id is None:
        return DISTRICT
    town = db.session.get(OrgUnit, town_id)
    return town.name if town else DISTRICT


def only_town(town_id):
    """SQL: `town_id` (a column or an int) is the deployment's only town."""
    town = aliased(OrgUnit)
    return ~exists().where(town.kind == "town", town.id != town_id)


def exam_condition(town_id: int):
    """SQL on Exam: a town's exam (see the rules above)."""
    from quiz_bank.exams.models import Exam, exam_cadre, exam_unit

    unit, cadre = aliased(OrgUnit), aliased(Cadre)
    unit_elsewhere = exists().where(exam_unit.c.exam_id == Exam.id, exam_unit.c.org_unit_id == unit.id, unit.town_id != town_id)
    cadre_elsewhere = exists().where(exam_cadre.c.exam_id == Exam.id, exam_cadre.c.cadre_id == cadre.id,
                                     cadre.org_unit_id == unit.id, unit.town_id != town_id)
    anyone = or_(exists().where(exam_unit.c.exam_id == Exam.id), exists().where(exam_cadre.c.exam_id == Exam.id))
    return or_(Exam.assign_all.is_(False) & Exam.assign_new_leaders.is_(False) & anyone & ~unit_elsewhere & ~cadre_elsewhere,
               only_town(town_id))


def reward_condition(town_id: int):
    from points.models import Reward

    return or_(Reward.town_id == town_id, Reward.town_id.is_(None) & only_town(town_id))


def condition(model, town_id: int):
    """SQL keeping `model`'s rows to those of `town_id`."""
    from activities.models import CheckIn, Event, EventPhoto
    from points.models import PointsEntry, Redemption, Reward
    from quiz_bank.exams.models import Certificate, Exam, ExamAttempt
    from reports.models import PublicityTask

    units = units_of(town_id)
    if model is OrgUnit:
        return OrgUnit.town_id == town_id
    if model is User:
        return people_of(town_id, User.org_unit_id)
    if model in (Cadre, Event, PublicityTask):
        return model.org_unit_id.in_(units)
    if model in (CheckIn, EventPhoto):
        return model.event_id.in_(select(Event.id).where(Event.org_unit_id.in_(units)))
    if model is Reward:
        return reward_condition(town_id)
    if model is Redemption:
        return Redemption.reward_id.in_(select(Reward.id).where(reward_condition(town_id)))
    if model is PointsEntry:
        return PointsEntry.user_id.in_(select(User.id).where(people_of(town_id, User.org_unit_id)))
    if model is Exam:
        return exam_condition(town_id)
    if model is ExamAttempt:
        return ExamAttempt.exam_id.in_(select(Exam.id).where(exam_condition(town_id)))
    if model is Certificate:
        return Certificate.attempt_id.in_(select(ExamAttempt.id).where(condition(ExamAttempt, town_id)))
    if model is AdminUser:
        return AdminUser.town_id == town_id
    if model is AuditLog:
        return or_(AuditLog.admin_id.in_(select(AdminUser.id).where(AdminUser.town_id == town_id)), only_town(town_id))
    raise LookupError(f"{model.__name__} has no town")  # a model left out by mistake shows nothing


def has_town(model) -> bool:
    """Whether `model`'s rows belong to a town (False: shared by every town). A model that
    is neither raises LookupError: nothing is shown unfiltered by omission."""
    table = getattr(model, "__tablename__", None)
    if table in TOWN_TABLES:
        return True
    if table in SHARED_TABLES:
        return False
    raise LookupError(f"{getattr(model, '__name__', model)!r} is neither a town's (TOWN_TABLES) nor shared "
                      "(SHARED_TABLES): say which in accounts.tenancy")


def scope(query, model, town_id: int | None):
    """`query` kept to `town_id`'s rows of `model`; all of them for None (the district).
    An unknown model raises whoever asks, the district too, so that any test finds it."""
    if not has_town(model) or town_id is None:
        return query
    return query.where(condition(model, town_id))


def belongs(obj, town_id: int | None) -> bool:
    """Whether one row is `town_id`'s (every row is the district's)."""
    if obj is None:
        return False
    if town_id is None:
        return True
    model = type(obj)
    return db.session.scalar(select(model.id).where(model.id == obj.id, condition(model, town_id))) is not None


# -- people, in the mini-program ---------------------------------------------------------


def unit_list(town_id: int | None = None, kind: str | None = None) -> list:
    """The units a person picks theirs from, in one statement of plain mappings (which
    marshmallow reads by key; a Row it would first try by key, fail, then read by
    attribute, for every field): every unit, or one town's (the town's own included), or
    those of one kind (kind "town": the towns)."""
    query = select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id, OrgUnit.town_id).order_by(OrgUnit.id)
    if town_id is not None:
        query = query.where(OrgUnit.town_id == town_id)
    if kind is not None:
        query = query.where(OrgUnit.kind == kind)
    return db.session.execute(query).mappings().all()


def person_town(user: User) -> int | None:
    """The town of a person: their unit's; None without one."""
    return user.org_unit.town_id if user.org_unit is not None else None


def is_only_town(town_id: int) -> bool:
    """Whether `town_id` is the deployment's only town (one statement)."""
    return bool(db.session.scalar(select(only_town(town_id))))


def people_of(town_id: int, unit_column):
    """SQL on a person's unit column: in `town_id`; anyone when it is the only town (every
    unit is then its, and so is a person with no unit). Whether it is, is asked first, in a
    statement of its own: asked inside the SQL, in an OR with the units test, it made
    PostgreSQL read the whole unit index (a district's million people, 75 ms) to count one
    town's, as no plan skips an OR's branch on a subquery's answer."""
    return true() if is_only_town(town_id) else in_ids(unit_column, units_of(town_id))


def _town_of_person(user_id: int):
    """SQL: the person's town, NULL when they chose no unit (read in the statement that uses it)."""
    unit, person = aliased(OrgUnit), aliased(User)
    return select(unit.town_id).join(person, person.org_unit_id == unit.id).where(person.id == user_id).scalar_subquery()


def rewards_for(user_id: int):
    """SQL on Reward: what this person may redeem: the district-wide rewards and their
    town's; with no unit, the district-wide ones (and, in a township, its own)."""
    from points.models import Reward

    town = _town_of_person(user_id)
    return or_(Reward.town_id.is_(None), Reward.town_id == town, town.is_(None) & only_town(Reward.town_id))


def events_for(user_id: int):
    """SQL on Event: the events listed to this person: their town's; every one with no unit."""
    from activities.models import Event

    town = _town_of_person(user_id)
    unit = aliased(OrgUnit)
    return or_(town.is_(None), Event.org_unit_id.in_(select(unit.id).where(unit.town_id == town)))


# -- admin accounts ------------------------------------------------------------------------


class NotYours(ValueError):
    """An account may not do this to that town's data; the message says why (Chinese)."""


def check_account_change(actor: AdminUser, town_id: int | None) -> None:
    """Refuse an account the actor may not make or keep: a town's admin only accounts of
    their own town (never a district account, which would see every town); the town named
    must be a town. Which accounts the actor may open at all is the scope's (condition)."""
    if actor.town_id is not None and town_id != actor.town_id:
        raise NotYours("镇级账号只能创建和修改本镇的账号，不能设置区级账号或其他镇的账号。")
    if town_id is not None and (db.session.get(OrgUnit, town_id) or OrgUnit()).kind != "town":
        raise NotYours("请选择一个镇，或选择全区。")
