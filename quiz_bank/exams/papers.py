"""Exam papers: drawn for each person by the exam's rules, ahead of the exam hour.

A paper is drawn for every assigned cadre when the exam is saved in the panel (its
publication), for anyone added later (the roster import, a make-up exam), and by
`flask exams draw-papers EXAM_ID`; starting an attempt takes the ready paper, so the
9:00 rush only copies it. A cadre without one (added some other way) gets one drawn
when they start."""
import random

from sqlalchemy import bindparam, delete, exists, func, insert, select, tuple_

from accounts.models import Cadre
from core.domain_errors import Conflict
from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.draw import paper_candidates, sample_rules
from quiz_bank.exams.assignment import sits
from quiz_bank.exams.checks import attempt_count
from quiz_bank.exams.models import Exam, ExamAttempt, ExamPaper, PaperRule
from quiz_bank.models import Question


def _wants(exam: Exam) -> list[tuple[int, str, int]]:
    return [(rule.category_id, rule.qtype, rule.count) for rule in exam.rules]


def draw_items(exam: Exam, how_many: int = 1) -> list[list[list]]:
    """`how_many` papers: each rule's questions a uniform sample of those that fit,
    all shuffled together, with each question's options in a shuffled order when the
    exam says so. A paper is [[question id, points, option order or None], ...]."""
    wants = _wants(exam)
    if not wants:
        raise Conflict("这场考试还没有设置组卷规则，请联系管理员。", code="paper_unavailable")
    candidates = paper_candidates([(c, t) for c, t, _ in wants])
    if any(len(candidates[(c, t)]) < count for c, t, count in wants):
        raise Conflict("题库中符合组卷规则的题目不足，请联系管理员调整试卷规则。", code="paper_unavailable")
    points = [rule.points for rule in exam.rules]
    drawn = [sample_rules(candidates, wants) for _ in range(how_many)]
    used = {qid for paper in drawn for ids in paper for qid in ids}
    keys = {qid: [o["key"] for o in options] for qid, options in db.session.execute(
        select(Question.id, Question.options).where(Question.id.in_(used), Question.type != "true_false"))
    } if exam.shuffle_options else {}
    papers = []
    for paper in drawn:
        items = [[qid, p, None] for ids, p in zip(paper, points) for qid in ids]
        random.shuffle(items)
        for item in items:
            if item[0] in keys:
                item[2] = random.sample(keys[item[0]], len(keys[item[0]]))
        papers.append(items)
    return papers


def draw_ahead(exam: Exam, redraw: bool = False) -> int:
    """Draw a paper for every assigned cadre who has none and has not sat the exam yet;
    `redraw`: throw the ready papers away first (the rules changed). Runs in the
    caller's unit of work; returns how many papers were drawn."""
    if redraw:
        db.session.execute(delete(ExamPaper).where(ExamPaper.exam_id == exam.id))
    cadre_ids = db.session.scalars(select(Cadre.id).where(
        sits(exam),
        ~exists().where(ExamPaper.exam_id == exam.id, ExamPaper.cadre_id == Cadre.id),
        ~exists().where(ExamAttempt.exam_id == exam.id, ExamAttempt.cadre_id == Cadre.id),
    )).all()
    if cadre_ids:
        now = utcnow()
        db.session.execute(insert(ExamPaper), [
            {"exam_id": exam.id, "cadre_id": cadre_id, "items": items, "drawn_at": now}
            for cadre_id, items in zip(cadre_ids, draw_items(exam, len(cadre_ids)))
        ])
    return len(cadre_ids)


def publish(exam: Exam) -> int:
    """The exam was saved: draw every assigned cadre's paper now, not when they tap 开始
    at 9:00. Until someone has sat it its rules may have changed, so afresh."""
    return draw_ahead(exam, redraw=attempt_count(exam) == 0)


def redraw_for(laws: set[tuple[int, str]], now=None) -> int:
    """A question of these (category id, type) changed or was retired: the ready papers of
    exams not yet closed that draw on them are drawn again, so nobody is handed a retired
    question or options that no longer match their shuffled order."""
    now = now or utcnow()
    exams = db.session.scalars(select(Exam).where(Exam.closes_at > now, exists().where(
        PaperRule.exam_id == Exam.id, tuple_(PaperRule.category_id, PaperRule.qtype).in_(laws)))).all()
    drawn = 0
    for exam in exams:
        try:
            drawn += draw_ahead(exam, redraw=True)
        except Conflict:
            # The bank no longer fills a rule (nothing was drawn): no paper is ready, and a
            # start says paper_unavailable until the rules or the bank are mended.
            db.session.execute(delete(ExamPaper).where(ExamPaper.exam_id == exam.id))
    return drawn


def draw_ahead_for_open_exams(now=None) -> int:
    """After the roster changed: papers for whoever an exam not yet closed now takes in."""
    now = now or utcnow()
    exams = db.session.scalars(select(Exam).where(Exam.closes_at > now).order_by(Exam.id)).all()
    return sum(draw_ahead(exam) for exam in exams if exam.rules)


def ready_count(exam: Exam) -> int:
    return db.session.scalar(select(func.count()).where(ExamPaper.exam_id == exam.id))


_TAKE = (
    delete(ExamPaper.__table__)
    .where(ExamPaper.__table__.c.exam_id == bindparam("exam_id"), ExamPaper.__table__.c.cadre_id == bindparam("cadre_id"))
    .returning(ExamPaper.__table__.c["items"])
)


def take(exam_id: int, cadre_id: int) -> list[list]:
    """The cadre's ready paper, taken (it becomes their attempt's), or one drawn now."""
    # One statement (built once) takes it: of two taps at once, only one gets it.
    items = db.session.connection().execute(_TAKE, {"exam_id": exam_id, "cadre_id": cadre_id}).scalar()
    return items if items is not None else draw_items(db.session.get(Exam, exam_id))[0]
