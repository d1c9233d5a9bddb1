"""Importing an amended version: what changed is listed, the questions citing a changed or
removed article wait in 待复核 (not served, off the ready papers) until confirmed."""
from datetime import date

import pytest
from sqlalchemy import select

from core.domain_errors import Conflict
from core.extensions import db
from quiz_bank import draw, questions
from quiz_bank.exams import papers
from quiz_bank.exams.models import ExamPaper
from statutes import citations, library
from statutes.models import Statute
from tests.statutes.helpers import import_amended, import_law
from tests.statutes.texts import AMENDED, LAW


@pytest.fixture
def law(make):
    import_law()
    return make.category(name="乡村示范法")


def test_the_changes_are_listed_by_article(law):
    version, _ = import_amended()
    before, changes = library.changes_of(version)
    assert before.version_date == date(2023, 12, 29) and version.version_date == date(2025, 1, 1)
    assert [(c.label, c.before, c.after) for c in changes.changed] == [("第二条", "本法适用于全国的行政村。", "本法适用于全国的行政村和社区。")]
    assert [(c.label, c.after) for c in changes.added] == [("第八条", "本法由国务院负责解释。")]
    assert [(c.label, c.before) for c in changes.removed] == [("第五条之一", "村务公开每季度至少一次。")]
    # 第六条 was only re-spaced: not a change.
    [(statute, current, versions)] = library.laws()
    assert (current.id, versions) == (version.id, 2) and statute.current_version_id == version.id and statute.title == "中华人民共和国乡村示范法"


def test_questions_citing_changed_or_removed_articles_wait_for_recheck_and_are_not_served(law, make):
    changed = make.question(law, source="《乡村示范法》第二条第一款")
    removed = make.question(law, source="《乡村示范法》第五条之一")
    kept = make.question(law, source="《乡村示范法》第六条")
    other_law = make.question(source="《民法典》第二条")
    retired = make.question(law, source="《乡村示范法》第二条", status="retired")
    _, rechecked = import_amended()
    assert rechecked == 2
    assert (changed.status, removed.status, kept.status, other_law.status, retired.status) == ("recheck", "recheck", "active", "active", "retired")
    assert changed.review_note == "《乡村示范法》第二条已随2025年1月1日版本修改，请核对"
    assert removed.review_note == "《乡村示范法》第五条之一在2025年1月1日版本中已删除，请核对"
    user = make.user()
    assert set(draw.draw(user.id, 10, law.id)) == {kept.id}
    assert changed.id not in draw.paper_candidates([(law.id, "single")])[(law.id, "single")]
    # Confirming puts it back.
    questions.set_status(changed, "active")
    assert changed.review_note is None and set(draw.draw(user.id, 10, law.id)) == {kept.id, changed.id}


def test_recheck_is_never_set_by_hand(law, make):
    question = make.question(law, source="《乡村示范法》第二条")
    with pytest.raises(questions.QuestionInvalid):
        questions.set_status(question, "recheck")


def test_a_ready_paper_holding_a_changed_question_is_drawn_again(law, make):
    bank = [make.question(law, source=f"《乡村示范法》第{n}条") for n in "一二三四"]
    cadre = make.cadre(make.user())
    exam = make.exam(rules=[(law, "single", 4, 25)])
    papers.draw_ahead(exam)
    paper = db_paper(exam, cadre)
    assert bank[1].id in paper  # all four are on it
    spare = make.question(law, source="《乡村示范法》第七条")
    import_amended()
    assert bank[1].status == "recheck"
    assert set(db_paper(exam, cadre)) == {bank[0].id, bank[2].id, bank[3].id, spare.id}


def db_paper(exam, cadre) -> list[int]:
    items = db.session.scalar(select(ExamPaper.items).where(ExamPaper.exam_id == exam.id, ExamPaper.cadre_id == cadre.id))
    return [qid for qid, _, _ in items]


def test_editing_an_answered_question_in_recheck_makes_an_active_new_version(law, make, api):
    question = make.question(law, source="《乡村示范法》第二条")
    me = api.as_user(make.user())
    assert me.post("/quizzes", json={"mode": "practice", "category_id": law.id}).status_code == 201
    import_amended()
    assert question.status == "recheck"
    newer = questions.edit_question(question, {"stem": question.stem + "（按2025年修正）"})
    assert newer.id != question.id and (question.status, newer.status, newer.review_note) == ("retired", "active", None)


def test_the_same_or_an_older_version_is_refused(law):
    with pytest.raises(Conflict, match="该版本已导入"):
        import_law()
    import_amended()
    with pytest.raises(Conflict, match="早于法规库中《乡村示范法》的最新版本"):
        import_law(LAW.replace("2023年12月29日", "2024年6月1日"))
    # Named apart, the same text is another law.
    version, _ = import_law(AMENDED, name="乡村示范法（试行）")
    assert version.statute_id != library.laws()[0][0].id


def test_a_missing_date_must_be_given():
    text = LAW.replace("（2020年5月28日", "（").replace("2023年12月29日", "")
    plan = library.plan_import("示范法.txt", text.encode())
    assert plan.version_date is None and "请填写版本日期" in plan.problem
    with pytest.raises(Conflict):
        library.apply_import(plan, None)
    version, _ = import_law(text, version_date=date(2024, 3, 1))
    assert version.version_date == date(2024, 3, 1)
    assert citations.article_text("《乡村示范法》第一条") == "为了建设民主法治示范村，制定本法。"
    assert db.session.scalar(select(Statute.name)) == "乡村示范法"
