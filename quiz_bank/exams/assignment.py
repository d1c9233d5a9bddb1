"""Who sits which exam: the one place the assignment rule is written."""
from sqlalchemy import exists, or_, select

from accounts.models import Cadre
from quiz_bank.exams.models import Exam, exam_cadre, exam_unit


def assigned():
    """SQL condition on Exam and Cadre, both in the query: the exam is assigned to the cadre."""
    return or_(
        Exam.assign_all.is_(True),
        Exam.assign_new_leaders.is_(True) & Cadre.newly_promoted.is_(True),
        exists().where(exam_unit.c.exam_id == Exam.id, exam_unit.c.org_unit_id == Cadre.org_unit_id),
        exists().where(exam_cadre.c.exam_id == Exam.id, exam_cadre.c.cadre_id == Cadre.id),
    )


def assigned_cadres(exam: Exam):
    """Select of the active cadres an exam is assigned to."""
    return select(Cadre).where(sits(exam))


def sits(exam: Exam):
    """SQL condition on Cadre: an active cadre this exam is assigned to."""
    who = [Cadre.org_unit_id.in_(select(exam_unit.c.org_unit_id).where(exam_unit.c.exam_id == exam.id)),
           Cadre.id.in_(select(exam_cadre.c.cadre_id).where(exam_cadre.c.exam_id == exam.id))]
    if exam.assign_all:
        who.append(Cadre.id.is_not(None))
    if exam.assign_new_leaders:
        who.append(Cadre.newly_promoted.is_(True))
    return Cadre.active.is_(True) & or_(*who)
