"""Each law's kept counts of active questions (what GET /categories, /me/mastery and the
home page read) stay equal to a count of the questions through every change to the bank,
and under changes racing on one law."""
import threading

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.transactions import writing
from quiz_bank import questions
from quiz_bank.importer import apply_import, plan_import, undo_import
from quiz_bank.models import Category, Question, QuestionImport


def _kept() -> dict[int, tuple[int, int]]:
    db.session.expire_all()
    return {c.id: (c.quiz_questions, c.exam_only_questions) for c in db.session.scalars(select(Category))}


def _counted() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(select(Question.category_id, Question.exam_only, func.count())
                              .where(Question.status == "active").group_by(Question.category_id, Question.exam_only))
    found = {c: [0, 0] for c in db.session.scalars(select(Category.id))}
    for category_id, exam_only, n in rows:
        found[category_id][1 if exam_only else 0] = n
    return {c: tuple(n) for c, n in found.items()}


def _data(category: Category, stem: str, **kw) -> dict:
    return {"category_id": category.id, "type": "single", "stem": stem, "answer": ["A"],
            "options": [{"key": "A", "text": "是"}, {"key": "B", "text": "否"}],
            "source": "《民法典》第一千零四十七条", **kw}


def test_every_change_to_the_bank_keeps_each_laws_counts(make, api):
    civil, river = make.category(name="民法典"), make.category(name="长江保护法")
    steps = []

    def check(step):
        steps.append(step)
        assert _kept() == _counted(), steps

    first = questions.create_question(_data(civil, "甲"))
    check("create")
    exam = questions.create_question(_data(civil, "乙", exam_only=True))
    check("create exam-only")
    questions.set_exam_only(exam, False)
    check("exam-only off")
    questions.edit_question(first, {"category_id": river.id})
    check("move to another law, never given")
    api.as_user(make.user()).post("/quizzes", json={"mode": "practice", "category_id": river.id})
    newer = questions.edit_question(first, {"category_id": civil.id})
    assert newer.id != first.id
    check("move a given question: a new version, the old retired")
    questions.set_status(newer, "retired")
    check("retire")
    questions.set_status(newer, "active")
    check("activate")
    questions.flag_for_recheck({newer: "第一千零四十七条已修改"})
    check("recheck")
    questions.edit_question(newer, {"stem": "甲（已核对）"})
    check("recheck settled by an edit")
    plan = plan_import("county.csv", "题型,分类,题干,选项A,选项B,答案,出处\n"
                       "单选,长江保护法,丙,是,否,A,《长江保护法》第二条\n"
                       "单选,长江保护法,丁,是,否,A,\n".encode())
    apply_import(plan, source="county.csv")
    check("import (one active, one awaiting review)")
    pending = db.session.scalar(select(Question).where(Question.status == "pending"))
    questions.set_status(pending, "retired")
    check("reject what awaits review")
    undo_import(db.session.scalar(select(QuestionImport)), None)
    check("undo the import")
    assert _kept()[civil.id] == (2, 0) and _kept()[river.id] == (0, 0)


def test_the_laws_and_home_page_show_the_kept_counts(make, api):
    law = make.category(name="民法典")
    make.questions(3, law)
    make.question(law, exam_only=True)
    make.question(law, status="retired")
    listed = api.as_user(make.user()).get("/categories").get_json()
    assert [(c["name"], c["question_count"]) for c in listed] == [("民法典", 3)]
    assert questions.active_questions() == 4


@pytest.mark.committing
def test_questions_added_to_one_law_at_once_are_all_counted(app, make):
    """Eight editors add a question to one law at the same moment, each in its own
    transaction: the law's kept count is eight, not what each saw alone."""
    law_id = make.category(name="民法典").id
    db.session.commit()
    barrier = threading.Barrier(8)
    failures = []

    def add(n):
        with app.app_context():
            try:
                barrier.wait()
                with writing():
                    questions.create_question(_data(db.session.get(Category, law_id), f"同时添加的第{n}题"))
            except Exception as exc:  # noqa: BLE001 (reported below)
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert _kept()[law_id] == _counted()[law_id] == (8, 0)
