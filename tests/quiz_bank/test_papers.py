"""Papers drawn ahead: one for every assigned cadre, taken whole by their start, drawn
for people added later, and a start without one still works."""
import pytest
from sqlalchemy import func, select

from core.extensions import db
from quiz_bank.exams import attempts, papers
from quiz_bank.exams.models import ExamPaper


def _paper(exam, cadre):
    return db.session.scalar(select(ExamPaper).where(ExamPaper.exam_id == exam.id, ExamPaper.cadre_id == cadre.id))


def test_every_assigned_cadre_gets_one_paper_and_a_second_run_draws_none(make):
    unit = make.org_unit(kind="village")
    mine = [make.cadre(make.user(), org_unit=unit) for _ in range(3)]
    elsewhere = make.cadre(make.user())
    exam = make.exam(assign_all=False, units=[unit])
    assert papers.draw_ahead(exam) == 3
    assert papers.draw_ahead(exam) == 0
    assert papers.ready_count(exam) == 3
    assert all(_paper(exam, c) is not None for c in mine) and _paper(exam, elsewhere) is None
    paper = _paper(exam, mine[0]).items
    assert len(paper) == exam.question_count and len({qid for qid, _, _ in paper}) == len(paper)
    assert sum(points for _, points, _ in paper) == exam.total_score


def test_start_takes_the_ready_paper_as_drawn(make):
    user = make.user()
    cadre = make.cadre(user)
    exam = make.exam()
    papers.draw_ahead(exam)
    ready = _paper(exam, cadre).items
    attempt, created = attempts.start_attempt(user.id, exam.id)
    assert created
    assert attempt.paper == ready
    assert _paper(exam, cadre) is None  # taken: a second attempt, if allowed, gets a fresh one


def test_start_without_a_ready_paper_draws_one(make):
    user = make.user()
    make.cadre(user)
    exam = make.exam()
    attempt, created = attempts.start_attempt(user.id, exam.id)
    assert created and len(attempts.view(attempt).questions) == exam.question_count


def test_redraw_replaces_the_ready_papers_and_sitters_get_none(make):
    sat, waiting = make.user(), make.user()
    make.cadre(sat)
    later = make.cadre(waiting)
    exam = make.exam(attempts_allowed=2)
    attempts.start_attempt(sat.id, exam.id)
    assert papers.draw_ahead(exam) == 1  # only the cadre who has not started
    first = _paper(exam, later).items
    assert papers.draw_ahead(exam, redraw=True) == 1
    assert db.session.scalar(select(func.count()).where(ExamPaper.exam_id == exam.id)) == 1
    assert _paper(exam, later).items != first or len(first) < 2


def test_people_added_to_the_roster_get_papers_for_exams_not_closed(make):
    from datetime import timedelta

    from core.timeutil import utcnow

    unit = make.org_unit(kind="village")
    exam = make.exam(assign_all=False, units=[unit])
    closed = make.exam(assign_all=False, units=[unit], opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(days=1))
    newcomer = make.cadre(make.user(), org_unit=unit)
    assert papers.draw_ahead_for_open_exams() == 1
    assert _paper(exam, newcomer) is not None and _paper(closed, newcomer) is None


def test_the_operators_command_draws_and_says_how_many(app, make):
    make.cadre(make.user())
    exam = make.exam()
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["exams", "draw-papers", str(exam.id)])
    assert out.exit_code == 0 and "新抽取试卷 1 份，已备好 1 份" in out.output
    out = app.test_cli_runner().invoke(args=["exams", "draw-papers", "999999"])
    assert out.exit_code != 0 and "不存在" in out.output


def test_a_retired_or_edited_question_leaves_the_ready_papers(make):
    from quiz_bank import questions

    law = make.category()
    bank = make.questions(6, law)
    user = make.user()
    cadre = make.cadre(user)
    exam = make.exam(rules=[(law, "single", 5, 20)])
    papers.draw_ahead(exam)
    for _ in range(20):  # retire what the ready paper holds until the bank's sixth must be on it
        held = {qid for qid, _, _ in _paper(exam, cadre).items}
        gone = next(q for q in bank if q.id in held and q.status == "active")
        questions.set_status(gone, "retired")
        if sum(q.status == "active" for q in bank) < 5:
            break
        assert gone.id not in {qid for qid, _, _ in _paper(exam, cadre).items}
    # Five wanted, four left: no paper is ready, and a start says why instead of drawing a retired one.
    assert _paper(exam, cadre) is None
    with pytest.raises(Exception) as refused:
        attempts.start_attempt(user.id, exam.id)
    assert getattr(refused.value, "code", None) == "paper_unavailable"


def test_an_edit_in_place_that_drops_an_option_draws_the_paper_again(make):
    from quiz_bank import questions

    law = make.category()
    bank = make.questions(5, law)
    user = make.user()
    cadre = make.cadre(user)
    exam = make.exam(rules=[(law, "single", 5, 20)])
    papers.draw_ahead(exam)
    questions.edit_question(bank[0], {"options": [{"key": k, "text": f"新选项{k}"} for k in "ABC"], "answer": ["B"]})
    order = {qid: o for qid, _, o in _paper(exam, cadre).items}[bank[0].id]
    assert sorted(order) == ["A", "B", "C"]
    attempt, _ = attempts.start_attempt(user.id, exam.id)
    assert len(attempts.view(attempt).questions) == 5


# The attempt keeps its paper; an item's row is written when it is answered --------------


def test_a_question_on_a_paper_in_progress_is_never_rewritten_even_unanswered(make):
    from quiz_bank.models import Question
    from quiz_bank.questions import edit_question

    user = make.user()
    make.cadre(user)
    exam = make.exam()
    attempt, _ = attempts.start_attempt(user.id, exam.id)
    qid = attempt.paper[0][0]
    question = db.session.get(Question, qid)
    # Nobody has answered it yet, but it is on someone's screen: an edit makes a new version.
    newer = edit_question(question, {"stem": question.stem + "（改）"})
    assert newer is not question and question.stem == db.session.get(Question, qid).stem
    shown = attempts.view(attempt).questions[0]
    assert shown["id"] == qid and not shown["stem"].endswith("（改）")


def test_the_paper_shows_the_options_as_stored_when_shown(make):
    # An option edited in place is shown at the next view, never a stale one.
    from quiz_bank.models import Question

    user = make.user()
    make.cadre(user)
    exam = make.exam()
    attempt, _ = attempts.start_attempt(user.id, exam.id)
    before = attempts.view(attempt).questions[0]
    question = db.session.get(Question, before["id"])
    question.options = [{"key": o["key"], "text": o["text"] + "（新）"} for o in question.options]
    db.session.commit()
    after = attempts.view(attempt).questions[0]
    assert [(o["key"], o["text"]) for o in after["options"]] == [(o["key"], o["text"] + "（新）") for o in before["options"]]


def test_grading_writes_every_question_of_the_paper_answered_or_not(make):
    from quiz_bank.exams.models import AttemptItem

    user = make.user()
    make.cadre(user)
    exam = make.exam()
    attempt, _ = attempts.start_attempt(user.id, exam.id)
    (question, order), *_ = attempts.paper_of(attempt)
    attempts.save_answer(user.id, attempt.id, question.id, attempts.shown_keys(order, question.answer))
    assert db.session.scalar(select(func.count()).where(AttemptItem.attempt_id == attempt.id)) == 1
    attempts.submit(user.id, attempt.id)
    rows = db.session.execute(select(AttemptItem.question_id, AttemptItem.position, AttemptItem.correct, AttemptItem.score)
                              .where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
    assert [r.question_id for r in rows] == [qid for qid, _, _ in attempt.paper]
    assert [r.position for r in rows] == list(range(5))
    assert [(r.correct, r.score) for r in rows if r.question_id == question.id] == [(True, 20)]
    assert all(r.correct is False and r.score == 0 for r in rows if r.question_id != question.id)
    assert attempt.score == 20 and attempt.total_score == 100
